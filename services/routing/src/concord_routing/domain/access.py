"""Who may do what at routing: API keys with roles.

Administrators change the rules and the registry; staff recategorise cases of their own
platform (or, with no platform on the key, any case); auditors read the audit trail.
"""

from enum import StrEnum

from pydantic import BaseModel, Field


class Role(StrEnum):
    ADMIN = "admin"
    STAFF = "staff"
    AUDITOR = "auditor"


class ApiKey(BaseModel):
    role: Role
    platform: str | None = None  # staff: the platform whose cases they may recategorise
    holder: str = Field(default="", description="who holds the key: recorded in the audit")


class Action(StrEnum):
    CHANGE_CONFIG = "change_config"
    READ_CONFIG = "read_config"
    RECATEGORISE = "recategorise"


def permits(key: ApiKey, action: Action, platform: str | None = None) -> bool:
    if action is Action.READ_CONFIG:
        return key.role in (Role.ADMIN, Role.AUDITOR)
    if action is Action.CHANGE_CONFIG:
        return key.role is Role.ADMIN
    return key.role is Role.ADMIN or (key.role is Role.STAFF and key.platform in (None, platform))
