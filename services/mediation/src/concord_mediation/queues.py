"""A platform's queue: its cases not closed (all of them, however old), then those closed
there in recent months; optionally with the platforms below it, or only the open cases
that need a leader's attention. Ordered and paged from the platform's lists (their entries
hold when each case opened, adapters/indexes.py); only the cases a page shows are read, by
their `_id`."""

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

from concord_mediation.adapters.indexes import CaseIndexes, opened_ms
from concord_mediation.adapters.repository import MediationRepository

# Closed cases are shown from the current month and the two before (by when they closed).
RECENT_MONTHS = 3
OPEN = "open"  # the section of the cases not closed, before the months of closings
# What checking an entry against its case and choosing what needs attention read of a case:
# the attention list reads every open case in these few fields, then its page's cases whole.
ATTENTION_FIELDS = (
    "platform",
    "status",
    "closed_at",
    "opened_at",
    "received_at",
    "severity",
    "deadlines",
)
# Cases read at a time while a page fills: what it still lacks, at least this many (entries
# that turn out stale, or not needing attention, are passed over and the next ones read).
READ_LEAST = 20
# ... and for the attention list, which passes over most open cases: larger reads, so a
# platform of thousands of open cases costs a few round trips, not one per twenty.
ATTENTION_READ_LEAST = 500
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


@dataclass(frozen=True, order=True)
class Entry:
    """A case as a section lists it. Entries compare by when their case opened, then by its
    id (a tie), so a mark falls between two cases; a queue shows them from the greatest
    (newest). `platform` is the list it was read from."""

    opened: int  # ms since the epoch
    case_id: str
    platform: str


def _newest_first(entries: list[Entry]) -> list[Entry]:
    return sorted(set(entries), reverse=True)


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


Loader = Callable[[], Awaitable[list[Entry]]]  # a section's entries, unchecked, any order
# Of a section's entries, the cases still listed so (and shown), in the entries' order.
Reader = Callable[[str, list[Entry]], Awaitable[list[dict[str, Any]]]]


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
        mark. A page reads its sections' lists, then only the cases it shows (and those it
        passes over: stale entries, or not needing attention); a month of closings is not
        even listed unless the page reaches into it."""
        now = self.clock.now()
        platforms = self.platforms(platform, include_below)
        months = [] if attention else recent_months(now, self.tz)
        fields = ATTENTION_FIELDS if attention else None
        if await self.indexes.ready():
            sections: list[tuple[str, Loader]] = [
                (s, partial(self._listed, platforms, s)) for s in (OPEN, *months)
            ]
            read: Reader = partial(self._read, fields=fields)
        else:  # a store whose older cases are not indexed yet: as before, 100 per platform
            sections, read = await self._unindexed(platforms, months)
        if attention:
            read = _attention(read, now)
        least = ATTENTION_READ_LEAST if attention else READ_LEAST
        page = await _page(sections, limit, after, read, least)
        if attention:
            page.cases = await self._whole(page.cases)
        return page

    async def _whole(self, cases: list[dict[str, Any]]) -> list[dict[str, Any]]:
        whole = {str(d["_id"]): d for d in await self.repo.by_ids([str(c["_id"]) for c in cases])}
        return [whole.get(str(c["_id"]), c) for c in cases]

    async def _listed(self, platforms: list[str], section: str) -> list[Entry]:
        """The section's entries; those a store from before listed by bare id are given
        their opening time from their cases."""
        listed = await self.indexes.listed(platforms, None if section == OPEN else section)
        bare = [i for entries in listed.values() for opened, i in entries if opened is None]
        times = {
            str(d["_id"]): opened_ms(d)
            for d in await self.repo.by_ids(bare, ("opened_at", "received_at"))
        }
        return [
            Entry(opened if opened is not None else times[i], i, p)
            for p, entries in listed.items()
            for opened, i in entries
            if opened is not None or i in times
        ]

    async def _read(
        self, section: str, entries: list[Entry], fields: tuple[str, ...] | None
    ) -> list[dict[str, Any]]:
        """The entries' cases that are still listed so: at that platform, and open, or
        closed in that month, opened when the entry says. Others moved on since (their
        entries are removed after the write)."""
        found = {
            str(d["_id"]): d for d in await self.repo.by_ids([e.case_id for e in entries], fields)
        }
        return [
            found[e.case_id]
            for e in entries
            if e.case_id in found and self._still(found[e.case_id], section, e)
        ]

    def _still(self, doc: dict[str, Any], section: str, entry: Entry) -> bool:
        if opened_ms(doc) != entry.opened:
            return False
        if section == OPEN:
            return self.indexes.open_key(doc) == f"open:{entry.platform}"
        return self.indexes.closed_key(doc) == f"closed:{entry.platform}:{section}"

    async def _unindexed(
        self, platforms: list[str], months: list[str]
    ) -> tuple[list[tuple[str, Loader]], Reader]:
        docs = {str(d["_id"]): d for p in platforms for d in await self.repo.at_platform(p)}

        def section_of(doc: dict[str, Any]) -> str | None:
            if self.indexes.open_key(doc):
                return OPEN
            closed = self.indexes.closed_key(doc)
            return closed.rpartition(":")[2] if closed else None

        def of(section: str) -> Loader:
            async def load() -> list[Entry]:
                return [
                    Entry(opened_ms(d), i, str(d["platform"]))
                    for i, d in docs.items()
                    if section_of(d) == section
                ]

            return load

        async def read(section: str, entries: list[Entry]) -> list[dict[str, Any]]:
            return [docs[e.case_id] for e in entries]

        return [(s, of(s)) for s in (OPEN, *months)], read


def _attention(read: Reader, now: datetime) -> Reader:
    async def flagged(section: str, entries: list[Entry]) -> list[dict[str, Any]]:
        return [d for d in await read(section, entries) if needs_attention(d, now)]

    return flagged


async def _page(
    sections: list[tuple[str, Loader]],
    limit: int,
    after: Mark | None,
    read: Reader,
    least: int = READ_LEAST,
) -> Page:
    """The cases after the mark, section by section, until the page is full; one case more
    tells whether another page follows. Sections wholly before the mark are not listed;
    of a section's entries, those after the mark are read a few at a time, as many as the
    page still lacks (the entries order the cases; only the cases shown are read)."""
    shown: list[tuple[str, dict[str, Any]]] = []
    for section, load in sections:
        if after is not None and not after.precedes(section):
            continue
        entries = _newest_first(await load())
        if after is not None and section == after.section:
            entries = [e for e in entries if (e.opened, e.case_id) < (after.opened, after.case_id)]
        first = 0
        while first < len(entries):
            size = max(limit + 1 - len(shown), least)
            chunk, first = entries[first : first + size], first + size
            for doc in await read(section, chunk):
                if len(shown) == limit:
                    last_section, last = shown[-1]
                    mark = Mark(last_section, opened_ms(last), str(last["_id"]))
                    return Page([d for _, d in shown], mark)
                shown.append((section, doc))
    return Page([d for _, d in shown], None)
