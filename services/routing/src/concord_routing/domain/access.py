"""Who may do what at routing: API keys with roles.

Administrators change the rules and the registry; staff recategorise cases of their own
platform; auditors read the audit trail. A staff key always names its platform: one without
would be scoped to nothing, or, read carelessly, to every case, so the settings refuse it.
"""

from enum import StrEnum

from pydantic import BaseModel, Field, model_validator


class Role(StrEnum):
    ADMIN = "admin"
    STAFF = "staff"
    AUDITOR = "auditor"


class ApiKey(BaseModel):
    role: Role
    platform: str | None = None  # staff: the platform whose cases they may recategorise
    holder: str = Field(default="", description="who holds the key: recorded in the audit")

    @model_validator(mode="after")
    def _staff_have_a_platform(self) -> "ApiKey":
        if self.role is Role.STAFF and not self.platform:
            raise ValueError(
                "a routing staff key needs the platform whose cases it may recategorise"
            )
        return self


class Action(StrEnum):
    CHANGE_CONFIG = "change_config"
    READ_CONFIG = "read_config"
    RECATEGORISE = "recategorise"


def permits(key: ApiKey, action: Action, platform: str | None = None) -> bool:
    if action is Action.READ_CONFIG:
        return key.role in (Role.ADMIN, Role.AUDITOR)
    if action is Action.CHANGE_CONFIG:
        return key.role is Role.ADMIN
    if key.role is Role.ADMIN:
        return True
    # Never a staff key without a platform, even one built around the settings' check.
    return key.role is Role.STAFF and key.platform is not None and key.platform == platform
