"""Index documents that a document store answers by `_id`, whatever it holds.

FerretDB on SQLite finds a document through an index only by `_id`; any other filter reads
the whole collection, so a query over cases costs time in proportion to every case ever
stored. What a service looks up by something else -- a platform's open cases, what falls
due in an hour, the documents whose events wait to be published -- is kept in small
documents keyed by that something:

- `KeyedSets`: `{_id: key, members: [id, ...]}`, e.g. the open cases of one platform.
- `DueBuckets`: what falls due, bucketed by hour: `{_id: "2026-12-02T07", members:
  ["2026-12-02T07:15:00+00:00|<id>", ...]}`; the watcher reads the current hour's bucket
  and those before it not yet emptied.

The store has no transaction across documents, so an index document and the document it
points at are written one after the other, in the order that leaves the index a superset of
the truth: a member is added *before* the write that makes it belong, and removed *after*
the write that makes it not. A reader therefore checks each member against its document and
treats one that no longer belongs as stale (and may remove it); it never misses one.
"""

import asyncio
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from concord_shared.store import Document


class KeyedSets:
    """Sets of member ids, one small document per key."""

    def __init__(self, collection: AsyncCollection[Document]) -> None:
        self.collection = collection

    async def add(self, key: str, *members: str) -> None:
        if members:
            await self.collection.update_one(
                {"_id": key}, {"$addToSet": {"members": {"$each": list(members)}}}, upsert=True
            )

    async def remove(self, key: str, *members: str) -> None:
        if members:
            await self.collection.update_one({"_id": key}, {"$pullAll": {"members": list(members)}})

    async def members(self, key: str) -> list[str]:
        doc = await self.collection.find_one({"_id": key})
        return list(doc.get("members", [])) if doc else []

    async def members_of(self, keys: Iterable[str]) -> dict[str, list[str]]:
        """Several keys at once (one lookup by `_id` each, concurrently)."""
        wanted = list(dict.fromkeys(keys))
        found = await asyncio.gather(*(self.members(k) for k in wanted))
        return dict(zip(wanted, found, strict=True))


async def documents(
    collection: AsyncCollection[Document], ids: Sequence[str], concurrency: int = 16
) -> list[Document]:
    """The documents with these ids, in that order, missing ones left out: one lookup by
    `_id` each (a filter `{_id: {$in: ...}}` reads the whole collection on FerretDB)."""
    limit = asyncio.Semaphore(concurrency)

    async def one(doc_id: str) -> Document | None:
        async with limit:
            return await collection.find_one({"_id": doc_id})

    found = await asyncio.gather(*(one(i) for i in ids))
    return [doc for doc in found if doc is not None]


