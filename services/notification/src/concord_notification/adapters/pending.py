"""Deliveries waiting for a later attempt (a retry, a notice held through quiet hours, a
reminder): a small collection, one document each, removed when the delivery settles. A
delivery due at once never comes here: the planner hands it to the dispatcher directly, and
the dispatcher's sweep of the log finds it after a crash. The log stays the record of what
happened."""

from datetime import datetime
from typing import Any

from concord_shared.store import Document
from pymongo.asynchronous.database import AsyncDatabase

from concord_notification.domain.deliveries import Delivery

PENDING = "pending_deliveries"


class PendingDeliveries:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._pending = db[PENDING]

    async def ensure_indexes(self) -> None:
        await self._pending.create_index("due_at")

    async def add(self, delivery: Delivery, due_at: datetime) -> None:
        """Idempotent: a redelivered request finds its delivery already waiting (or settled,
        which the claim in the log then tells)."""
        await self._pending.update_one(
            {"_id": delivery.key},
            {"$setOnInsert": {"delivery": delivery.model_dump(mode="json"), "due_at": due_at}},
            upsert=True,
        )

    async def schedule(self, delivery: Delivery, due_at: datetime) -> None:
        """Wait for `due_at` (a retry, or a notice held through quiet hours)."""
        await self._pending.update_one(
            {"_id": delivery.key},
            {"$set": {"delivery": delivery.model_dump(mode="json"), "due_at": due_at}},
            upsert=True,
        )

    async def due(self, now: datetime, limit: int = 50) -> list[Delivery]:
        cursor = self._pending.find({"due_at": {"$lte": now}}, limit=limit).sort("due_at", 1)
        return [Delivery.model_validate(d["delivery"]) async for d in cursor]

    async def next_due(self) -> datetime | None:
        doc: dict[str, Any] | None = await self._pending.find_one(
            {}, {"due_at": 1}, sort=[("due_at", 1)]
        )
        return doc["due_at"] if doc else None

    async def reschedule(self, key: str, due_at: datetime) -> None:
        await self._pending.update_one({"_id": key}, {"$set": {"due_at": due_at}})

    async def remove(self, key: str) -> None:
        await self._pending.delete_one({"_id": key})
