"""The delivery log: one document per (request event, recipient, channel), never two, and
per case an index of its deliveries.

Why two collections: the local store (FerretDB 1.24 on SQLite) loses updates when two
writers change the same document at once (measured: concurrent ``$inc`` on one document
drops about a fifth). So each delivery's state lives in its own document, written by one
sender at a time (the claim below, and one attempt per delivery per process); the case's
index is written only by the consumer, which handles one case's events in order.

Before a notice is sent its document is claimed with a conditional update: of two
dispatchers, or a redelivered request, only one sends. The events a delivery causes
(NotificationDelivered, NotificationFailed, the dead letter) go into the same document's
outbox in the same write that settles it.
"""

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

from concord_shared.keyed_sets import documents
from concord_shared.outbox import Emit, apply_once, intend, with_outbox
from concord_shared.store import Document
from pymongo import ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from concord_notification.domain.deliveries import OPEN, Status

DELIVERIES = "deliveries"  # one per delivery; the outbox relay's collection
CASE_INDEX = "case_deliveries"  # one per case: its delivery keys, departments, processed ids
_SHOWN_EXCEPT = {"_id", "outbox", "outbox_pending", "lease_until", "case_id", "spec"}


class DeliveryLog:
    """Every lookup is by _id: no secondary index needed (the one read of the whole log is
    the backfill of a store from before the schedule, once)."""

    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._deliveries = db[DELIVERIES]
        self._cases = db[CASE_INDEX]

    async def plan(
        self,
        case_id: str,
        cause_id: str,
        entries: dict[str, dict[str, Any]],
        extra: dict[str, Any] | None = None,
        index_id: str | None = None,
    ) -> bool:
        """Record planned deliveries once per cause event; False for a redelivered cause.

        The deliveries are inserted first (a redelivery finds them there), then the case's
        index learns their keys and the cause's id in one write."""
        await asyncio.gather(*(self._insert(case_id, k, e) for k, e in entries.items()))
        update: dict[str, Any] = {}
        if entries:
            update["$addToSet"] = {"keys": {"$each": list(entries)}}
        for op, fields in (extra or {}).items():
            update.setdefault(op, {}).update(fields)
        if not update:
            update = {"$set": {"case_id": case_id}}
        return await apply_once(self._cases, index_id or case_id, cause_id, update)

    async def _insert(self, case_id: str, key: str, entry: dict[str, Any]) -> None:
        try:
            await self._deliveries.insert_one({"_id": key, "case_id": case_id, **entry})
        except DuplicateKeyError:
            pass  # planned before: a redelivery, or a crash after this insert

    async def departments(self, case_id: str) -> list[str]:
        doc = await self._cases.find_one({"_id": case_id}, {"departments": 1})
        return list((doc or {}).get("departments", []))

    async def open_deliveries(self) -> AsyncIterator[tuple[str, datetime]]:
        """(key, when it next needs a dispatcher) of every delivery not settled: a read of
        the whole log, for the one-time backfill of a store from before the schedule
        (adapters/schedule.py), never on a timer."""
        cursor = self._deliveries.find(
            {"status": {"$in": [*(s.value for s in OPEN), Status.SENDING.value]}},
            {"status": 1, "due_at": 1, "lease_until": 1},
        )
        async for d in cursor:
            sending = d["status"] == Status.SENDING.value and d.get("lease_until")
            due = d["lease_until"] if sending else d.get("due_at")
            if due is not None:
                yield d["_id"], due

    async def entry(self, key: str) -> dict[str, Any] | None:
        return await self._deliveries.find_one({"_id": key}, {"outbox": 0})

    async def entries(self, keys: list[str]) -> dict[str, Document]:
        """The deliveries with these keys, each looked up by `_id`."""
        return {d["_id"]: d for d in await documents(self._deliveries, keys)}

    async def claim(self, key: str, now: datetime, lease: timedelta) -> dict[str, Any] | None:
        """Take the delivery for one attempt: only if it is open, or its sender's lease ran
        out (that sender crashed). Returns the delivery after the claim, or None."""
        return await self._deliveries.find_one_and_update(
            {
                "_id": key,
                "$or": [
                    {"status": {"$in": [s.value for s in OPEN]}},
                    {"status": Status.SENDING.value, "lease_until": {"$lt": now}},
                ],
            },
            {
                "$set": {"status": Status.SENDING.value, "lease_until": now + lease},
                "$inc": {"attempts": 1},
            },
            return_document=ReturnDocument.AFTER,
        )

    async def settle(
        self,
        key: str,
        attempts: int,
        status: Status,
        result: dict[str, Any],
        fields: dict[str, Any],
        emits: list[Emit],
    ) -> bool:
        """Record an attempt's result; only the sender holding the claim for this attempt
        writes (and so only it queues the events)."""
        update = {
            "$set": {"status": status.value, **fields},
            "$unset": {"lease_until": ""},
            "$push": {"results": result},
        }
        await intend(self._deliveries, [(key, emits)])
        outcome = await self._deliveries.update_one(
            {"_id": key, "status": Status.SENDING.value, "attempts": attempts},
            with_outbox(update, emits),
        )
        return outcome.matched_count > 0

    # No projection on findAndModify: FerretDB 1.24 answers it with NotImplemented.

    async def hold(self, key: str, until: datetime, now: datetime) -> datetime | None:
        """Hold the delivery until `until` if it is open (or its sender's lease ran out);
        returns when it was due before, or None if it was not held."""
        before = await self._deliveries.find_one_and_update(
            {
                "_id": key,
                "$or": [
                    {"status": {"$in": [s.value for s in OPEN]}},
                    {"status": Status.SENDING.value, "lease_until": {"$lt": now}},
                ],
            },
            {"$set": {"status": Status.HELD.value, "due_at": until}, "$unset": {"lease_until": ""}},
            return_document=ReturnDocument.BEFORE,
        )
        return before.get("due_at") if before else None

    async def reminders(self, case_id: str, department: str) -> list[str]:
        """The keys of the reminders planned for a department's requests about the case."""
        doc = await self._cases.find_one({"_id": case_id}, {f"reminders.{department}": 1})
        return list((doc or {}).get("reminders", {}).get(department, []))

    async def withdraw(self, key: str, reason: str, now: datetime) -> datetime | None:
        """Take back a delivery not yet sent (open: pending or held); returns when it was
        due, or None if it was not open (sent, being sent, or withdrawn before)."""
        before = await self._deliveries.find_one_and_update(
            {"_id": key, "status": {"$in": [s.value for s in OPEN]}},
            {"$set": {"status": Status.WITHDRAWN.value, "withdrawn": {"at": now, "why": reason}}},
            return_document=ReturnDocument.BEFORE,
        )
        return before.get("due_at") if before else None

    async def for_case(self, case_id: str) -> list[dict[str, Any]]:
        index = await self._cases.find_one({"_id": case_id}, {"keys": 1})
        keys = list((index or {}).get("keys", []))
        docs = await asyncio.gather(*(self._deliveries.find_one({"_id": k}) for k in keys))
        entries = [
            {"id": d["_id"], **{f: v for f, v in d.items() if f not in _SHOWN_EXCEPT}}
            for d in docs
            if d is not None
        ]
        return sorted(entries, key=lambda d: d["recorded_at"])
