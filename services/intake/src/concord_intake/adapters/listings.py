"""The indexes behind intake's listings (Open311 requests and updates), keyed by `_id`.

A range query on the cases (`received_at`, `public.updated_at`) reads the whole collection on
the local store, so the listings read small day documents instead (`listing_index`):

- `received:<day>`: one member `<received_at>|<category>|<case_id>` per case received that
  day (UTC), so a listing filters by time and service and sorts without fetching a case, and
  then fetches only the cases it shows (by `_id`).
- `updated:<day>`: the ids of the cases with a public status update that day; `updated-days`
  lists the days that have one, so a range reaching back years reads only days with updates.
- Each day's set is spread over DAY_SHARDS documents (`received:<day>#<n>`, by a hash of the
  entry) and read with the bare `received:<day>` a store from before kept.

Members are added before the write that makes them true (a case's insert, its status
update); a reader checks every case it fetches against the entry, so an entry whose write
never happened or lost to an earlier one (a retried registration) is dropped, never shown.

Stores from before these indexes: `backfill` fills them once from the cases (the only read
of the whole collection, at the first start) and marks that done in `{_id: "backfill"}`.
"""

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime, timedelta

from concord_shared.keyed_sets import KeyedSets, documents
from concord_shared.store import Document
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from concord_intake.domain.cases import CaseRecord

LISTING_INDEX = "listing_index"
UPDATE_DAYS = "updated-days"
BACKFILL = "backfill"
_FETCH = 200  # cases fetched at a time while a listing fills up
_FETCH_LEAST = 10  # ... and at least this many, when a page is nearly full
# A day's entries over this many documents: every registration and public update rewrites
# the document it lands in, and one document of a busy day's thousands of entries (300 kB
# at 3,000 cases) made each write cost more as the day went on. Few, as a listing reads
# every shard of each day in its range (up to 91).
DAY_SHARDS = 4
_PER_DAY = ("received:", "updated:")


