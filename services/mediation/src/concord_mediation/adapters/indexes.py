"""Mediation's index documents: what is looked up by something other than a case's `_id`
(what falls due, a platform's cases, the figures of a month) kept in small documents read by
`_id` (concord_shared.keyed_sets), so no look-up reads every case ever stored.

- `case_timers` (DueBuckets): each case's next timer, by the hour it falls due.
- `case_lists` (KeyedSets, 8 shards a key): `open:<platform>` the cases at a platform not closed;
  `closed:<platform>:<YYYY-MM>` those closed there in a month, each entry `<opened ms>|<id>`
  so a queue orders a list and chooses its page from the list alone, then reads only the
  page's cases (a store from before kept bare ids: read as entries whose time is not known,
  removed with the case's entry, gone once those cases closed and their months passed);
  `counting` the cases whose counters are being written (a repair finishes them should a
  process die in between).
- `case_counters` (Tallies, one book per month of receipt): each case's counts under
  `rating:<origin platform>` and `area:<code prefix>`, set under its id (never added: a
  retried write or a redelivered event sets the same value again) in one of a few shard
  documents, the sums kept per shard and recomputed only where something changed, and the
  month's totals kept whole for a month nothing changed in since.
- `index_state`: `backfill`, written once every case stored before these indexes existed
  has been indexed.

Write order (no transaction across documents): an entry is added before the write of the
case that makes it belong, removed after the write that makes it not; readers check each
entry against its case. A new case is inserted first and then indexed: its duplicate (a
redelivered CaseAssigned) indexes it again, so a crash in between loses nothing.
"""

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

import structlog
from concord_shared.enums import CaseStatus
from concord_shared.keyed_sets import DueBuckets, KeyedSets, Tallies
from concord_shared.store import Document
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import OperationFailure

from concord_mediation.adapters.locks import CaseLocks, LockTimeout
from concord_mediation.adapters.repository import CASES
from concord_mediation.domain.figures import (
    COUNTS,
    INDICATORS,
    area_contribution,
    area_prefixes,
    month_of,
    rating_contribution,
)

log = structlog.get_logger(__name__)

TIMERS = "case_timers"
LISTS = "case_lists"
COUNTERS = "case_counters"
STATE = "index_state"
# A county platform closes thousands of cases a month; each list write rewrites one shard.
LIST_SHARDS = 8
COUNTING = "counting"
BACKFILL = "backfill"
BACKFILL_BATCH = 1000  # cases read, then indexed together

ReadCase = Callable[[str], Awaitable[dict[str, Any] | None]]
# An entry of a case list as read: when the case opened (ms since the epoch; None for a bare
# id a store from before wrote) and the case id.
Listed = tuple[int | None, str]


