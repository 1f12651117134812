"""The delivery log: one document per (request event, recipient, channel), never two."""

from typing import Any

from concord_shared.outbox import Emit, apply_once
from concord_shared.store import Document
from pymongo.asynchronous.database import AsyncDatabase

DELIVERIES = "deliveries"


def delivery_id(request_event_id: str, recipient_ref: str, channel: str) -> str:
    return f"{request_event_id}:{recipient_ref}:{channel}"


class DeliveryLog:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._deliveries = db[DELIVERIES]

    async def ensure_indexes(self) -> None:
        await self._deliveries.create_index("case_id")

    async def record(self, key: str, delivery: dict[str, Any], emits: list[Emit]) -> bool:
        """Write the delivery once: the key is the _id, so a redelivered request is a no-op."""
        return await apply_once(self._deliveries, key, key, {"$setOnInsert": delivery}, emits)

    async def for_case(self, case_id: str) -> list[dict[str, Any]]:
        cursor = self._deliveries.find({"case_id": case_id}, {"outbox": 0, "processed": 0}).sort(
            "recorded_at", 1
        )
        return await cursor.to_list()
