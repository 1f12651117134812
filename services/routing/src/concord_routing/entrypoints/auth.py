"""Routing's permission checks on top of the shared API-key authentication (X-API-Key).

A missing or unknown key is 401, a key without the right is 403; neither says more.
"""

from concord_shared.api_keys import authenticated, forbidden

from concord_routing.domain.access import Action, ApiKey, may_work_inbox, permits

__all__ = ["authenticated", "require", "require_department"]


def require(key: ApiKey, action: Action, platform: str | None = None) -> None:
    if not permits(key, action, platform):
        raise forbidden()


def require_department(key: ApiKey, action: Action, department: str) -> None:
    """A department's inbox: its own key, or an administrator's."""
    if not may_work_inbox(key, action, department):
        raise forbidden()
