"""Notification's permission checks on top of the shared API-key authentication (X-API-Key).

A missing or unknown key is 401, a key without the right is 403; neither says more.
"""

from concord_shared.api_keys import authenticated, forbidden

from concord_notification.domain.access import ApiKey, Right, department_of, permits

__all__ = ["authenticated", "require", "require_department"]


def require(key: ApiKey, right: Right, department: str | None = None) -> None:
    if not permits(key, right, department):
        raise forbidden()


def require_department(key: ApiKey, asked: str | None) -> str:
    """The department whose subscriptions the caller manages (see department_of), or 403."""
    department = department_of(key, asked)
    if department is None:
        raise forbidden()
    return department