def to_ms(moment: datetime) -> datetime:
    """The store keeps milliseconds: a due time as it reads back from a case."""
    return moment.astimezone(UTC).replace(microsecond=moment.microsecond // 1000 * 1000)


def _due(doc: dict[str, Any] | None) -> datetime | None:
    moment = (doc or {}).get("next_timer_at")
    return to_ms(moment) if isinstance(moment, datetime) else None


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def opened_ms(doc: dict[str, Any]) -> int:
    """When the case opened at mediation, as its list entries hold it: what a queue sorts by.
    Whole milliseconds, cut as the store cuts them, so an entry made from a case in memory
    equals one made from the case read back."""
    moment = doc.get("opened_at") or doc.get("received_at")
    if not isinstance(moment, datetime):
        return 0
    return (moment.astimezone(UTC) - _EPOCH) // timedelta(milliseconds=1)


def list_entry(doc: dict[str, Any]) -> str:
    return f"{opened_ms(doc)}|{doc['_id']}"


def parse_entry(member: str) -> Listed:
    opened, bar, case_id = member.partition("|")
    return (int(opened), case_id) if bar else (None, member)


def _case_of(member: str) -> str:
    """The case a list member stands for: its entry and a bare id share a shard."""
    return member.rpartition("|")[2]


class CaseIndexes:
    def __init__(self, db: AsyncDatabase[Document], tz: tzinfo) -> None:
        self.timers = DueBuckets(db[TIMERS])
        self.lists = KeyedSets(db[LISTS], shards=LIST_SHARDS, shard_on=_case_of)
        self._tallies = Tallies(db[COUNTERS], {"rating": COUNTS, "area": INDICATORS})
        self._state = db[STATE]
        self._db = db
        self.tz = tz
        self._ready = False

    # --- which entries a case has ---------------------------------------------------------

    def open_key(self, doc: dict[str, Any] | None) -> str | None:
        if doc is None or doc.get("status") == CaseStatus.CLOSED:
            return None
        return f"open:{doc['platform']}"

    def closed_key(self, doc: dict[str, Any] | None) -> str | None:
        if doc is None or doc.get("status") != CaseStatus.CLOSED:
            return None
        closed = doc.get("closed_at")
        if not isinstance(closed, datetime):
            return None
        return f"closed:{doc['platform']}:{month_of(closed, self.tz)}"

    # --- writing --------------------------------------------------------------------------

    async def before(self, old: dict[str, Any], new: dict[str, Any]) -> None:
        """Entries the written case will belong to, added before the write."""
        case_id = str(old["_id"])
        steps = []
        due = _due(new)
        if due is not None and due != _due(old):
            steps.append(self.timers.add(case_id, due))
        for key, entry in self._entries(new) - self._entries(old):
            steps.append(self.lists.add(key, entry))
        if self._contribution(new) != self._contribution(old):
            steps.append(self.lists.add(COUNTING, case_id))
        await asyncio.gather(*steps)

    async def after(self, old: dict[str, Any], new: dict[str, Any]) -> None:
        """Entries the written case left, removed after the write; its counters set. A
        failure here leaves a stale entry (readers skip it) or a case in `counting`."""
        case_id = str(old["_id"])
        try:
            steps = []
            due = _due(old)
            if due is not None and due != _due(new):
                steps.append(self.timers.remove(case_id, due))
            for key, entry in self._entries(old) - self._entries(new):
                # With the bare id an older store may have listed it by (one shard).
                steps.append(self.lists.remove(key, entry, case_id))
            await asyncio.gather(*steps)
            if self._contribution(new) != self._contribution(old):
                await self.set_counters(new)
                await self.lists.remove(COUNTING, case_id)
        except Exception:
            log.warning("case indexes not updated after a write", case_id=case_id, exc_info=True)

    async def index_case(self, doc: dict[str, Any], *, counters: bool = True) -> None:
        """Every entry of a stored case (idempotent): a new case after its insert (its
        counters were set before), a case whose CaseAssigned came again, a case stored
        before the indexes (the backfill). Counters only under the case's lock or before
        the case exists, so that an older state never overwrites a newer one."""
        case_id = str(doc["_id"])
        steps = [self.lists.add(key, entry) for key, entry in self._entries(doc)]
        due = _due(doc)
        if due is not None:
            steps.append(self.timers.add(case_id, due))
        if counters:
            steps.append(self.set_counters(doc))
        await asyncio.gather(*steps)

    def _entries(self, doc: dict[str, Any] | None) -> set[tuple[str, str]]:
        """The (list, entry) pairs the case belongs to."""
        if doc is None:
            return set()
        keys = (self.open_key(doc), self.closed_key(doc))
        return {(key, list_entry(doc)) for key in keys if key is not None}

    def _contribution(self, doc: dict[str, Any] | None) -> dict[str, dict[str, int]]:
        """The case's counts under each key of its month: its origin's rating, and the four
        decreases of every area its code lies in."""
        received = (doc or {}).get("received_at")
        if doc is None or not isinstance(received, datetime) or not doc.get("origin_platform"):
            return {}
        area = area_contribution(doc)
        return {
            f"rating:{doc['origin_platform']}": rating_contribution(doc),
            **{f"area:{prefix}": area for prefix in area_prefixes(doc)},
        }

    async def set_counters(self, doc: dict[str, Any]) -> None:
        """The case's current contribution, under its id, in its month's counters."""
        counts = self._contribution(doc)
        if counts:
            month = month_of(doc["received_at"], self.tz)
            await self._tallies.set(month, str(doc["_id"]), counts)

    async def repair_counters(self, locks: CaseLocks, read: ReadCase) -> int:
        """Set the counters of cases a process left in `counting` (it died after writing the
        case, before its counters); under the case's lock, so no writer is half-way."""
        repaired = 0
        for case_id in await self.lists.members(COUNTING):
            try:
                async with locks.hold(case_id):
                    doc = await read(case_id)
                    if doc is not None:
                        await self.set_counters(doc)
                    await self.lists.remove(COUNTING, case_id)
                    repaired += 1
            except LockTimeout:
                continue  # its writer is at work; next time
        return repaired

    # --- reading --------------------------------------------------------------------------

    async def listed(self, platforms: list[str], month: str | None) -> dict[str, list[Listed]]:
        """Per platform, the entries listed as open there (`month` None) or as closed there
        in `month`: unchecked (an entry is added before its case's write, removed after)."""
        keys = {p: f"open:{p}" if month is None else f"closed:{p}:{month}" for p in platforms}
        found = await self.lists.members_of(keys.values())
        return {p: [parse_entry(m) for m in found[k]] for p, k in keys.items()}

    async def _month_totals(self, months: list[str]) -> list[dict[str, dict[str, int]]]:
        return list(await asyncio.gather(*(self._tallies.totals(m) for m in months)))

    async def rating_counts(
        self, months: list[str], platform: str | None = None
    ) -> dict[str, dict[str, int]]:
        """Per platform, the rating counts of the cases first received there in `months`."""
        result: dict[str, dict[str, int]] = {}
        for month in await self._month_totals(months):
            for key, counts in month.items():
                kind, _, origin = key.partition(":")
                if kind != "rating" or (platform is not None and origin != platform):
                    continue
                total = result.setdefault(origin, dict.fromkeys(COUNTS, 0))
                for name, value in counts.items():
                    total[name] += value
        return result

    async def area_counts(self, area: str, months: list[str]) -> dict[str, int]:
        """The four decreases' counts of the cases received in the area in `months`."""
        total = dict.fromkeys(INDICATORS, 0)
        for month in await self._month_totals(months):
            for name, value in month.get(f"area:{area}", {}).items():
                total[name] += value
        return total

    # --- cases stored before the indexes ---------------------------------------------------

    async def ready(self) -> bool:
        """Whether every stored case is indexed (until then readers use the old queries)."""
        if not self._ready:
            state = await self._state.find_one({"_id": BACKFILL})
            self._ready = bool(state and state.get("done_at"))
        return self._ready

    async def _stored_cases(self) -> int:
        """How many cases the store holds, without reading them (collStats)."""
        if CASES not in await self._db.list_collection_names():
            return 0
        try:
            stats = await self._db.command("collStats", CASES)
        except OperationFailure:
            return 1  # cannot tell: index whatever is there
        return int(stats.get("count", 1))

    async def backfill(self, locks: CaseLocks, read: ReadCase, now: datetime) -> int:
        """Index, once, every case stored before the indexes existed; then mark it done.

        In bulk, not case by case under its lock: a store of years holds 100,000 cases, and
        a lock, a read and a few writes each took minutes. Lists and timers from one read
        of the cases are safe whatever writers do meanwhile (an entry from an older state
        is one readers skip; a writer adds its own). Counters are not: one set from an older
        state would overwrite a writer's newer one. So the cases whose `rev` moved since the
        first read (a second read, of `rev` only, after the counters were set) are indexed
        again one by one under their lock, read afresh."""
        if await self.ready():
            return 0
        revs: dict[str, int] = {}
        if await self._stored_cases():
            # The only reads of the whole case collection, once per store.
            batch: list[dict[str, Any]] = []
            async for doc in self._db[CASES].find({}):
                revs[str(doc["_id"])] = int(doc.get("rev", 0))
                batch.append(doc)
                if len(batch) >= BACKFILL_BATCH:
                    await self._index_many(batch)
                    batch = []
            await self._index_many(batch)
            moved = [
                str(d["_id"])
                async for d in self._db[CASES].find({}, {"rev": 1})
                if revs.get(str(d["_id"])) != int(d.get("rev", 0))
            ]
            await self._index_under_lock(locks, read, moved)
        await self._state.update_one(
            {"_id": BACKFILL}, {"$set": {"done_at": now, "cases": len(revs)}}, upsert=True
        )
        self._ready = True
        log.info("case indexes backfilled", cases=len(revs))
        return len(revs)

    async def _index_many(self, docs: list[dict[str, Any]]) -> None:
        """Every entry of these cases, one update per index document they fall in."""
        lists: dict[str, list[str]] = {}
        timers: list[tuple[str, datetime]] = []
        counters: dict[str, dict[str, dict[str, dict[str, int]]]] = {}
        for doc in docs:
            case_id = str(doc["_id"])
            for key, entry in self._entries(doc):
                lists.setdefault(key, []).append(entry)
            due = _due(doc)
            if due is not None:
                timers.append((case_id, due))
            counts = self._contribution(doc)
            if counts:
                counters.setdefault(month_of(doc["received_at"], self.tz), {})[case_id] = counts
        await asyncio.gather(
            *(self.lists.add(key, *ids) for key, ids in lists.items()),
            self.timers.add_many(timers),
            *(self._tallies.set_many(month, members) for month, members in counters.items()),
        )

    async def _index_under_lock(self, locks: CaseLocks, read: ReadCase, ids: list[str]) -> None:
        limit = asyncio.Semaphore(8)

        async def one(case_id: str) -> None:
            async with limit:
                for _ in range(10):
                    try:
                        async with locks.hold(case_id):
                            doc = await read(case_id)
                            if doc is not None:
                                await self.index_case(doc)
                        return
                    except LockTimeout:
                        continue
                raise LockTimeout(f"case {case_id} stayed locked during the backfill")

        await asyncio.gather(*(one(i) for i in ids))


def unique(ids: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(ids))
