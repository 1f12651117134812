"""A department's coordination requests as routing knows them, and the replies it may give.

Each case's routing document keeps one entry per department asked (``requests``): what it
was asked, when, and where the request stands. Routing itself opens and withdraws requests
(the CoordinationRequested / CoordinationWithdrawn it sends); the replies move them on,
whether a department system put them on ``horizontal.replies`` or a clerk gave them in the
department console. A request is open while it is requested or accepted; declined, answered
and withdrawn are final. When mediation closes the case, every request still open is
withdrawn: a closed case asks nothing more of any department.
"""

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from concord_shared.envelope import Envelope
from concord_shared.events import (
    CoordinationAccepted,
    CoordinationAnswered,
    CoordinationDeclined,
    CoordinationRequested,
    CoordinationWithdrawn,
)


class RequestState(StrEnum):
    REQUESTED = "requested"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    ANSWERED = "answered"
    WITHDRAWN = "withdrawn"


OPEN = frozenset({RequestState.REQUESTED, RequestState.ACCEPTED})
CLOSED_REASON = "the case was closed"  # the reason of a CoordinationWithdrawn on closure


class Reply(StrEnum):
    ACCEPT = "accept"
    DECLINE = "decline"
    ANSWER = "answer"


_STATE_AFTER = {
    Reply.ACCEPT: RequestState.ACCEPTED,
    Reply.DECLINE: RequestState.DECLINED,
    Reply.ANSWER: RequestState.ANSWERED,
}
_REPLY_OF = {
    CoordinationAccepted.event_type: Reply.ACCEPT,
    CoordinationDeclined.event_type: Reply.DECLINE,
    CoordinationAnswered.event_type: Reply.ANSWER,
}
# What each open state admits: an accepted request may still be answered or declined (the
# department found it is not theirs after all), never accepted twice.
_ADMITS = {
    RequestState.REQUESTED: frozenset(Reply),
    RequestState.ACCEPTED: frozenset({Reply.DECLINE, Reply.ANSWER}),
}


class ReplyRefused(ValueError):
    """The request is not open to this reply (nothing asked, or already final)."""


def open_departments(requests: Iterable[dict[str, Any]]) -> list[str]:
    """The departments with an open request: what the inbox query filters on."""
    return sorted({r["department"] for r in requests if r["state"] in OPEN})


def withdrawn_on_close(requests: Iterable[dict[str, Any]]) -> list[str]:
    """The departments told CoordinationWithdrawn when the case is closed: every one whose
    request is still open (requested or accepted). A request already final keeps what the
    department said; none open, nothing to tell."""
    return open_departments(requests)


def decline_moves_case(requests: Iterable[dict[str, Any]], department: str) -> bool:
    """Whether a department's decline may still re-route the case: not once its request was
    withdrawn (the case was closed), or a late decline from a department system would have
    routing ask another department about a closed case. A case routed before requests were
    kept (no request at all) is re-routed as before."""
    request = request_of(requests, department)
    return request is None or request["state"] != RequestState.WITHDRAWN


def request_of(requests: Iterable[dict[str, Any]], department: str) -> dict[str, Any] | None:
    return next((r for r in requests if r["department"] == department), None)


def refusal(request: dict[str, Any] | None, reply: Reply, department: str) -> str | None:
    """Why `reply` may not be given to the department's request now; None: it may."""
    if request is None:
        return f"routing never asked {department} about this case"
    state = RequestState(request["state"])
    if reply not in _ADMITS.get(state, frozenset()):
        return f"the request to {department} is {state.value}: it takes no {reply.value}"
    return None


@dataclass(frozen=True)
class Sender:
    """What an invalid reply still says of who sent it, read without trusting it."""

    department: str | None = None
    event_id: str | None = None
    event_type: str | None = None
    case_id: str | None = None


