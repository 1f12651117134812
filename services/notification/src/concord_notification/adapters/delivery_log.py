"""The delivery log: per case, one entry per (request event, recipient, channel), never two.

One document per case, so reading a case's log is one lookup by _id, and recording a
delivery, its outcome and the events it causes is one atomic write. Before a notice is sent
its entry is claimed with a conditional update: of two dispatchers (or a redelivered
request) only one sends.
"""

from datetime import datetime, timedelta
from typing import Any

from concord_shared.outbox import Emit, apply_once, with_outbox
from concord_shared.store import Document
from pymongo import ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase

from concord_notification.domain.deliveries import OPEN, Delivery, Status

DELIVERIES = "case_deliveries"
_INTERNAL = ("lease_until",)


def _field(key: str) -> str:
    return f"deliveries.{key}"


class DeliveryLog:
    """Every lookup is by case id (_id): no secondary index needed."""

    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._log = db[DELIVERIES]

    async def plan(
        self,
        case_id: str,
        cause_id: str,
        entries: dict[str, dict[str, Any]],
        extra: dict[str, Any] | None = None,
        emits: list[Emit] | None = None,
    ) -> bool:
        """Record planned deliveries once per cause event; False for a redelivered cause."""
        update: dict[str, Any] = {"$set": {_field(k): v for k, v in entries.items()}}
        for op, fields in (extra or {}).items():
            update.setdefault(op, {}).update(fields)
        if not update["$set"]:
            del update["$set"]
        if not update:
            update = {"$set": {"touched": True}}
        return await apply_once(self._log, case_id, cause_id, update, emits or [])

    async def departments(self, case_id: str) -> list[str]:
        doc = await self._log.find_one({"_id": case_id}, {"departments": 1})
        return list((doc or {}).get("departments", []))

    async def entry(self, case_id: str, key: str) -> dict[str, Any] | None:
        doc = await self._log.find_one({"_id": case_id}, {_field(key): 1})
        entry: dict[str, Any] | None = (doc or {}).get("deliveries", {}).get(key)
        return entry

    async def claim(
        self, case_id: str, key: str, now: datetime, lease: timedelta
    ) -> dict[str, Any] | None:
        """Take the delivery for one attempt: only if it is open, or its sender's lease ran
        out (that sender crashed). Returns the entry after the claim, or None."""
        f = _field(key)
        doc = await self._log.find_one_and_update(
            {
                "_id": case_id,
                "$or": [
                    {f"{f}.status": {"$in": [s.value for s in OPEN]}},
                    {f"{f}.status": Status.SENDING.value, f"{f}.lease_until": {"$lt": now}},
                ],
            },
            {
                "$set": {f"{f}.status": Status.SENDING.value, f"{f}.lease_until": now + lease},
                "$inc": {f"{f}.attempts": 1},
            },
            # No projection: FerretDB 1.24 does not take one in findAndModify.
            return_document=ReturnDocument.AFTER,
        )
        return None if doc is None else dict(doc["deliveries"][key])

    async def settle(
        self,
        case_id: str,
        key: str,
        attempts: int,
        status: Status,
        result: dict[str, Any],
        fields: dict[str, Any],
        emits: list[Emit],
    ) -> bool:
        """Record an attempt's result; only the sender holding the claim for this attempt
        writes (and so only it queues the events)."""
        f = _field(key)
        update = {
            "$set": {f"{f}.status": status.value, **{f"{f}.{k}": v for k, v in fields.items()}},
            "$unset": {f"{f}.lease_until": ""},
            "$push": {f"{f}.results": result},
        }
        outcome = await self._log.update_one(
            {"_id": case_id, f"{f}.status": Status.SENDING.value, f"{f}.attempts": attempts},
            with_outbox(update, emits),
        )
        return outcome.matched_count > 0

    async def hold(self, case_id: str, key: str, until: datetime) -> None:
        f = _field(key)
        await self._log.update_one(
            {"_id": case_id, f"{f}.status": {"$in": [s.value for s in OPEN]}},
            {"$set": {f"{f}.status": Status.HELD.value, f"{f}.due_at": until}},
        )

    async def for_case(self, case_id: str) -> list[dict[str, Any]]:
        doc = await self._log.find_one({"_id": case_id}, {"deliveries": 1})
        entries = [
            {"id": k, **{f: x for f, x in v.items() if f not in _INTERNAL}}
            for k, v in (doc or {}).get("deliveries", {}).items()
        ]
        return sorted(entries, key=lambda d: d["recorded_at"])


def planned(delivery: Delivery, status: Status, now: datetime, due: datetime) -> dict[str, Any]:
    return delivery.log_entry(status, now, due)
