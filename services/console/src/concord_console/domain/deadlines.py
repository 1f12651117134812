"""How near a deadline is, as a colour a queue can show: red once passed, orange within a
day, amber within three days, plain otherwise."""

from datetime import date, datetime, time, timedelta
from enum import StrEnum

from concord_shared.wording import LOCAL_TIME


class Urgency(StrEnum):
    BREACHED = "breached"
    TODAY = "today"
    SOON = "soon"
    LATER = "later"


Due = datetime | date | str


def parsed(due: str) -> date | datetime:
    """An ISO deadline as the services give it: a day alone (a department's answer is due
    on one) or a moment."""
    return date.fromisoformat(due) if len(due) == len("2026-12-03") else datetime.fromisoformat(due)


def due_moment(due: Due) -> datetime:
    """A deadline as a moment. A day ends at the midnight after it, the platforms' local
    time."""
    if isinstance(due, str):
        due = parsed(due)
    if isinstance(due, datetime):
        return due
    return datetime.combine(due + timedelta(days=1), time(0), LOCAL_TIME)


def urgency(due: Due | None, now: datetime) -> Urgency | None:
    if due is None or due == "":
        return None
    left = due_moment(due) - now
    if left <= timedelta(0):
        return Urgency.BREACHED
    if left <= timedelta(days=1):
        return Urgency.TODAY
    if left <= timedelta(days=3):
        return Urgency.SOON
    return Urgency.LATER


def nearest(*dues: Due | None) -> datetime | None:
    """The earliest of a case's open deadlines (the one a queue is sorted by)."""
    found = [due_moment(d) for d in dues if d]
    return min(found) if found else None