def _hour(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H")


def _entry(member: str, due: datetime) -> str:
    return f"{due.astimezone(UTC).isoformat()}|{member}"


def _by_hour(items: Iterable[tuple[str, datetime]]) -> dict[str, list[str]]:
    by_hour: dict[str, dict[str, None]] = {}
    for member, due in items:
        by_hour.setdefault(_hour(due), {})[_entry(member, due)] = None
    return {hour: list(entries) for hour, entries in by_hour.items()}


class DueBuckets:
    """Members due at a time, in one document per hour; `due(now)` gives those due by now.

    A bucket is removed once its hour has passed and it is empty, so the buckets that exist
    are those of work still pending: reading them costs what is due, not what is stored.
    The cursor document lists the hours that may hold something (`hours`), so `due` reads
    those buckets only, not every hour between (a watcher stopped for days, or a test's
    clock moved by months, would otherwise read one document per hour gone by).

    Races: an adder writes its bucket, then its hour into `hours` (with `v` incremented);
    `due` drops an hour from `hours` only when its bucket was empty and only if `v` is still
    what it read, so an hour added meanwhile is never dropped.
    """

    CURSOR = "cursor"

    def __init__(self, collection: AsyncCollection[Document], start: datetime | None = None):
        self.collection = collection
        self._start = start

    async def add(self, member: str, due: datetime) -> None:
        await self.add_many([(member, due)])

    async def add_many(self, items: Iterable[tuple[str, datetime]]) -> None:
        """Several (member, due) at once: one update per hour they fall in."""
        by_hour = _by_hour(items)
        await asyncio.gather(
            *(
                self.collection.update_one(
                    {"_id": hour}, {"$addToSet": {"members": {"$each": entries}}}, upsert=True
                )
                for hour, entries in by_hour.items()
            )
        )
        if by_hour:  # after the buckets: see the class's note on races
            await self.collection.update_one(
                {"_id": self.CURSOR},
                {"$addToSet": {"hours": {"$each": sorted(by_hour)}}, "$inc": {"v": 1}},
                upsert=True,
            )

    async def _cursor_back_to(self, hour: str) -> None:
        """The cursor never passes a bucket that holds something: move it back if need be
        (conditionally, so a watcher moving it forward at the same time cannot undo it)."""
        moved = await self.collection.update_one(
            {"_id": self.CURSOR, "hour": {"$gt": hour}}, {"$set": {"hour": hour}}
        )
        if (
            moved.matched_count == 0
            and await self.collection.find_one({"_id": self.CURSOR}) is None
        ):
            try:
                await self.collection.insert_one({"_id": self.CURSOR, "hour": hour})
            except DuplicateKeyError:
                await self._cursor_back_to(hour)  # another writer made it first

    async def remove(self, member: str, due: datetime) -> None:
        await self.remove_many([(member, due)])

    async def remove_many(self, items: Iterable[tuple[str, datetime]]) -> None:
        """Several (member, due) at once: one update per hour they fall in."""
        await asyncio.gather(
            *(
                self.collection.update_one({"_id": hour}, {"$pullAll": {"members": entries}})
                for hour, entries in _by_hour(items).items()
            )
        )

    async def due(self, now: datetime) -> list[tuple[str, datetime]]:
        """(member, due time) for everything due by `now`, oldest first. Past hours found
        empty are dropped on the way."""
        cursor_doc = await self.collection.find_one({"_id": self.CURSOR})
        current = _hour(now)
        if cursor_doc is None:
            return []  # nothing was ever added
        if not cursor_doc.get("sparse"):
            cursor_doc = await self._list_hours(cursor_doc, current)
        found: list[tuple[str, datetime]] = []
        emptied: list[str] = []
        for key in sorted(h for h in cursor_doc.get("hours", []) if h <= current):
            doc = await self.collection.find_one({"_id": key})
            members = list(doc.get("members", [])) if doc else []
            for entry in members:
                at, _, member = entry.partition("|")
                due = datetime.fromisoformat(at)
                if due <= now:
                    found.append((member, due))
            if not members and key < current:
                if doc is not None:
                    await self.collection.delete_one({"_id": key, "members": {"$size": 0}})
                emptied.append(key)
        if emptied:
            await self.collection.update_one(
                {"_id": self.CURSOR, "v": cursor_doc.get("v", 0)},
                {"$pullAll": {"hours": emptied}},
            )
        return sorted(found, key=lambda item: item[1])

    async def _list_hours(self, cursor_doc: Document, current: str) -> Document:
        """Buckets of a store from before `hours`: those from the old cursor's hour on (it
        never passed one holding something), walked once and listed."""
        hours: list[str] = []
        moment = datetime.strptime(cursor_doc.get("hour", current), "%Y-%m-%dT%H")
        moment = moment.replace(tzinfo=UTC)
        while (key := _hour(moment)) <= current:
            doc = await self.collection.find_one({"_id": key})
            if doc is not None and doc.get("members"):
                hours.append(key)
            moment += timedelta(hours=1)
        await self.collection.update_one(
            {"_id": self.CURSOR},
            {"$addToSet": {"hours": {"$each": hours}}, "$set": {"sparse": True}, "$inc": {"v": 1}},
        )
        return await self.collection.find_one({"_id": self.CURSOR}) or cursor_doc
