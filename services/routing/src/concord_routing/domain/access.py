"""Who may do what at routing, and how much of a case's routing each may see: API keys
with roles.

Administrators change the rules and the registry and read every case's routing. Staff
recategorise cases of their own platform and read the routing of every case that is or was
at their platform or a platform below it (a township supervises its villages). Auditors read
the audit trail and every case's routing minimised: no free text, since decline reasons are
written by departments, recategorisation reasons by staff and escalation reasons by
mediators, and any of them may name a person. A staff key always names its platform: one
without would be scoped to nothing, or, read carelessly, to every case, so the settings
refuse it.

Department keys are for the department console's clerks: they read their own department's
inbox of coordination requests and reply for their own department only (the department a
reply is sent for is the key's, never the caller's word). Like a staff key without a
platform, a department key without a department refuses to load.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from concord_shared.registry import Registry
from pydantic import BaseModel, Field, model_validator


class Role(StrEnum):
    ADMIN = "admin"
    STAFF = "staff"
    AUDITOR = "auditor"
    DEPARTMENT = "department"


class ApiKey(BaseModel):
    role: Role
    platform: str | None = None  # staff: the platform whose cases they may recategorise
    department: str | None = None  # department: the department whose inbox it works
    holder: str = Field(default="", description="who holds the key: recorded in the audit")

    @model_validator(mode="after")
    def _scoped_keys_name_their_scope(self) -> "ApiKey":
        if self.role is Role.STAFF and not self.platform:
            raise ValueError(
                "a routing staff key needs the platform whose cases it may recategorise"
            )
        if self.role is Role.DEPARTMENT and not (self.department and self.department.strip()):
            raise ValueError("a routing department key needs the department whose inbox it works")
        return self


class Action(StrEnum):
    CHANGE_CONFIG = "change_config"
    READ_CONFIG = "read_config"
    RECATEGORISE = "recategorise"
    READ_INBOX = "read_inbox"
    REPLY = "reply"


class View(StrEnum):
    FULL = "full"
    MINIMISED = "minimised"  # structured fields only


@dataclass(frozen=True)
class CaseScope:
    """Every platform the case is or was routed to; the registry says what is above them."""

    routed_to: frozenset[str]

    @classmethod
    def of(cls, platforms: Iterable[str]) -> "CaseScope":
        return cls(frozenset(platforms))

    def reaches(self, platform: str, registry: Registry) -> bool:
        """Whether the case is or was at `platform` or at a platform below it."""
        return any(registry.is_at_or_below(p, platform) for p in self.routed_to)


def may_work_inbox(key: ApiKey, action: Action, department: str) -> bool:
    """A department's inbox: its own key reads and replies; an administrator reads any
    inbox but replies for no department (a reply is a department's word)."""
    own = key.role is Role.DEPARTMENT and key.department is not None
    own = own and key.department == department
    if action is Action.READ_INBOX:
        return own or key.role is Role.ADMIN
    return action is Action.REPLY and own


def permits(key: ApiKey, action: Action, platform: str | None = None) -> bool:
    if action in (Action.READ_INBOX, Action.REPLY):
        return False  # per department: may_work_inbox
    if action is Action.READ_CONFIG:
        return key.role in (Role.ADMIN, Role.AUDITOR)
    if action is Action.CHANGE_CONFIG:
        return key.role is Role.ADMIN
    if key.role is Role.ADMIN:
        return True
    # Never a staff key without a platform, even one built around the settings' check.
    return key.role is Role.STAFF and key.platform is not None and key.platform == platform


def case_view(key: ApiKey, case: CaseScope, registry: Registry) -> View | None:
    """How much of a case's routing the key may see; None: nothing (403)."""
    if key.role is Role.ADMIN:
        return View.FULL
    if key.role is Role.AUDITOR:
        return View.MINIMISED
    if key.role is Role.STAFF and key.platform and case.reaches(key.platform, registry):
        return View.FULL
    return None
