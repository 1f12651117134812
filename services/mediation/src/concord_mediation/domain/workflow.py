"""The mediation workflow as a table: which action may move a case from which status to which.

Anything not in the table is refused with a message that says what is allowed instead.
"""

from enum import StrEnum

from concord_shared.enums import CaseStatus as S


class Action(StrEnum):
    ACCEPT = "accept"
    NOT_ACCEPT = "not_accept"
    ASSIGN_MEDIATOR = "assign_mediator"
    SCHEDULE_SESSION = "schedule_session"
    REACH_AGREEMENT = "reach_agreement"
    FAIL = "fail"
    RESOLVE = "resolve"
    CLOSE = "close"
    REQUEST_REVIEW = "request_review"
    START_REVIEW = "start_review"
    ESCALATE = "escalate"
    REFER = "refer"
    AWAIT_CITIZEN = "await_citizen"
    RESUME = "resume"
    # Not taken by staff: a case escalated here, or sent back, is opened again on assignment.
    REOPEN = "reopen"


# The status a case returns to on RESUME is the one it was paused in.
RESUMED = None

TRANSITIONS: dict[Action, tuple[frozenset[S], S | None]] = {
    Action.ACCEPT: (frozenset({S.RECEIVED}), S.ACCEPTED),
    Action.NOT_ACCEPT: (frozenset({S.RECEIVED}), S.NOT_ACCEPTED),
    Action.ASSIGN_MEDIATOR: (frozenset({S.ACCEPTED, S.UNDER_REVIEW}), S.IN_PROGRESS),
    Action.SCHEDULE_SESSION: (frozenset({S.IN_PROGRESS, S.IN_SESSION}), S.IN_SESSION),
    Action.REACH_AGREEMENT: (frozenset({S.IN_SESSION}), S.AGREEMENT_REACHED),
    Action.FAIL: (frozenset({S.IN_PROGRESS, S.IN_SESSION}), S.MEDIATION_FAILED),
    Action.RESOLVE: (frozenset({S.AGREEMENT_REACHED, S.IN_PROGRESS}), S.RESOLVED),
    Action.CLOSE: (
        frozenset({S.RESOLVED, S.MEDIATION_FAILED, S.NOT_ACCEPTED, S.REFERRED}),
        S.CLOSED,
    ),
    Action.REQUEST_REVIEW: (frozenset({S.CLOSED}), S.REVIEW_REQUESTED),
    Action.START_REVIEW: (frozenset({S.REVIEW_REQUESTED}), S.UNDER_REVIEW),
    Action.ESCALATE: (
        frozenset(
            {
                S.RECEIVED,
                S.ACCEPTED,
                S.IN_PROGRESS,
                S.IN_SESSION,
                S.MEDIATION_FAILED,
                S.AWAITING_CITIZEN,
                S.UNDER_REVIEW,
            }
        ),
        S.ESCALATED,
    ),
    Action.REFER: (
        frozenset({S.ACCEPTED, S.IN_PROGRESS, S.IN_SESSION, S.MEDIATION_FAILED}),
        S.REFERRED,
    ),
    Action.AWAIT_CITIZEN: (
        frozenset({S.RECEIVED, S.ACCEPTED, S.IN_PROGRESS, S.IN_SESSION, S.UNDER_REVIEW}),
        S.AWAITING_CITIZEN,
    ),
    Action.RESUME: (frozenset({S.AWAITING_CITIZEN}), RESUMED),
    Action.REOPEN: (frozenset({S.ESCALATED}), S.RECEIVED),
}

# Statuses in which the case is still being worked on (a mediator's load counts these).
OPEN_STATUSES = frozenset(
    {
        S.RECEIVED,
        S.ACCEPTED,
        S.IN_PROGRESS,
        S.IN_SESSION,
        S.AWAITING_CITIZEN,
        S.UNDER_REVIEW,
        S.REVIEW_REQUESTED,
    }
)


class TransitionRefused(Exception):
    """An action the table does not allow from the case's current status."""

    def __init__(self, action: Action, status: S, detail: str | None = None) -> None:
        allowed = sorted(a.value for a in allowed_actions(status))
        message = detail or (
            f"cannot {action.value} a case that is {status.value}; "
            f"allowed from {status.value}: {', '.join(allowed) or 'nothing'}"
        )
        super().__init__(message)
        self.action = action
        self.status = status
        self.message = message


def allowed_actions(status: S) -> list[Action]:
    return [
        a for a, (sources, _) in TRANSITIONS.items() if status in sources and a is not Action.REOPEN
    ]


def next_status(status: S, action: Action, paused_from: S | None = None) -> S:
    """The status `action` leads to from `status`, or TransitionRefused."""
    sources, target = TRANSITIONS[action]
    if status not in sources:
        raise TransitionRefused(action, status)
    if target is RESUMED:
        if paused_from is None:
            raise TransitionRefused(action, status, "the case does not know where it paused")
        return paused_from
    return target
