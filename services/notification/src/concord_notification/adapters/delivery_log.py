"""The delivery log: per case, one entry per (request event, recipient, channel), never two.

One document per case, so reading a case's log is one lookup by _id, and recording a
delivery, its dedupe key and its outgoing events is one atomic write.
"""

from typing import Any

from concord_shared.outbox import Emit, apply_once
from concord_shared.store import Document
from pymongo.asynchronous.database import AsyncDatabase

DELIVERIES = "case_deliveries"


def delivery_id(request_event_id: str, recipient_ref: str, channel: str) -> str:
    # A field name: no dots (they would nest) and no leading '$'.
    return f"{request_event_id}:{recipient_ref}:{channel}".replace(".", "_").lstrip("$")


class DeliveryLog:
    """Every lookup is by case id (_id): no secondary index needed."""

    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._log = db[DELIVERIES]

    async def record(
        self, case_id: str, key: str, delivery: dict[str, Any], emits: list[Emit]
    ) -> bool:
        """Write the delivery once: the key is the dedupe key, so a redelivered request
        changes nothing."""
        return await apply_once(
            self._log, case_id, key, {"$set": {f"deliveries.{key}": delivery}}, emits
        )

    async def for_case(self, case_id: str) -> list[dict[str, Any]]:
        doc = await self._log.find_one({"_id": case_id}, {"deliveries": 1})
        entries = [{"id": k, **v} for k, v in (doc or {}).get("deliveries", {}).items()]
        return sorted(entries, key=lambda d: d["recorded_at"])
