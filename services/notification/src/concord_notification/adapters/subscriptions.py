"""Departments' webhook subscriptions: endpoint, secret, event types, and its health.

A small collection (a few per department); looking up a department's subscriptions scans it,
which is cheap at that size.
"""

import secrets
from datetime import datetime
from typing import Any

from concord_shared.store import Document
from pymongo import ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase

SUBSCRIPTIONS = "subscriptions"
ACTIVE, PAUSED = "active", "paused"


def new_subscription_id() -> str:
    return f"sub-{secrets.token_hex(8)}"


class Subscriptions:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._subs = db[SUBSCRIPTIONS]

    async def create(self, doc: dict[str, Any]) -> dict[str, Any]:
        await self._subs.insert_one(doc)
        return doc

    async def get(self, subscription_id: str) -> dict[str, Any] | None:
        return await self._subs.find_one({"_id": subscription_id})

    async def of_department(self, department: str) -> list[dict[str, Any]]:
        return await self._subs.find({"department": department}).to_list()

    async def active_for(self, department: str, wanted: set[str]) -> list[dict[str, Any]]:
        """The department's active subscriptions to any of the `wanted` event types."""
        return [
            s
            for s in await self.of_department(department)
            if s["status"] == ACTIVE and wanted & set(s["event_types"])
        ]

    async def delete(self, subscription_id: str) -> bool:
        return (await self._subs.delete_one({"_id": subscription_id})).deleted_count > 0

    async def resume(self, subscription_id: str) -> dict[str, Any] | None:
        return await self._subs.find_one_and_update(
            {"_id": subscription_id},
            {"$set": {"status": ACTIVE, "consecutive_failures": 0}, "$unset": {"paused_at": ""}},
            return_document=ReturnDocument.AFTER,
        )

    async def succeeded(self, subscription_id: str) -> None:
        await self._subs.update_one(
            {"_id": subscription_id, "consecutive_failures": {"$ne": 0}},
            {"$set": {"consecutive_failures": 0}},
        )

    async def failed(self, subscription_id: str, pause_after: int, now: datetime) -> bool:
        """Count a delivery that gave up; True if this failure paused the endpoint (exactly
        one caller sees True per pause)."""
        doc = await self._subs.find_one_and_update(
            {"_id": subscription_id},
            {"$inc": {"consecutive_failures": 1}},
            return_document=ReturnDocument.AFTER,
        )
        if doc is None or doc["consecutive_failures"] < pause_after:
            return False
        paused = await self._subs.update_one(
            {"_id": subscription_id, "status": ACTIVE},
            {"$set": {"status": PAUSED, "paused_at": now}, "$inc": {"pauses": 1}},
        )
        return paused.modified_count > 0
