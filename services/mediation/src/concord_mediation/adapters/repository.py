"""Mediation's store: one document per case at its platform, with history and outbox."""

from typing import Any

from concord_shared.outbox import Emit, apply_once
from concord_shared.store import Document
from pymongo.asynchronous.database import AsyncDatabase

CASES = "cases"


class MediationRepository:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._cases = db[CASES]

    async def ensure_indexes(self) -> None:
        await self._cases.create_index([("platform", 1), ("status", 1)])

    async def open_case(
        self, case_id: str, cause_id: str, case: dict[str, Any], emits: list[Emit]
    ) -> bool:
        return await apply_once(self._cases, case_id, cause_id, {"$setOnInsert": case}, emits)

    async def get(self, case_id: str) -> dict[str, Any] | None:
        return await self._cases.find_one({"_id": case_id}, {"outbox": 0, "processed": 0})

    async def at_platform(self, platform: str, limit: int = 100) -> list[dict[str, Any]]:
        cursor = self._cases.find(
            {"platform": platform}, {"outbox": 0, "processed": 0}, limit=limit
        ).sort("opened_at", -1)
        return await cursor.to_list()
