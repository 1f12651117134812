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


class DueBuckets:
    """Members due at a time, in one document per hour; `due(now)` gives those due by now.

    A bucket is removed once its hour has passed and it is empty, so the buckets that exist
    are those of work still pending: reading them costs what is due, not what is stored.
    The oldest pending hour is kept in a cursor document, so a watcher that was stopped for
    days starts from there rather than from the beginning of time.
    """

    CURSOR = "cursor"

    def __init__(self, collection: AsyncCollection[Document], start: datetime | None = None):
        self.collection = collection
        self._start = start

    async def add(self, member: str, due: datetime) -> None:
        await self.collection.update_one(
            {"_id": _hour(due)}, {"$addToSet": {"members": _entry(member, due)}}, upsert=True
        )
        await self._cursor_back_to(_hour(due))

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
        await self.collection.update_one(
            {"_id": _hour(due)}, {"$pull": {"members": _entry(member, due)}}
        )

    async def due(self, now: datetime) -> list[tuple[str, datetime]]:
        """(member, due time) for everything due by `now`, oldest first. Empty past hours
        are dropped on the way and the cursor moves up to the oldest hour still holding
        something (or the current one)."""
        cursor_doc = await self.collection.find_one({"_id": self.CURSOR})
        current = _hour(now)
        hour = cursor_doc["hour"] if cursor_doc else current
        found: list[tuple[str, datetime]] = []
        oldest_pending: str | None = None
        moment = datetime.strptime(hour, "%Y-%m-%dT%H").replace(tzinfo=UTC)
        while (key := _hour(moment)) <= current:
            doc = await self.collection.find_one({"_id": key})
            members = list(doc.get("members", [])) if doc else []
            for entry in members:
                at, _, member = entry.partition("|")
                due = datetime.fromisoformat(at)
                if due <= now:
                    found.append((member, due))
            if members and oldest_pending is None:
                oldest_pending = key
            elif doc is not None and not members and key < current:
                await self.collection.delete_one({"_id": key, "members": {"$size": 0}})
            moment += timedelta(hours=1)
        target = oldest_pending or current
        if cursor_doc is None:
            await self._cursor_back_to(target)
        elif cursor_doc["hour"] != target:
            # Only if no writer moved it back meanwhile (their bucket is read next time).
            await self.collection.update_one(
                {"_id": self.CURSOR, "hour": cursor_doc["hour"]}, {"$set": {"hour": target}}
            )
        return sorted(found, key=lambda item: item[1])
