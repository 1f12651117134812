"""A platform's queue: its cases not closed (all of them, however old), then those closed
there in recent months; optionally with the platforms below it, or only the open cases
that need a leader's attention. Read from the platform's lists of case ids
(adapters/indexes.py), each case then by its `_id`."""

from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

from concord_shared.clock import Clock
from concord_shared.enums import CaseStatus, Severity
from concord_shared.registry import Registry

from concord_mediation.adapters.indexes import CaseIndexes, unique
from concord_mediation.adapters.repository import MediationRepository

# Closed cases are shown from the current month and the two before (by when they closed).
RECENT_MONTHS = 3


def recent_months(now: datetime, tz: tzinfo, count: int = RECENT_MONTHS) -> list[str]:
    local = now.astimezone(tz)
    index = local.year * 12 + local.month - 1
    return [f"{(index - i) // 12}-{(index - i) % 12 + 1:02d}" for i in range(count)]


def needs_attention(doc: dict[str, Any], now: datetime) -> bool:
    """Open and high severity, or past a running (active, not paused) deadline."""
    if doc.get("status") == CaseStatus.CLOSED:
        return False
    if doc.get("severity") == Severity.HIGH:
        return True
    for timer in (doc.get("deadlines") or {}).values():
        if not isinstance(timer, dict) or not timer.get("active") or timer.get("paused_at"):
            continue
        due = timer.get("due_at")
        if timer.get("breached") or (isinstance(due, datetime) and due <= now):
            return True
    return False


def _newest_first(docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    def opened(doc: dict[str, Any]) -> float:
        moment = doc.get("opened_at") or doc.get("received_at")
        return moment.timestamp() if isinstance(moment, datetime) else 0.0

    return sorted(docs, key=opened, reverse=True)


@dataclass
class Queues:
    repo: MediationRepository
    indexes: CaseIndexes
    registry: Registry
    clock: Clock
    tz: tzinfo

    def platforms(self, platform: str, include_below: bool) -> list[str]:
        if not include_below:
            return [platform]
        below = [
            p.code
            for p in self.registry.platforms
            if p.code != platform and self.registry.is_at_or_below(p.code, platform)
        ]
        return [platform, *below]

    async def cases(
        self,
        platform: str,
        *,
        include_below: bool = False,
        attention: bool = False,
        limit: int | None = None,
    ) -> list[dict[str, Any]]:
        """Open cases first, newest first; then (unless `attention`) the closed ones, newest
        first month by month; at most `limit` in all. With a limit, a month of closings is
        read only while the limit is not reached, so a page costs the open cases and a
        month or so of closings, not the three months."""
        now = self.clock.now()
        platforms = self.platforms(platform, include_below)
        if await self.indexes.ready():
            opened, closed = await self._listed(platforms, now, closed=not attention, limit=limit)
        else:  # a store whose older cases are not indexed yet: as before, 100 per platform
            docs = [d for p in platforms for d in await self.repo.at_platform(p)]
            opened = [d for d in docs if d.get("status") != CaseStatus.CLOSED]
            closed = _newest_first([d for d in docs if d.get("status") == CaseStatus.CLOSED])
        if attention:
            return _newest_first([d for d in opened if needs_attention(d, now)])[:limit]
        return [*_newest_first(opened), *closed][:limit]

    async def _listed(
        self, platforms: list[str], now: datetime, *, closed: bool, limit: int | None
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        open_ids, _ = await self.indexes.queue_ids(platforms, [], closed=False)
        # An entry is checked against its case: one that moved on is left out.
        open_docs = await self._checked(platforms, open_ids, closed=False)
        closed_docs: list[dict[str, Any]] = []
        for month in recent_months(now, self.tz) if closed else []:
            if limit is not None and len(open_docs) + len(closed_docs) >= limit:
                break
            month_ids = await self.indexes.closed_ids(platforms, month)
            closed_docs += _newest_first(await self._checked(platforms, month_ids, closed=True))
        return open_docs, _dedupe(closed_docs)

    async def _checked(
        self, platforms: list[str], listed: dict[str, list[str]], *, closed: bool
    ) -> list[dict[str, Any]]:
        """The listed cases still at their platform and (not) closed: the others moved on."""
        ids = unique(i for p in platforms for i in listed.get(p, []))
        found = {str(d["_id"]): d for d in await self.repo.by_ids(ids)}
        return _dedupe(
            [
                found[i]
                for p in platforms
                for i in listed.get(p, [])
                if i in found
                and found[i]["platform"] == p
                and (found[i].get("status") == CaseStatus.CLOSED) == closed
            ]
        )


def _dedupe(docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return list({str(d["_id"]): d for d in docs}.values())
