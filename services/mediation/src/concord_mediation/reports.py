"""The figures behind the star rating and the four decreases, read from the case store."""

from dataclasses import dataclass
from typing import Any

from concord_shared.registry import Registry

from concord_mediation.adapters.repository import MediationRepository
from concord_mediation.domain.calendar import WorkingCalendar
from concord_mediation.domain.periods import Period
from concord_mediation.domain.rating import (
    Decrease,
    PlatformFigures,
    Rating,
    RatingPolicy,
    four_decreases,
    rate,
)

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
]


def figures_of(docs: list[dict[str, Any]], period: str) -> dict[str, PlatformFigures]:
    """Each case counts for the platform that first received it (its origin)."""
    result: dict[str, PlatformFigures] = {}
    for d in docs:
        origin = d["origin_platform"]
        f = result.setdefault(origin, PlatformFigures(platform=origin, period=period))
        decision = d.get("first_decision") or {}
        feedback = d.get("feedback")
        f.cases += 1
        f.responded += bool(decision)
        f.accepted += bool(decision.get("accepted"))
        f.accepted_on_time += bool(decision.get("on_time"))
        f.resolved += d.get("resolved_at") is not None
        f.resolved_here += d.get("resolved_platform") == origin
        f.feedback += feedback is not None
        f.satisfied += bool(feedback and feedback.get("satisfied"))
        f.repeats += d.get("repeat_of") is not None
        f.escalated += origin in (d.get("escalated_from") or [])
    return result


@dataclass
class Reports:
    repo: MediationRepository
    registry: Registry
    calendar: WorkingCalendar
    policy: RatingPolicy

    async def _docs(self, period: Period) -> list[dict[str, Any]]:
        start, end = period.bounds(self.calendar.tz)
        return await self.repo.received_between(start, end, FIELDS)

    async def ratings(self, period: Period, platform: str | None = None) -> list[Rating]:
        figures = figures_of(await self._docs(period), str(period))
        order = [p.code for p in self.registry.platforms]
        return [
            rate(figures[code], self.policy)
            for code in sorted(figures, key=lambda c: order.index(c) if c in order else len(order))
            if platform is None or code == platform
        ]

    async def four_decreases(self, area: str, period: Period) -> dict[str, Decrease]:
        def counts(docs: list[dict[str, Any]]) -> dict[str, int]:
            mine = [d for d in docs if str(d.get("area_code", "")).startswith(area)]
            return {
                "total": len(mine),
                "collective": sum(bool(d.get("collective")) for d in mine),
                "repeat": sum(d.get("repeat_of") is not None for d in mine),
                "escalated": sum(bool(d.get("escalated_from")) for d in mine),
            }

        current = counts(await self._docs(period))
        previous = counts(await self._docs(period.previous()))
        return four_decreases(current, previous)
