"""When each open delivery next needs a dispatcher: due-time buckets of delivery keys.

Every delivery that is not settled has an entry here -- due at once (handed to the
dispatcher in memory as well, the entry is there in case this process dies first), a retry
after its backoff, a notice held through quiet hours, a reminder days ahead, a delivery a
dispatcher is sending (its lease) -- in `delivery_due`, one document per hour
(`concord_shared.keyed_sets.DueBuckets`). So the dispatcher's poll reads the hours still
holding something, and then each due delivery by `_id`: its cost follows the deliveries
in flight, never the deliveries logged over the years.

The log (`deliveries`) stays the truth. An entry is added before the write that makes its
delivery due at that time and removed after the write that settles or moves it, so the
buckets hold at least every open delivery; the dispatcher checks each due entry against
the log and drops the stale ones.
"""

from collections.abc import AsyncIterator, Callable
from datetime import datetime

import structlog
from concord_shared.envelope import utcnow
from concord_shared.keyed_sets import DueBuckets
from concord_shared.store import Document
from pymongo.asynchronous.database import AsyncDatabase

log = structlog.get_logger(__name__)

DUE = "delivery_due"
BACKFILLED = "backfilled"  # in DUE: the log of an earlier version was indexed once
# Before the buckets, waiting deliveries had a collection of their own (read whole every
# second). Every start of that version created its index, so a store holding it was
# written by that version and its open deliveries need entries; nothing reads it since.
EARLIER_PENDING = "pending_deliveries"


def at_store_precision(when: datetime) -> datetime:
    """The store keeps milliseconds: an entry must name the due time as it is read back."""
    return when.replace(microsecond=when.microsecond // 1000 * 1000)


class DeliverySchedule:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._db = db
        self._buckets = DueBuckets(db[DUE])

    async def add(self, key: str, due: datetime) -> None:
        await self._buckets.add(key, at_store_precision(due))

    async def remove(self, key: str, due: datetime) -> None:
        await self._buckets.remove(key, at_store_precision(due))

    async def move(self, key: str, due: datetime, to: datetime) -> None:
        """The entry at `due` now at `to` (added first, then removed)."""
        if at_store_precision(due) != at_store_precision(to):
            await self.add(key, to)
            await self.remove(key, due)

    async def moved(self, key: str, was: datetime, now_at: datetime) -> None:
        """After the write that moved a delivery from `was` to `now_at` (whose entry was
        added before it): the old entry goes."""
        if at_store_precision(was) != at_store_precision(now_at):
            await self.remove(key, was)

    async def due(self, now: datetime) -> list[tuple[str, datetime]]:
        """(delivery key, due time) of every entry due by `now`, oldest first, one per key
        (a delivery moved since may still have its older entry: the oldest is read)."""
        seen: dict[str, datetime] = {}
        for key, due in await self._buckets.due(now):
            seen.setdefault(key, due)
        return list(seen.items())

    async def backfill_once(
        self, open_deliveries: Callable[[], AsyncIterator[tuple[str, datetime]]]
    ) -> int:
        """Give the open deliveries of a store written before the buckets their entries,
        once (marked done in `delivery_due`); a fresh store needs nothing. Returns how many
        were indexed."""
        marker = self._db[DUE]
        if await marker.find_one({"_id": BACKFILLED}) is not None:
            return 0
        indexed = 0
        if EARLIER_PENDING in await self._db.list_collection_names():
            # One read of the whole log, at the first start after the upgrade only.
            async for key, due in open_deliveries():
                await self.add(key, due)
                indexed += 1
            log.info("delivery schedule backfilled", deliveries=indexed)
        await marker.update_one(
            {"_id": BACKFILLED}, {"$set": {"at": utcnow(), "deliveries": indexed}}, upsert=True
        )
        return indexed
