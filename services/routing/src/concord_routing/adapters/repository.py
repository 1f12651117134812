"""Routing's store: one document per case with its facts, every decision, the departments
asked and the declines -- and the outbox, so each change and its events are one update."""

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any

from concord_shared.enums import Desk, Level
from concord_shared.outbox import Emit, apply_once, with_outbox
from concord_shared.store import Document
from pymongo.asynchronous.database import AsyncDatabase

from concord_routing.domain.decision import CaseFacts, Decision
from concord_routing.domain.reroute import Route

ROUTES = "routes"


class Outcome(Enum):
    APPLIED = "applied"
    DUPLICATE = "duplicate"  # this cause was applied before
    CONFLICT = "conflict"  # the case changed since it was read: read again and retry
    MISSING = "missing"


@dataclass(frozen=True)
class StoredRoute:
    case_id: str
    revision: int
    facts: CaseFacts
    route: Route
    decisions: list[dict[str, Any]]
    case: dict[str, Any]  # what a newly assigned platform or department is told
    declines: list[dict[str, Any]]


def _decision_doc(decision: Decision, at: datetime) -> dict[str, Any]:
    return {**dataclasses.asdict(decision), "decided_at": at}


def decision_from(doc: dict[str, Any]) -> Decision:
    fields = {f.name for f in dataclasses.fields(Decision)}
    values = {k: v for k, v in doc.items() if k in fields}
    return Decision(**{**values, "level": Level(doc["level"]), "desk": Desk(doc["desk"])})


class RouteRepository:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._routes = db[ROUTES]

    async def record_first(
        self,
        case_id: str,
        cause_id: str,
        facts: CaseFacts,
        case: dict[str, Any],
        decision: Decision,
        at: datetime,
        emits: list[Emit],
    ) -> bool:
        asked = [d for d in [decision.lead_department, *decision.co_departments] if d]
        return await apply_once(
            self._routes,
            case_id,
            cause_id,
            {
                "$setOnInsert": {"facts": dataclasses.asdict(facts), "case": case, "revision": 1},
                "$push": {"decisions": _decision_doc(decision, at)},
                "$set": {"current": _decision_doc(decision, at), "asked": asked, "declines": []},
            },
            emits,
        )

    async def load(self, case_id: str) -> StoredRoute | None:
        doc = await self._routes.find_one({"_id": case_id}, {"outbox": 0, "processed": 0})
        if doc is None:
            return None
        facts = CaseFacts(**doc["facts"])
        route = Route(
            current=decision_from(doc["current"]),
            asked=frozenset(doc.get("asked", [])),
            declines=len(doc.get("declines", [])),
        )
        return StoredRoute(
            case_id,
            doc["revision"],
            facts,
            route,
            doc["decisions"],
            doc.get("case", {}),
            doc.get("declines", []),
        )

    async def record_change(
        self,
        stored: StoredRoute,
        cause_id: str,
        decision: Decision,
        at: datetime,
        emits: list[Emit],
        *,
        facts: CaseFacts | None = None,
        decline: dict[str, Any] | None = None,
    ) -> Outcome:
        """A new decision for a routed case, if it has not changed since it was read."""
        asked = sorted(
            stored.route.asked
            | {d for d in [decision.lead_department, *decision.co_departments] if d}
        )
        update: dict[str, Any] = {
            "$set": {"current": _decision_doc(decision, at), "asked": asked},
            "$push": {"decisions": _decision_doc(decision, at), "processed": cause_id},
            "$inc": {"revision": 1},
        }
        if facts is not None:
            update["$set"]["facts"] = dataclasses.asdict(facts)
        if decline is not None:
            update["$push"]["declines"] = decline
        result = await self._routes.update_one(
            {"_id": stored.case_id, "revision": stored.revision, "processed": {"$ne": cause_id}},
            with_outbox(update, emits),
        )
        if result.matched_count:
            return Outcome.APPLIED
        now = await self._routes.find_one({"_id": stored.case_id}, {"processed": 1})
        if now is None:
            return Outcome.MISSING
        return Outcome.DUPLICATE if cause_id in now.get("processed", []) else Outcome.CONFLICT

    async def get(self, case_id: str) -> dict[str, Any] | None:
        return await self._routes.find_one(
            {"_id": case_id}, {"outbox": 0, "processed": 0, "revision": 0, "case": 0}
        )
