"""Shared enumerations of the domain. Their values are part of the published contracts:
adding a value is compatible, removing or renaming one is a breaking change."""

from enum import StrEnum


class CaseKind(StrEnum):
    """The four functions of a platform."""

    PETITION = "petition"  # a visit, letter, call or online request to government
    DISPUTE = "dispute"  # a civil dispute between parties
    EARLY_WARNING = "early_warning"  # a situation at risk of escalating, never a person to watch
    LEGAL_SERVICE = "legal_service"  # legal consultation, legal aid, outreach sessions


class Channel(StrEnum):
    """How a matter reached the platform."""

    VISIT = "visit"
    LETTER = "letter"
    CALL = "call"
    ONLINE = "online"
    HOTLINE = "hotline"
    GRID_REPORT = "grid_report"


class Level(StrEnum):
    """Level of a platform, lowest first."""

    VILLAGE = "village"
    TOWNSHIP = "township"
    COUNTY = "county"

    def parent(self) -> "Level | None":
        order = list(Level)
        index = order.index(self)
        return order[index + 1] if index + 1 < len(order) else None


class Desk(StrEnum):
    """The internal desks of a platform."""

    RECEPTION = "reception"
    MEDIATION = "mediation"
    LEGAL_SERVICE = "legal_service"
    EARLY_WARNING = "early_warning"


class Severity(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class PartyRole(StrEnum):
    APPLICANT = "applicant"  # the person or organisation bringing the matter
    RESPONDENT = "respondent"  # the other side of a dispute
    REPRESENTATIVE = "representative"
    REPORTER = "reporter"  # who reported an early warning; not a subject of it


# Who brings a case: its owner, who is sent the receipt and may look the case up.
FILERS = frozenset({PartyRole.APPLICANT, PartyRole.REPORTER})


class CaseStatus(StrEnum):
    """Public status of a case as a citizen sees it."""

    RECEIVED = "received"
    ROUTED = "routed"
    ACCEPTED = "accepted"
    NOT_ACCEPTED = "not_accepted"
    IN_PROGRESS = "in_progress"
    AGREEMENT_REACHED = "agreement_reached"
    MEDIATION_FAILED = "mediation_failed"
    RESOLVED = "resolved"
    CLOSED = "closed"
    UNDER_REVIEW = "under_review"
    ESCALATED = "escalated"
    REFERRED = "referred"
    IN_SESSION = "in_session"  # mediation sessions under way
    REVIEW_REQUESTED = "review_requested"  # a party asked for review; the next level decides
    AWAITING_CITIZEN = "awaiting_citizen"  # waiting on the citizen: the deadline clock pauses


class NotificationChannel(StrEnum):
    WEBHOOK = "webhook"
    EMAIL = "email"
    SMS = "sms"
    RECORD = "record"  # kept in the delivery log only (no external channel configured)


class RecipientKind(StrEnum):
    CITIZEN = "citizen"
    DEPARTMENT = "department"
    MEDIATOR = "mediator"
    LEADER = "leader"


class NoticeKind(StrEnum):
    """What a notice says; each has a template per language."""

    RECEIPT = "receipt"
    ACCEPTANCE_DECISION = "acceptance_decision"
    DEADLINE_EXTENDED = "deadline_extended"
    OUTCOME = "outcome"
    CLOSURE = "closure"
    FEEDBACK_REQUEST = "feedback_request"
    COORDINATION_REQUEST = "coordination_request"
    DEADLINE_REMINDER = "deadline_reminder"
    ASSIGNMENT = "assignment"
    MAJOR_CASE = "major_case"
    DEADLINE_BREACH = "deadline_breach"
    LOW_RATING = "low_rating"
    ENDPOINT_PAUSED = "endpoint_paused"  # to a department: its webhook kept failing
    DEPARTMENT_REPLY = "department_reply"  # to a citizen: a department took up or answered
    REPLY_REFUSED = "reply_refused"  # to a department: its reply was not taken, and why
    CASE_ARRIVED = "case_arrived"  # to a platform's leader: a review or escalation came in
    SESSION_SCHEDULED = "session_scheduled"  # to both sides: when and where to attend
    REQUEST_WITHDRAWN = "request_withdrawn"  # to a department: no longer asked, and why


class Language(StrEnum):
    ZH = "zh"
    EN = "en"
