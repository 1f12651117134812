"""The figures behind the star rating and the four decreases, from the counters kept per
platform (and area) and month as cases change (adapters/indexes.py): a report reads a few
documents per month, not every case. Until the counters of a store's older cases are
backfilled, from the cases themselves as before."""

import asyncio
from dataclasses import dataclass
from typing import Any

from concord_shared.calendar import WorkingCalendar
from concord_shared.registry import Registry

from concord_mediation.adapters.indexes import CaseIndexes
from concord_mediation.adapters.repository import MediationRepository
from concord_mediation.domain.figures import (
    FIELDS,
    FOUR_DECREASES,
    add_figures,
    area_counts_of,
    figures_of,
)
from concord_mediation.domain.periods import Period
from concord_mediation.domain.rating import (
    Decrease,
    PlatformFigures,
    Rating,
    RatingPolicy,
    four_decreases,
    rate,
)


@dataclass
class Reports:
    repo: MediationRepository
    indexes: CaseIndexes
    registry: Registry
    calendar: WorkingCalendar
    policy: RatingPolicy

    async def _docs(self, period: Period) -> list[dict[str, Any]]:
        start, end = period.bounds(self.calendar.tz)
        return await self.repo.received_between(start, end, FIELDS)

    async def figures(
        self, period: Period, platform: str | None = None
    ) -> dict[str, PlatformFigures]:
        if not await self.indexes.ready():
            return figures_of(await self._docs(period), str(period))
        counted = await self.indexes.rating_counts(period.month_keys(), platform)
        result: dict[str, PlatformFigures] = {}
        for origin, counts in counted.items():
            figures = result[origin] = PlatformFigures(platform=origin, period=str(period))
            add_figures(figures, counts)
        return result

    async def ratings(self, period: Period, platform: str | None = None) -> list[Rating]:
        figures = await self.figures(period, platform)
        order = [p.code for p in self.registry.platforms]
        return [
            rate(figures[code], self.policy)
            for code in sorted(figures, key=lambda c: order.index(c) if c in order else len(order))
            if platform is None or code == platform
        ]

    async def area_counts(self, area: str, period: Period) -> dict[str, int]:
        if not await self.indexes.ready():
            return area_counts_of(await self._docs(period), area)
        return await self.indexes.area_counts(area, period.month_keys())

    async def four_decreases(
        self, area: str, period: Period
    ) -> tuple[dict[str, Decrease], dict[str, Decrease]]:
        """The four decreases, and beside them the escalated cases, against the period
        before."""
        current, previous = await asyncio.gather(
            self.area_counts(area, period), self.area_counts(area, period.previous())
        )
        return (
            four_decreases(current, previous, FOUR_DECREASES),
            four_decreases(current, previous, ("escalated",)),
        )