def _ms(moment: datetime) -> datetime:
    """The store keeps milliseconds: entries and bounds compare as the store would."""
    moment = moment.astimezone(UTC)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def _day(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d")


def _days(start: datetime, end: datetime) -> list[str]:
    days, current = [], start.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    while current <= end:
        days.append(_day(current))
        current += timedelta(days=1)
    return days


def received_entry(case_id: str, category: str, received_at: datetime) -> str:
    return f"{_ms(received_at).isoformat()}|{category}|{case_id}"


def _received(case_id: str, category: str, received_at: datetime) -> tuple[str, str]:
    """The day document and entry of a received case."""
    return f"received:{_day(received_at)}", received_entry(case_id, category, received_at)


def _parse_received(entry: str) -> tuple[datetime, str, str]:
    at, _, rest = entry.partition("|")
    category, _, case_id = rest.rpartition("|")
    return datetime.fromisoformat(at), category, case_id


class CaseListings:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._db = db
        self._cases = db["cases"]
        self._index = db[LISTING_INDEX]
        self._sets = KeyedSets(self._index, shards=DAY_SHARDS, only=_PER_DAY)

    # --- writing ------------------------------------------------------------------------

    async def received(self, records: Sequence[CaseRecord]) -> None:
        """Index cases about to be inserted (before the insert)."""
        await self._push(_received(r.case_id, r.category, r.received_at) for r in records)

    async def not_received(self, records: Sequence[CaseRecord]) -> None:
        """Drop the entries of registrations whose insert found the case already there (a
        retry: the stored case keeps its own entry, which these are not)."""
        by_day: dict[str, list[str]] = defaultdict(list)
        for r in records:
            key, entry = _received(r.case_id, r.category, r.received_at)
            by_day[key].append(entry)
        for key, entries in by_day.items():
            await self._sets.remove(key, *entries)

    async def updated(self, case_id: str, at: datetime) -> None:
        """Index a public status update (before it is written)."""
        await self._sets.add(UPDATE_DAYS, _day(at))
        await self._sets.add(f"updated:{_day(at)}", case_id)

    async def _push(self, entries: Iterable[tuple[str, str]]) -> None:
        await self._sets.add_many(entries)

    # --- reading ------------------------------------------------------------------------

    async def received_between(
        self,
        start: datetime,
        end: datetime,
        categories: set[str] | None,
        limit: int,
        *,
        keep: Callable[[CaseRecord], bool] = lambda record: True,
        skip: int = 0,
    ) -> list[CaseRecord]:
        """The cases received in [start, end] (of these categories, and that `keep`),
        newest first, after the first `skip` of them, at most `limit`: the day documents of
        the range, then only the cases up to the last shown (a page reads what it shows and
        the pages before it, not the whole range)."""
        low, high = _ms(start), _ms(end)
        days = await self._sets.members_of(f"received:{d}" for d in _days(start, end))
        wanted = []
        for entries in days.values():
            for entry in entries:
                at, category, case_id = _parse_received(entry)
                if low <= at <= high and (categories is None or category in categories):
                    wanted.append((at, category, case_id))
        wanted.sort(key=lambda w: w[0], reverse=True)
        found: list[CaseRecord] = []
        shown: set[str] = set()
        first = 0
        while first < len(wanted):
            # What the page still needs (entries a listing skips are few), at most _FETCH.
            size = min(_FETCH, max(skip + limit - len(found), _FETCH_LEAST))
            chunk = wanted[first : first + size]
            first += size
            docs = {d["_id"]: d for d in await documents(self._cases, [w[2] for w in chunk])}
            for at, category, case_id in chunk:
                doc = docs.get(case_id)
                if (
                    doc is None
                    or case_id in shown
                    or doc["category"] != category
                    or _ms(doc["received_at"]) != at
                ):
                    continue  # never inserted, or a retry's entry: the case has its own
                shown.add(case_id)
                record = CaseRecord.model_validate(doc)
                if not keep(record):
                    continue
                if skip:
                    skip -= 1
                    continue
                found.append(record)
                if len(found) >= limit:
                    return found
        return found

    async def updated_between(self, start: datetime, end: datetime, limit: int) -> list[Document]:
        """The cases whose latest public update falls in [start, end] (receipt number, kind,
        platform and updates), day by day from the oldest; stops after the day by which
        `limit` updates of listed cases are found, so the oldest `limit` are all there."""
        low, high = _ms(start), _ms(end)
        days = sorted(
            d for d in await self._sets.members(UPDATE_DAYS) if _day(start) <= d <= _day(end)
        )
        seen: set[str] = set()
        found: list[Document] = []
        updates = 0
        for day in days:
            ids = [i for i in await self._sets.members(f"updated:{day}") if i not in seen]
            seen.update(ids)
            for doc in await documents(self._cases, ids):
                latest = doc.get("public", {}).get("updated_at")
                if latest is None or not low <= _ms(latest) <= high:
                    continue
                found.append(
                    {
                        k: doc[k]
                        for k in ("_id", "receipt_number", "public_updates", "kind", "platform")
                        if k in doc
                    }
                )
                if doc.get("kind") != "early_warning":
                    updates += sum(start <= u["at"] <= end for u in doc.get("public_updates", []))
            if updates >= limit:
                break
        return found

    # --- stores from before the indexes -------------------------------------------------

    async def backfill(self) -> None:
        """Index the cases stored before these indexes existed, once."""
        if await self._index.find_one({"_id": BACKFILL}) is not None:
            return
        if "cases" in await self._db.list_collection_names():
            entries: list[tuple[str, str]] = []
            days: set[str] = set()
            projection = {"category": 1, "received_at": 1, "public_updates.at": 1}
            async for doc in self._cases.find({}, projection):  # once, at the first start
                entries.append(_received(doc["_id"], doc["category"], doc["received_at"]))
                for update in doc.get("public_updates", []):
                    days.add(_day(update["at"]))
                    entries.append((f"updated:{_day(update['at'])}", doc["_id"]))
                if len(entries) >= 1000:
                    await self._push(entries)
                    entries = []
            entries.extend((UPDATE_DAYS, d) for d in days)
            await self._push(entries)
        try:
            await self._index.insert_one({"_id": BACKFILL, "done_at": datetime.now(UTC)})
        except DuplicateKeyError:
            pass  # another instance finished it too
