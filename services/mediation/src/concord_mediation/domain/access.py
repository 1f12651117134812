"""Who may do what in mediation: API keys with roles.

Staff act on the cases of their own platform; supervisors act anywhere, override the mediator
choice and mark mediators unavailable; auditors read everything, including minutes, and
change nothing. Citizens' feedback comes in through staff or an integration key.
"""

from enum import StrEnum

from pydantic import BaseModel


class Role(StrEnum):
    STAFF = "staff"
    SUPERVISOR = "supervisor"
    AUDITOR = "auditor"
    INTEGRATION = "integration"


class ApiKey(BaseModel):
    role: Role
    platform: str | None = None  # required for staff
    holder: str = ""  # a staff reference for the case log; never a name


class Right(StrEnum):
    ACT = "act"  # take a workflow action on a case
    FEEDBACK = "feedback"
    MANAGE = "manage"  # mediators' availability
    READ_INTERNAL = "read_internal"  # minutes, ratings, indicators


def permits(key: ApiKey, right: Right, platform: str | None = None) -> bool:
    if key.role is Role.SUPERVISOR:
        return True
    if key.role is Role.AUDITOR:
        return right is Right.READ_INTERNAL
    if key.role is Role.INTEGRATION:
        return right is Right.FEEDBACK
    # staff
    if right is Right.MANAGE:
        return False
    if right is Right.READ_INTERNAL and platform is None:
        return True
    return key.platform is not None and key.platform == platform
