"""Intake's permission check on top of the shared API-key authentication."""

from concord_shared.api_keys import authenticated, find_key, forbidden, unauthorized

from concord_intake.domain.access import Action, ApiKey, permits

__all__ = ["authenticated", "find_key", "require", "unauthorized"]


def require(key: ApiKey, action: Action, platform: str) -> None:
    if not permits(key, action, platform):
        raise forbidden()
