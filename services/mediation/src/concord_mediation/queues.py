"""A platform's queue: its cases not closed (all of them, however old), then those closed
there in recent months; optionally with the platforms below it, or only the open cases
that need a leader's attention. Read from the platform's lists of case ids
(adapters/indexes.py), each case then by its `_id`."""

import base64
import binascii
import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, tzinfo
from functools import partial
from typing import Any

from concord_shared.clock import Clock
from concord_shared.enums import CaseStatus, Severity
from concord_shared.registry import Registry

from concord_mediation.adapters.indexes import CaseIndexes, unique
from concord_mediation.adapters.repository import MediationRepository

# Closed cases are shown from the current month and the two before (by when they closed).
RECENT_MONTHS = 3
OPEN = "open"  # the section of the cases not closed, before the months of closings
# What ordering a section, checking its entries and choosing what needs attention read of a
# case; a page then fetches its own cases whole, so a page costs its sections' cases in
# these few fields, not whole, and only its own whole.
SORTED_BY = ("platform", "status", "closed_at", "opened_at", "received_at", "severity", "deadlines")
_MONTH = re.compile(r"\d{4}-\d{2}")


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


def opened_ms(doc: dict[str, Any]) -> int:
    moment = doc.get("opened_at") or doc.get("received_at")
    return round(moment.timestamp() * 1000) if isinstance(moment, datetime) else 0


def _order(doc: dict[str, Any]) -> tuple[int, str]:
    """Newest opened first; the case id breaks a tie, so a mark falls between two cases."""
    return opened_ms(doc), str(doc["_id"])


def _newest_first(docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(_dedupe(docs), key=_order, reverse=True)


@dataclass(frozen=True)
class Mark:
    """Where a page ended: its last case's section (`open`, or the month it closed in,
    `YYYY-MM`) and place in it. The next page starts right after it, so a case opened or
    closed meanwhile moves no other case from one page to the next."""

    section: str
    opened: int  # ms since the epoch
    case_id: str

    def encode(self) -> str:
        text = json.dumps([self.section, self.opened, self.case_id], separators=(",", ":"))
        return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, text: str) -> "Mark":
        """The mark a page's cursor stands for; ValueError for anything else."""
        try:
            raw = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
        except (ValueError, binascii.Error) as exc:
            raise ValueError("not a cursor this list gave") from exc
        if (
            not isinstance(raw, list)
            or len(raw) != 3
            or not isinstance(raw[0], str)
            or not (raw[0] == OPEN or _MONTH.fullmatch(raw[0]))
            or not isinstance(raw[1], int)
            or not isinstance(raw[2], str)
        ):
            raise ValueError("not a cursor this list gave")
        return cls(raw[0], raw[1], raw[2])

    def precedes(self, section: str) -> bool:
        """Whether any case of `section` may come after the mark: the open section comes
        first, then the months newest first (a month no longer shown is passed over)."""
        if self.section == OPEN:
            return True
        return section != OPEN and section <= self.section


@dataclass
class Page:
    cases: list[dict[str, Any]]
    next: Mark | None  # None: this was the last page


Loader = Callable[[], Awaitable[list[dict[str, Any]]]]


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
        limit: int,
        after: Mark | None = None,
    ) -> Page:
        """Open cases first, newest first; then (unless `attention`) the closed ones, month
        by month and newest first in each; at most `limit` of them, from just after the
        mark. A month of closings is read only when the page reaches into it, so a page
        costs the open cases and about a month of closings, not the three months."""
        now = self.clock.now()
        platforms = self.platforms(platform, include_below)
        months = [] if attention else recent_months(now, self.tz)
        if await self.indexes.ready():
            sections = self._listed(platforms, months)
        else:  # a store whose older cases are not indexed yet: as before, 100 per platform
            sections = await self._unindexed(platforms, months)
        if attention:
            sections = [(OPEN, _attention(sections[0][1], now))]
        page = await _page(sections, limit, after)
        return Page(await self._whole(page.cases), page.next)

    async def _whole(self, cases: list[dict[str, Any]]) -> list[dict[str, Any]]:
        whole = {str(d["_id"]): d for d in await self.repo.by_ids([str(c["_id"]) for c in cases])}
        return [whole.get(str(c["_id"]), c) for c in cases]

    def _listed(self, platforms: list[str], months: list[str]) -> list[tuple[str, Loader]]:
        async def listed(month: str | None) -> list[dict[str, Any]]:
            if month is None:
                ids, _ = await self.indexes.queue_ids(platforms, [], closed=False)
            else:
                ids = await self.indexes.closed_ids(platforms, month)
            return await self._checked(ids, month)

        return [(OPEN, partial(listed, None)), *((m, partial(listed, m)) for m in months)]

    async def _unindexed(self, platforms: list[str], months: list[str]) -> list[tuple[str, Loader]]:
        docs = [d for p in platforms for d in await self.repo.at_platform(p)]

        def section_of(doc: dict[str, Any]) -> str | None:
            if self.indexes.open_key(doc):
                return OPEN
            closed = self.indexes.closed_key(doc)
            return closed.rpartition(":")[2] if closed else None

        def of(section: str) -> Loader:
            async def load() -> list[dict[str, Any]]:
                return [d for d in docs if section_of(d) == section]

            return load

        return [(s, of(s)) for s in (OPEN, *months)]

    async def _checked(
        self, listed: dict[str, list[str]], month: str | None
    ) -> list[dict[str, Any]]:
        """The listed cases still listed so: at that platform, and open, or closed in that
        month. The others moved on since (their entries are removed after the write)."""
        ids = unique(i for entries in listed.values() for i in entries)
        found = {str(d["_id"]): d for d in await self.repo.by_ids(ids, SORTED_BY)}
        return [
            found[i]
            for p, entries in listed.items()
            for i in entries
            if i in found
            and (
                self.indexes.open_key(found[i]) == f"open:{p}"
                if month is None
                else self.indexes.closed_key(found[i]) == f"closed:{p}:{month}"
            )
        ]


def _attention(load: Loader, now: datetime) -> Loader:
    async def flagged() -> list[dict[str, Any]]:
        return [d for d in await load() if needs_attention(d, now)]

    return flagged


async def _page(sections: list[tuple[str, Loader]], limit: int, after: Mark | None) -> Page:
    """The cases after the mark, section by section, until the page is full; one case more
    tells whether another page follows. Sections wholly before the mark are not read."""
    shown: list[tuple[str, dict[str, Any]]] = []
    for section, load in sections:
        if after is not None and not after.precedes(section):
            continue
        ordered = _newest_first(await load())
        if after is not None and section == after.section:
            ordered = [d for d in ordered if _order(d) < (after.opened, after.case_id)]
        for doc in ordered:
            if len(shown) == limit:
                last_section, last = shown[-1]
                mark = Mark(last_section, opened_ms(last), str(last["_id"]))
                return Page([d for _, d in shown], mark)
            shown.append((section, doc))
    return Page([d for _, d in shown], None)


def _dedupe(docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return list({str(d["_id"]): d for d in docs}.values())
