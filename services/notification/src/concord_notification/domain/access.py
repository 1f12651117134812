"""Who may see and change what at notification: a department's key manages that department's
webhook subscriptions and reads what went to it; an operator's any, but never a citizen's
address (the delivery log's view for operators leaves contacts out)."""

from enum import StrEnum

from pydantic import BaseModel


class Role(StrEnum):
    DEPARTMENT = "department"
    OPERATOR = "operator"


class Right(StrEnum):
    READ_DELIVERIES = "read_deliveries"
    MANAGE_SUBSCRIPTIONS = "manage_subscriptions"


class ApiKey(BaseModel):
    role: Role = Role.DEPARTMENT
    department: str | None = None


def permits(key: ApiKey, right: Right, department: str | None = None) -> bool:
    """Whether `key` has `right`, about `department` when one is named (an operator must
    name the department whose subscriptions it manages)."""
    if key.role is Role.OPERATOR:
        return right is Right.READ_DELIVERIES or bool(department)
    if not key.department:
        return False
    return department in (None, key.department)


def department_of(key: ApiKey, asked: str | None) -> str | None:
    """The department a request is about: for an operator the one it names, for a
    department's key its own (asked for or not); None when the key may not act for it."""
    if key.role is Role.OPERATOR:
        wanted = asked
    elif asked in (None, key.department):
        wanted = key.department
    else:
        return None
    if not wanted or not permits(key, Right.MANAGE_SUBSCRIPTIONS, wanted):
        return None
    return wanted
