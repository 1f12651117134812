"""Who may do what in mediation, and how much of a case each may see: API keys with roles.

Staff act on the cases of their own platform and read those of the platforms below it (a
township supervises its villages: vertical supervision, not action). Supervisors act and read
anywhere, override the mediator choice and mark mediators unavailable. Auditors read every
case but minimised (no free text: a summary, a session's place, an agreement's terms, a
comment may name people or give a home address) and change nothing. Integrations (the
citizen's channel: a hotline, a feedback form) record citizens' feedback and read nothing.

Early warnings describe a tense situation before it escalates; only the platform's own staff
and supervisors see them, neither the levels above nor auditors.

Feedback feeds the rated platform's satisfaction rate, so it comes from the citizen's channel
(an integration key) or a supervisor's return visit, never from a platform's staff.
"""

from dataclasses import dataclass
from enum import StrEnum

from pydantic import BaseModel, model_validator


class Role(StrEnum):
    STAFF = "staff"
    SUPERVISOR = "supervisor"
    AUDITOR = "auditor"
    INTEGRATION = "integration"


class ApiKey(BaseModel):
    role: Role
    platform: str | None = None  # required for staff
    holder: str = ""  # a staff reference for the case log; never a name

    @model_validator(mode="after")
    def _staff_have_a_platform(self) -> "ApiKey":
        # A staff key without a platform would be scoped to nothing -- or, read carelessly, to
        # everything; refuse it when the settings load.
        if self.role is Role.STAFF and not self.platform:
            raise ValueError("a mediation staff key needs the platform it works at")
        return self


class Right(StrEnum):
    ACT = "act"  # take a workflow action on a case
    FEEDBACK = "feedback"
    MANAGE = "manage"  # mediators' availability
    READ_INTERNAL = "read_internal"  # a session's minutes
    READ_AGGREGATES = "read_aggregates"  # ratings, indicators: counts, no case


class View(StrEnum):
    FULL = "full"
    MINIMISED = "minimised"  # structured fields only


@dataclass(frozen=True)
class CaseScope:
    """What access depends on: where the case is and whether it is an early warning."""

    platform: str
    ancestors: tuple[str, ...] = ()  # the platforms above it, parent first
    early_warning: bool = False


def permits(key: ApiKey, right: Right, platform: str | None = None) -> bool:
    if key.role is Role.SUPERVISOR:
        return True
    if right is Right.READ_AGGREGATES:
        return key.role in (Role.STAFF, Role.AUDITOR)
    if key.role is Role.INTEGRATION:
        return right is Right.FEEDBACK
    if key.role is Role.AUDITOR:
        return False  # reads through case_view, minimised; changes nothing
    # staff
    if right in (Right.MANAGE, Right.FEEDBACK):
        return False
    return platform is not None and key.platform == platform


def case_view(key: ApiKey, case: CaseScope) -> View | None:
    """How much of the case the key may see; None: nothing (403)."""
    if key.role is Role.SUPERVISOR:
        return View.FULL
    if case.early_warning:
        return View.FULL if key.role is Role.STAFF and key.platform == case.platform else None
    if key.role is Role.AUDITOR:
        return View.MINIMISED
    if key.role is Role.STAFF and key.platform in (case.platform, *case.ancestors):
        return View.FULL
    return None


def may_see_platform(key: ApiKey, platform: str, ancestors: tuple[str, ...]) -> bool:
    """A platform's queue and mediators: its staff and those above it, supervisors, auditors."""
    if key.role in (Role.SUPERVISOR, Role.AUDITOR):
        return True
    return key.role is Role.STAFF and key.platform in (platform, *ancestors)
