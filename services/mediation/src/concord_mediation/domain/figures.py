"""What one case contributes to the star rating and to the four decreases.

The counters (adapters/indexes.py) keep each case's contribution under its id and sum them;
`figures_of` sums the same contributions over case documents read from the store. Both use
`rating_contribution` and `area_contribution`, so the two can only agree.
"""

from collections.abc import Iterable
from datetime import datetime, tzinfo
from typing import Any

from concord_mediation.domain.rating import PlatformFigures

# The case fields the figures depend on.
FIELDS = [
    "origin_platform",
    "area_code",
    "received_at",
    "first_decision",
    "resolved_at",
    "resolved_platform",
    "feedback",
    "repeat_of",
    "collective",
    "escalated_from",
    "deadlines",
    "closed_at",
    "kind",
    "non_reception_place",
]
COUNTS = (
    "cases",
    "decision_due",
    "resolution_due",
    "responded",
    "accepted_on_time",
    "accepted",
    "resolved",
    "resolved_here",
    "feedback",
    "satisfied",
    "repeats",
    "escalated",
)
# The four decreases (total, collective, repeat, and petitions at non-reception places), and
# beside them the escalated cases.
FOUR_DECREASES = ("total", "collective", "repeat", "non_reception_place")
INDICATORS = (*FOUR_DECREASES, "escalated")
# Area codes are 6 (county) to 12 (village) digits; an area asked for is a prefix of them.
AREA_PREFIXES = range(6, 13)


def month_of(moment: datetime, tz: tzinfo) -> str:
    """The reporting month (`2026-11`) of a moment, in local time."""
    return moment.astimezone(tz).strftime("%Y-%m")


def rating_contribution(doc: dict[str, Any]) -> dict[str, int]:
    """The case's counts for the platform that first received it (its origin)."""
    origin = doc["origin_platform"]
    decision = doc.get("first_decision") or {}
    feedback = doc.get("feedback")
    deadlines = doc.get("deadlines") or {}

    def breached(name: str) -> bool:
        return bool((deadlines.get(name) or {}).get("breached"))

    escalated = origin in (doc.get("escalated_from") or [])
    accepted = bool(decision.get("accepted"))
    resolved = doc.get("resolved_at") is not None
    return {
        "cases": 1,
        # Measured only once there is something to measure: a case still inside its
        # deadline has not failed it (else every young case would pull the stars down).
        "decision_due": int(bool(decision) or breached("acceptance") or escalated),
        "resolution_due": int(
            accepted and (resolved or breached("handling") or doc.get("closed_at") is not None)
        ),
        "responded": int(bool(decision)),
        "accepted_on_time": int(bool(decision.get("on_time"))),
        "accepted": int(accepted),
        "resolved": int(resolved),
        "resolved_here": int(doc.get("resolved_platform") == origin),
        "feedback": int(feedback is not None),
        "satisfied": int(bool(feedback and feedback.get("satisfied"))),
        "repeats": int(doc.get("repeat_of") is not None),
        "escalated": int(origin in (doc.get("escalated_from") or [])),
    }


def area_contribution(doc: dict[str, Any]) -> dict[str, int]:
    """The case's counts for the four decreases of every area its area code lies in."""
    return {
        "total": 1,
        "collective": int(bool(doc.get("collective"))),
        "repeat": int(doc.get("repeat_of") is not None),
        "non_reception_place": int(
            doc.get("kind") == "petition" and bool(doc.get("non_reception_place"))
        ),
        "escalated": int(bool(doc.get("escalated_from"))),
    }


def area_prefixes(doc: dict[str, Any]) -> list[str]:
    """The areas (code prefixes an API caller may ask for) the case counts in."""
    code = str(doc.get("area_code") or "")
    return [code[:n] for n in AREA_PREFIXES if n <= len(code)]


def add_figures(figures: PlatformFigures, counts: dict[str, int]) -> None:
    for name in COUNTS:
        setattr(figures, name, getattr(figures, name) + int(counts.get(name, 0)))


def figures_of(docs: Iterable[dict[str, Any]], period: str) -> dict[str, PlatformFigures]:
    """Rating figures per origin platform, summed over case documents."""
    result: dict[str, PlatformFigures] = {}
    for d in docs:
        origin = d["origin_platform"]
        f = result.setdefault(origin, PlatformFigures(platform=origin, period=period))
        add_figures(f, rating_contribution(d))
    return result


def area_counts_of(docs: Iterable[dict[str, Any]], area: str) -> dict[str, int]:
    """The four decreases' counts of an area, summed over case documents."""
    counts = dict.fromkeys(INDICATORS, 0)
    for d in docs:
        if str(d.get("area_code", "")).startswith(area):
            for name, value in area_contribution(d).items():
                counts[name] += value
    return counts
