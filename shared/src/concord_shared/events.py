"""The published event contracts: one payload model per event type.

Events carry pseudonymous party references only, never names, phone numbers, identity
numbers or addresses; those stay in intake's store. Every model here is published as a JSON
Schema under contracts/ (``make contracts``), so changing a field is changing a contract.
"""

from datetime import date, datetime
from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field

from concord_shared.enums import (
    CaseKind,
    CaseStatus,
    Channel,
    Desk,
    Language,
    Level,
    NoticeKind,
    NotificationChannel,
    PartyRole,
    RecipientKind,
    Severity,
)
from concord_shared.envelope import EventPayload
from concord_shared.submission import CaseSubmission


class PartyRef(BaseModel):
    """A party as other services see it: a pseudonym and a role, nothing that identifies."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    ref: str = Field(
        description="Pseudonymous, stable per person within a deployment; for a third person "
        "an early warning names, valid within that case only."
    )
    role: PartyRole


class Coordinates(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)


# --- the case log: intake -------------------------------------------------------------


class CaseReceived(EventPayload):
    event_type: ClassVar[str] = "CaseReceived"

    receipt_number: str
    kind: CaseKind
    channel: Channel
    category: str
    received_at_platform: str = Field(description="Platform code where the case was registered.")
    area_code: str
    coordinates: Coordinates | None = None
    severity: Severity = Severity.LOW
    summary: str = Field(
        description="The description, redacted: the parties' names and addresses, phone "
        "numbers, identity numbers and e-mail addresses replaced by markers such as 〔姓名〕."
    )
    parties: list[PartyRef]
    party_count: int = Field(ge=1)
    language: Language = Language.ZH
    repeat_of: str | None = Field(default=None, description="case_id of the earlier case.")
    probable_repeat_of: str | None = Field(
        default=None,
        description="The same party on the same category and area within the window, worded "
        "differently: the earlier case, for staff to confirm (RepeatReviewed) or reject.",
    )
    collective: bool = False
    collective_group: str | None = None
    situation_group: str | None = Field(
        default=None,
        description="Early warnings only: case_id of the first warning on the same place and "
        "category within a window. Warnings are grouped by situation, never by person.",
    )
    source_system: str | None = None
    non_reception_place: bool = Field(
        default=False, description="A petition made somewhere other than a reception office."
    )


# --- routing ----------------------------------------------------------------------------


class CaseRouted(EventPayload):
    event_type: ClassVar[str] = "CaseRouted"

    level: Level
    platform: str
    desk: Desk
    lead_department: str | None
    co_departments: list[str] = []
    rule_id: str
    ruleset_version: str
    reason: str
    reroute: bool = False


class CaseAssigned(EventPayload):
    """Vertical, down: the case is given to a platform."""

    event_type: ClassVar[str] = "CaseAssigned"

    platform: str
    level: Level
    desk: Desk
    kind: CaseKind
    category: str
    severity: Severity
    area_code: str
    summary: str
    parties: list[PartyRef]
    lead_department: str | None
    co_departments: list[str] = []
    language: Language = Language.ZH
    repeat_of: str | None = None
    collective: bool = False
    received_at: datetime
    history: list[str] = Field(default=[], description="Earlier routing decisions, oldest first.")
    non_reception_place: bool = False
    probable_repeat_of: str | None = None


class CaseEscalated(EventPayload):
    """Vertical, up: the case goes to the parent level."""

    event_type: ClassVar[str] = "CaseEscalated"

    from_platform: str
    from_level: Level
    to_platform: str
    to_level: Level
    reason: str
    history: list[str] = []


# --- horizontal -----------------------------------------------------------------------


class CoordinationRequested(EventPayload):
    event_type: ClassVar[str] = "CoordinationRequested"

    department: str
    role: str = Field(description="lead or co")
    platform: str
    kind: CaseKind
    category: str
    area_code: str
    summary: str
    answer_due: date | None = None


class CoordinationWithdrawn(EventPayload):
    """A request this department had is withdrawn: the case was recategorised or moved."""

    event_type: ClassVar[str] = "CoordinationWithdrawn"

    department: str
    reason: str


class CoordinationReplyRefused(EventPayload):
    """To a department, on its own topic: a reply it sent was not taken, and why (routing
    never asked it about the case, its request is already final, or the message was not a
    valid reply). Nothing of the reply is kept on the case."""

    event_type: ClassVar[str] = "CoordinationReplyRefused"

    department: str
    reply_event_id: str | None = Field(default=None, description="The refused reply's id.")
    reply_type: str | None = Field(default=None, description="e.g. CoordinationAnswered.")
    reason: str = Field(description="not_asked, not_open or invalid")
    detail: str = Field(description="What is wrong, in words (the invalid field, say).")


class CoordinationAccepted(EventPayload):
    event_type: ClassVar[str] = "CoordinationAccepted"

    department: str
    handler_ref: str | None = None


class CoordinationDeclined(EventPayload):
    event_type: ClassVar[str] = "CoordinationDeclined"

    department: str
    declined_by: str = Field(description="Staff reference of who declined.")
    reason: str = Field(min_length=1)
    suggested_department: str | None = None


class CoordinationAnswered(EventPayload):
    event_type: ClassVar[str] = "CoordinationAnswered"

    department: str
    answer: str
    attachments: list[str] = []


# --- internal -----------------------------------------------------------------------------


class DeskTaskCreated(EventPayload):
    event_type: ClassVar[str] = "DeskTaskCreated"

    platform: str
    desk: Desk
    task: str


class DeskTaskCompleted(EventPayload):
    event_type: ClassVar[str] = "DeskTaskCompleted"

    platform: str
    desk: Desk
    task: str
    outcome: str


# --- mediation: the life of a case at a platform --------------------------------------


class MediationOpened(EventPayload):
    event_type: ClassVar[str] = "MediationOpened"

    platform: str
    level: Level
    status: CaseStatus
    acceptance_due: datetime
    handling_due: datetime | None = None


class RepeatReviewed(EventPayload):
    """Staff said whether a probable repeat is the same matter again: confirmed, the case is
    a repeat of `earlier_case` from now on (the rating counts it); rejected, it is not."""

    event_type: ClassVar[str] = "RepeatReviewed"

    platform: str
    earlier_case: str
    confirmed: bool
    reviewed_by: str = Field(description="Staff reference of who decided.")


class CaseStatusChanged(EventPayload):
    """Any transition of the mediation workflow, for the public status and the rating."""

    event_type: ClassVar[str] = "CaseStatusChanged"

    platform: str
    from_status: CaseStatus
    to_status: CaseStatus
    reason: str | None = None
    action: str | None = Field(default=None, description="The workflow action, e.g. accept.")
    # Where the case stands after the change, so a reader of this one event (the citizen's
    # status) is right without replaying the others. Null: the deadline is not running.
    level: Level | None = Field(default=None, description="The level of the platform now.")
    acceptance_due: datetime | None = Field(
        default=None, description="When acceptance is due, while the case awaits it."
    )
    handling_due: datetime | None = Field(
        default=None, description="When handling is due, while it runs (not while paused)."
    )


class SessionScheduled(EventPayload):
    event_type: ClassVar[str] = "SessionScheduled"

    platform: str
    session_id: str
    starts_at: datetime
    mediator_ref: str


class AgreementReached(EventPayload):
    event_type: ClassVar[str] = "AgreementReached"

    platform: str
    terms_summary: str
    follow_up_on: date | None = None


class MediationFailed(EventPayload):
    event_type: ClassVar[str] = "MediationFailed"

    platform: str
    reason: str


class CaseResolved(EventPayload):
    event_type: ClassVar[str] = "CaseResolved"

    platform: str
    level: Level
    outcome: str


class CaseClosed(EventPayload):
    event_type: ClassVar[str] = "CaseClosed"

    platform: str
    level: Level


class ReviewRequested(EventPayload):
    event_type: ClassVar[str] = "ReviewRequested"

    platform: str
    review_platform: str
    reason: str


class FeedbackReceived(EventPayload):
    event_type: ClassVar[str] = "FeedbackReceived"

    platform: str
    satisfied: bool
    comment: str = ""


class DeadlineWarning(EventPayload):
    event_type: ClassVar[str] = "DeadlineWarning"

    platform: str
    deadline: str = Field(description="acceptance, handling or review")
    due_at: datetime
    share_elapsed: float


class DeadlineBreached(EventPayload):
    event_type: ClassVar[str] = "DeadlineBreached"

    platform: str
    deadline: str
    due_at: datetime


# --- notification ---------------------------------------------------------------------


class NotificationRequested(EventPayload):
    event_type: ClassVar[str] = "NotificationRequested"

    notice: NoticeKind
    recipient_kind: RecipientKind
    recipient_ref: str = Field(description="Party ref, department code, mediator or leader ref.")
    language: Language = Language.ZH
    urgent: bool = False
    facts: dict[str, str] = Field(
        default={}, description="Values the template may show; never personal data."
    )


class NotificationDelivered(EventPayload):
    event_type: ClassVar[str] = "NotificationDelivered"

    notice: NoticeKind
    recipient_kind: RecipientKind
    recipient_ref: str
    channel: NotificationChannel
    request_event_id: str


class NotificationFailed(EventPayload):
    event_type: ClassVar[str] = "NotificationFailed"

    notice: NoticeKind
    recipient_kind: RecipientKind
    recipient_ref: str
    channel: NotificationChannel
    request_event_id: str
    error: str
    attempts: int


# --- dead letters -------------------------------------------------------------------------


class DeadLettered(EventPayload):
    """Published on concord.dlq.<service> for a message the service could not process.

    Version 2: the original bytes are sealed (``original_value_sealed``, a Fernet token under
    the dead-letter key) instead of in clear (version 1's ``original_value_b64``): they may
    hold personal data. ``concord-dlq show/replay`` open them."""

    event_type: ClassVar[str] = "DeadLettered"
    schema_version: ClassVar[int] = 2

    service: str
    reason: str
    error: str
    original_topic: str
    original_partition: int
    original_offset: int
    original_key: str | None
    original_headers: dict[str, str]
    original_value_sealed: str = Field(
        description="The original bytes (truncated if huge), encrypted: a Fernet token under "
        "the dead-letter key (CONCORD_DLQ_KEY)."
    )
    original_size: int
    truncated: bool = False
    attempts: int


EVENT_TYPES: dict[str, type[EventPayload]] = {
    cls.event_type: cls
    for cls in (
        CaseReceived,
        CaseRouted,
        CaseAssigned,
        CaseEscalated,
        CoordinationRequested,
        CoordinationWithdrawn,
        CoordinationReplyRefused,
        CoordinationAccepted,
        CoordinationDeclined,
        CoordinationAnswered,
        DeskTaskCreated,
        DeskTaskCompleted,
        MediationOpened,
        CaseStatusChanged,
        RepeatReviewed,
        SessionScheduled,
        AgreementReached,
        MediationFailed,
        CaseResolved,
        CaseClosed,
        ReviewRequested,
        FeedbackReceived,
        DeadlineWarning,
        DeadlineBreached,
        NotificationRequested,
        NotificationDelivered,
        NotificationFailed,
        DeadLettered,
    )
}


# --- commands into intake -------------------------------------------------------------------


class SubmitCase(EventPayload):
    """A case submitted by another system on <ns>.intake.submissions.

    The envelope's case_id carries the source reference (intake assigns the real case id);
    (source_system, source_ref) makes a resubmission idempotent. Carries personal data:
    grant this topic to integrators that write it and to intake only.
    """

    event_type: ClassVar[str] = "SubmitCase"

    source_system: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.\-]+$")
    source_ref: str = Field(min_length=1, max_length=128)
    case: CaseSubmission


EVENT_TYPES[SubmitCase.event_type] = SubmitCase
