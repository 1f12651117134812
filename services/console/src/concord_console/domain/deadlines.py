"""How near a deadline is, as a colour a queue can show: red once passed, orange within a
day, amber within three days, plain otherwise."""

from datetime import datetime, timedelta
from enum import StrEnum


class Urgency(StrEnum):
    BREACHED = "breached"
    TODAY = "today"
    SOON = "soon"
    LATER = "later"


def urgency(due: datetime | str | None, now: datetime) -> Urgency | None:
    if due is None or due == "":
        return None
    when = datetime.fromisoformat(due) if isinstance(due, str) else due
    left = when - now
    if left <= timedelta(0):
        return Urgency.BREACHED
    if left <= timedelta(days=1):
        return Urgency.TODAY
    if left <= timedelta(days=3):
        return Urgency.SOON
    return Urgency.LATER


def nearest(*dues: datetime | str | None) -> datetime | None:
    """The earliest of a case's open deadlines (the one a queue is sorted by)."""
    found = [datetime.fromisoformat(d) if isinstance(d, str) else d for d in dues if d]
    return min(found) if found else None
