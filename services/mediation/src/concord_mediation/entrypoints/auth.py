"""Mediation's permission check on top of the shared API-key authentication (X-API-Key).

A missing or unknown key is 401, a key without the right is 403; neither says more.
"""

from concord_shared.api_keys import authenticated, find_key, forbidden

from concord_mediation.domain.access import ApiKey, Right, permits

__all__ = ["authenticated", "find_key", "forbidden", "require"]


def require(key: ApiKey, right: Right, platform: str | None = None) -> None:
    if not permits(key, right, platform):
        raise forbidden()
