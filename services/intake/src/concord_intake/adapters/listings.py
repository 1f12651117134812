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
- `rows:<day>#<n>` (KeyedRows): each case's public row (what Open311 lists of it: receipt,
  kind, category, platform, times, public status; no personal data), by the day it was
  received, versioned by its count of public updates. Written after the case's insert and
  after each public update (from the case as then stored, so a redelivered update writes it
  too), so a day's list reads a few documents of rows instead of every case in it (the
  cases were 1.8 kB each, 750 of them 300 ms of the store's time). A case without a row (a
  crash between its write and the row's) is read itself.

Members are added before the write that makes them true (a case's insert, its status
update); a reader checks every case it fetches against the entry, so an entry whose write
never happened or lost to an earlier one (a retried registration) is dropped, never shown.

Stores from before these indexes: `backfill` fills them once from the cases (the only read
of the whole collection, at the first start) and marks that done in `{_id: "backfill"}`;
the rows likewise, marked in `{_id: "rows-backfill"}`.
"""

import asyncio
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from concord_shared.keyed_sets import KeyedRows, KeyedSets, documents
from concord_shared.store import Document
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from concord_intake.domain.cases import CaseRecord, PublicRow

log = structlog.get_logger(__name__)

LISTING_INDEX = "listing_index"
UPDATE_DAYS = "updated-days"
BACKFILL = "backfill"
ROWS_BACKFILL = "rows-backfill"
# A day's rows over this many documents: each registration and public update rewrites one
# (about 45 kB at 750 cases a day, measured); a listing reads only those of the days it shows.
ROW_SHARDS = 8
ROWS_BACKFILL_BATCH = 50_000  # rows held at once while a store from before gets them
ROW_FIELDS = {name: 1 for name in PublicRow.model_fields} | {"public_updates.at": 1}
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


def _stored(value: Any) -> Any:
    """A value as the store gives it back: times to the millisecond."""
    if isinstance(value, datetime):
        return _ms(value)
    if isinstance(value, dict):
        return {k: _stored(v) for k, v in value.items()}
    return value


def _row(doc: Document) -> PublicRow:
    return PublicRow.model_validate(_stored({k: doc[k] for k in PublicRow.model_fields}))


def _row_item(row: PublicRow, version: int) -> tuple[str, str, str, int]:
    """The row as KeyedRows keeps it: under the day it was received."""
    return f"rows:{_day(row.received_at)}", row.case_id, row.model_dump_json(), version


def _stored_row_item(doc: Document) -> tuple[str, str, str, int]:
    """A stored case's row, versioned by its count of public updates."""
    return _row_item(_row(doc), len(doc.get("public_updates", [])))


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
        self._rows = KeyedRows(self._index, shards=ROW_SHARDS)

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

    async def stored(self, records: Sequence[CaseRecord]) -> None:
        """The public rows of cases just inserted (none has a public update yet). Not
        written, they are not missed: a listing reads a case without a row itself, and its
        first public update writes it; so a failure here fails no registration."""
        try:
            await self._rows.set_many(_row_item(_row(r.model_dump()), 0) for r in records)
        except Exception:
            log.warning("public rows not written", cases=len(records), exc_info=True)

    async def updated(self, case_id: str, at: datetime) -> None:
        """Index a public status update (before it is written)."""
        await self._sets.add(UPDATE_DAYS, _day(at))
        await self._sets.add(f"updated:{_day(at)}", case_id)

    async def restate(self, case_id: str) -> None:
        """The case's public row as the case now stands (after a public update is written;
        again after a redelivery, whose update was written before)."""
        doc = await self._cases.find_one({"_id": case_id}, ROW_FIELDS)
        if doc is not None:
            await self._rows.set(*_stored_row_item(doc))

    async def _set_row(self, row: PublicRow, version: int) -> None:
        await self._rows.set(*_row_item(row, version))

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
        keep: Callable[[PublicRow], bool] = lambda row: True,
        skip: int = 0,
    ) -> list[PublicRow]:
        """The cases received in [start, end] (of these categories, and that `keep`),
        newest first, after the first `skip` of them, at most `limit`: the day documents of
        the range, then the rows of the cases up to the last shown, day by day (a page reads
        what it shows and the pages before it, not the whole range)."""
        low, high = _ms(start), _ms(end)
        days = await self._sets.members_of(f"received:{d}" for d in _days(start, end))
        wanted = []
        for entries in days.values():
            for entry in entries:
                at, category, case_id = _parse_received(entry)
                if low <= at <= high and (categories is None or category in categories):
                    wanted.append((at, category, case_id))
        wanted.sort(key=lambda w: w[0], reverse=True)
        of_day: dict[str, list[str]] = defaultdict(list)
        for at, _, case_id in wanted:
            of_day[_day(at)].append(case_id)
        day_rows: dict[str, dict[str, str]] = {}  # each day's rows, read once a listing
        found: list[PublicRow] = []
        shown: set[str] = set()
        first = 0
        while first < len(wanted):
            # What the page still needs (entries a listing skips are few), at most _FETCH.
            size = min(_FETCH, max(skip + limit - len(found), _FETCH_LEAST))
            chunk = wanted[first : first + size]
            first += size
            rows = await self._rows_of(chunk, of_day, day_rows)
            for at, category, case_id in chunk:
                row = rows.get(case_id)
                if (
                    row is None
                    or case_id in shown
                    or row.category != category
                    or _ms(row.received_at) != at
                ):
                    continue  # never inserted, or a retry's entry: the case has its own
                shown.add(case_id)
                if not keep(row):
                    continue
                if skip:
                    skip -= 1
                    continue
                found.append(row)
                if len(found) >= limit:
                    return found
        return found

    async def _rows_of(
        self,
        chunk: list[tuple[datetime, str, str]],
        of_day: dict[str, list[str]],
        day_rows: dict[str, dict[str, str]],
    ) -> dict[str, PublicRow]:
        """The public rows of these entries' cases: the first time a day is reached, the
        rows of all its cases the listing may show (`of_day`), kept in `day_rows` for the
        next chunks; a case without a row is read itself."""
        days = [d for d in dict.fromkeys(_day(at) for at, _, _ in chunk) if d not in day_rows]
        read = await asyncio.gather(*(self._rows.rows_of(f"rows:{d}", of_day[d]) for d in days))
        day_rows.update(zip(days, read, strict=True))
        rows: dict[str, PublicRow] = {}
        for at, _, case_id in chunk:
            raw = day_rows[_day(at)].get(case_id)
            if raw is not None:
                rows[case_id] = PublicRow.model_validate_json(raw)
        missing = [case_id for _, _, case_id in chunk if case_id not in rows]
        for doc in await documents(self._cases, missing, projection=ROW_FIELDS):
            rows[doc["_id"]] = _row(doc)
        return rows

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
        """Index the cases stored before these indexes existed, once; and their rows."""
        if await self._index.find_one({"_id": BACKFILL}) is None:
            await self._backfill_entries()
            await self._done(BACKFILL)
        if await self._index.find_one({"_id": ROWS_BACKFILL}) is None:
            await self._backfill_rows()
            await self._done(ROWS_BACKFILL)

    async def _done(self, marker: str) -> None:
        try:
            await self._index.insert_one({"_id": marker, "done_at": datetime.now(UTC)})
        except DuplicateKeyError:
            pass  # another instance finished it too

    async def _backfill_entries(self) -> None:
        if "cases" not in await self._db.list_collection_names():
            return
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

    async def _backfill_rows(self) -> None:
        """Rows from the cases as stored (once, at the first start), many at a time, so
        each shard document of a day is written about once, not once per case: a live
        writer's row has a version at least as high, and this one does not replace it."""
        if "cases" not in await self._db.list_collection_names():
            return
        batch: list[tuple[str, str, str, int]] = []
        async for doc in self._cases.find({}, ROW_FIELDS):
            batch.append(_stored_row_item(doc))
            if len(batch) >= ROWS_BACKFILL_BATCH:
                await self._rows.set_many(batch)
                batch = []
        await self._rows.set_many(batch)
