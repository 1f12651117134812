"""A case as the API shows it, per view (domain/access.py decides which view a key gets).

The full view leaves out only a session's internal minutes (they have their own endpoint).
The minimised view is an allow-list: structured fields only, so a free-text field added later
stays out until someone decides it may be shown. Left out: the summary, the parties'
references, every reason, a session's place, an agreement's terms, the outcome, feedback
comments and departments' answers.
"""

from typing import Any

from concord_mediation.domain.access import View

MINIMISED_FIELDS = frozenset(
    {
        "platform",
        "origin_platform",
        "platforms",
        "level",
        "desk",
        "kind",
        "category",
        "severity",
        "area_code",
        "lead_department",
        "co_departments",
        "language",
        "repeat_of",
        "collective",
        "status",
        "received_at",
        "opened_at",
        "updated_at",
        "acceptance_due",
        "deadlines",
        "first_decision",
        "mediator",
        "resolved_at",
        "resolved_platform",
        "closed_at",
        "review_started_at",
        "referred_to",
        "paused_from",
        "escalated_from",
    }
)
# Nested entries: which of their fields the minimised view keeps.
MINIMISED_ENTRIES = {
    "history": ("at", "action", "from", "status", "platform", "by"),
    "sessions": ("session_id", "starts_at", "mediator", "recorded_at"),
    "department_replies": ("type", "at", "department"),
}
MINIMISED_PARTS = {"agreement": ("follow_up_on", "at"), "feedback": ("satisfied", "at")}


def case_body(doc: dict[str, Any], view: View) -> dict[str, Any]:
    body = full(doc) if view is View.FULL else minimised(doc)
    if "department_replies" in body:
        # In the order the departments sent them (a redelivery may attach out of order).
        body["department_replies"] = sorted(body["department_replies"], key=lambda r: r["at"])
    return body


def full(doc: dict[str, Any]) -> dict[str, Any]:
    body = {"case_id": doc["_id"], **{k: v for k, v in doc.items() if k != "_id"}}
    if doc.get("sessions"):
        body["sessions"] = sessions(doc, with_minutes=False)
    return body


def minimised(doc: dict[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = {"case_id": doc["_id"]}
    body.update({k: v for k, v in doc.items() if k in MINIMISED_FIELDS})
    for name, keep in MINIMISED_ENTRIES.items():
        if name in doc:
            body[name] = [_only(entry, keep) for entry in doc[name]]
    for name, keep in MINIMISED_PARTS.items():
        if isinstance(doc.get(name), dict):
            body[name] = _only(doc[name], keep)
    return body


def sessions(doc: dict[str, Any], *, with_minutes: bool) -> list[dict[str, Any]]:
    return [
        {k: v for k, v in s.items() if with_minutes or k != "minutes"}
        for s in doc.get("sessions", [])
    ]


def minimised_sessions(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return [_only(s, MINIMISED_ENTRIES["sessions"]) for s in doc.get("sessions", [])]


def _only(entry: dict[str, Any], keep: tuple[str, ...]) -> dict[str, Any]:
    return {k: v for k, v in entry.items() if k in keep}