def sender_of(raw: bytes | None) -> Sender:
    """The department, event id, type and case of a message that is no valid reply, as far
    as it is JSON with those fields as strings; else nothing."""
    try:
        message = json.loads(raw or b"")
    except ValueError:
        return Sender()
    if not isinstance(message, dict):
        return Sender()
    payload = message.get("payload")

    def text(found: Any) -> str | None:
        return found[:200] if isinstance(found, str) else None

    return Sender(
        department=text(payload.get("department")) if isinstance(payload, dict) else None,
        event_id=text(message.get("event_id")),
        event_type=text(message.get("type")),
        case_id=text(message.get("case_id")),
    )


def refused(requests: list[dict[str, Any]], event: Envelope[Any]) -> tuple[str, str] | None:
    """(reason, detail) when a department's reply event is not taken: routing never asked
    that department (not_asked), or its request does not take this reply (not_open). None
    when it is taken, is a redelivery of one taken, or the case's requests were never kept
    (a case routed before they were: replies are taken as before)."""
    if not requests:
        return None
    department = event.payload.department
    request = request_of(requests, department)
    if request is not None and request.get("reply_event_id") == event.event_id:
        return None
    why = refusal(request, _REPLY_OF[event.type], department)
    if why is None:
        return None
    return ("not_asked" if request is None else "not_open"), why


def replied(requests: list[dict[str, Any]], event: Envelope[Any]) -> list[dict[str, Any]]:
    """The requests after a reply event, or the same list if the request does not take it
    (a stale or repeated reply changes nothing here)."""
    reply = _REPLY_OF[event.type]
    department = event.payload.department
    if refusal(request_of(requests, department), reply, department) is not None:
        return requests
    said: dict[str, Any] = {
        "state": _STATE_AFTER[reply].value,
        "replied_at": event.occurred_at,
        "reply_event_id": event.event_id,
    }
    if isinstance(event.payload, CoordinationDeclined):
        said["reason"] = event.payload.reason
    elif isinstance(event.payload, CoordinationAnswered):
        said["answer"] = event.payload.answer
    elif isinstance(event.payload, CoordinationAccepted):
        said["handler_ref"] = event.payload.handler_ref
    return [{**r, **said} if r["department"] == department else r for r in requests]


def after_routing(
    requests: list[dict[str, Any]], sent: Iterable[Envelope[Any]]
) -> list[dict[str, Any]]:
    """The requests after routing asked departments (CoordinationRequested: a new request,
    replacing an earlier final one) and withdrew others (CoordinationWithdrawn: an open
    request ends; a final one keeps what the department said)."""
    by_department = {r["department"]: r for r in requests}
    for event in sent:
        payload = event.payload
        if isinstance(payload, CoordinationRequested):
            by_department[payload.department] = {
                "department": payload.department,
                "request_id": event.event_id,
                "role": payload.role,
                "category": payload.category,
                "summary": payload.summary,
                "requested_at": event.occurred_at,
                "answer_due": payload.answer_due.isoformat() if payload.answer_due else None,
                "state": RequestState.REQUESTED.value,
            }
        elif isinstance(payload, CoordinationWithdrawn):
            now = by_department.get(payload.department)
            if now is not None and now["state"] in OPEN:
                by_department[payload.department] = {
                    **now,
                    "state": RequestState.WITHDRAWN.value,
                    "withdrawn_at": event.occurred_at,
                }
    return list(by_department.values())


@dataclass(frozen=True)
class InboxItem:
    """One line of a department's inbox."""

    case_id: str
    request_id: str | None
    category: str
    platform: str
    summary: str | None
    requested_at: datetime
    answer_due: str | None
    state: str
    reason: str | None
    answer: str | None

    @classmethod
    def of(cls, case_id: str, platform: str, request: dict[str, Any]) -> "InboxItem":
        return cls(
            case_id=case_id,
            request_id=request.get("request_id"),
            category=request["category"],
            platform=platform,
            summary=request.get("summary"),
            requested_at=request["requested_at"],
            answer_due=request.get("answer_due"),
            state=request["state"],
            reason=request.get("reason"),
            answer=request.get("answer"),
        )
