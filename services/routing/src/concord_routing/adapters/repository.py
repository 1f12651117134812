"""Routing's store: one document per case with its facts, every decision, and the outbox."""

from typing import Any

from concord_shared.outbox import Emit, apply_once
from concord_shared.store import Document
from pymongo.asynchronous.database import AsyncDatabase

ROUTES = "routes"


class RouteRepository:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._routes = db[ROUTES]

    async def record_decision(
        self,
        case_id: str,
        cause_id: str,
        facts: dict[str, Any],
        decision: dict[str, Any],
        emits: list[Emit],
    ) -> bool:
        return await apply_once(
            self._routes,
            case_id,
            cause_id,
            {
                "$setOnInsert": {"facts": facts},
                "$push": {"decisions": decision},
                "$set": {"current": decision},
            },
            emits,
        )

    async def get(self, case_id: str) -> dict[str, Any] | None:
        return await self._routes.find_one({"_id": case_id}, {"outbox": 0, "processed": 0})
