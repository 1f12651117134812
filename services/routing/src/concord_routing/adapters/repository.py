"""Routing's store: one document per case with its facts, every decision, the departments
asked, their requests and the declines -- and the outbox, so each change and its events are
one update."""

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any

from concord_shared.enums import Desk, Level
from concord_shared.outbox import Emit, apply_once, with_outbox
from concord_shared.store import Document
from pymongo.asynchronous.database import AsyncDatabase

from concord_routing.domain.decision import CaseFacts, Decision
from concord_routing.domain.inbox import OPEN, InboxItem, open_departments
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
    requests: list[dict[str, Any]]  # one per department asked: see domain/inbox.py


def _decision_doc(decision: Decision, at: datetime) -> dict[str, Any]:
    return {**dataclasses.asdict(decision), "decided_at": at}


def _requests_set(requests: list[dict[str, Any]]) -> dict[str, Any]:
    # `open_requests` is derived from `requests` in the same write: the inbox's filter.
    return {"requests": requests, "open_requests": open_departments(requests)}


def decision_from(doc: dict[str, Any]) -> Decision:
    fields = {f.name for f in dataclasses.fields(Decision)}
    values = {k: v for k, v in doc.items() if k in fields}
    return Decision(**{**values, "level": Level(doc["level"]), "desk": Desk(doc["desk"])})


class RouteRepository:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._routes = db[ROUTES]

    async def ensure_indexes(self) -> None:
        await self._routes.create_index("open_requests")
        await self._routes.create_index("requests.department")

    async def record_first(
        self,
        case_id: str,
        cause_id: str,
        facts: CaseFacts,
        case: dict[str, Any],
        decision: Decision,
        at: datetime,
        emits: list[Emit],
        requests: list[dict[str, Any]],
    ) -> bool:
        asked = [d for d in [decision.lead_department, *decision.co_departments] if d]
        return await apply_once(
            self._routes,
            case_id,
            cause_id,
            {
                "$setOnInsert": {"facts": dataclasses.asdict(facts), "case": case, "revision": 1},
                "$push": {"decisions": _decision_doc(decision, at)},
                "$set": {
                    "current": _decision_doc(decision, at),
                    "asked": asked,
                    "declines": [],
                    **_requests_set(requests),
                },
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
            doc.get("requests", []),
        )

    async def record_change(
        self,
        stored: StoredRoute,
        cause_id: str,
        decision: Decision,
        at: datetime,
        emits: list[Emit],
        *,
        requests: list[dict[str, Any]],
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
        update["$set"].update(_requests_set(requests))
        if facts is not None:
            update["$set"]["facts"] = dataclasses.asdict(facts)
        if decline is not None:
            update["$push"]["declines"] = decline
        return await self._conditional(stored, cause_id, update, emits)

    async def record_requests(
        self,
        stored: StoredRoute,
        cause_id: str | None,
        requests: list[dict[str, Any]],
        emits: Sequence[Emit] = (),
    ) -> Outcome:
        """The case's requests after a reply (and the reply's event, when routing sends
        it), if the case has not changed since it was read. `cause_id`: the consumed event,
        recorded so a redelivery changes nothing; None for a reply given over HTTP, whose
        own event routing then consumes like any department's."""
        update: dict[str, Any] = {"$set": _requests_set(requests), "$inc": {"revision": 1}}
        if cause_id is not None:
            update["$push"] = {"processed": cause_id}
        return await self._conditional(stored, cause_id, update, emits)

    async def _conditional(
        self,
        stored: StoredRoute,
        cause_id: str | None,
        update: dict[str, Any],
        emits: Sequence[Emit],
    ) -> Outcome:
        query: dict[str, Any] = {"_id": stored.case_id, "revision": stored.revision}
        if cause_id is not None:
            query["processed"] = {"$ne": cause_id}
        result = await self._routes.update_one(query, with_outbox(update, emits))
        if result.matched_count:
            return Outcome.APPLIED
        now = await self._routes.find_one({"_id": stored.case_id}, {"processed": 1})
        if now is None:
            return Outcome.MISSING
        if cause_id is not None and cause_id in now.get("processed", []):
            return Outcome.DUPLICATE
        return Outcome.CONFLICT

    async def inbox(self, department: str, *, open_only: bool) -> list[InboxItem]:
        """A department's requests, newest first.

        Access pattern: one query filtered on an indexed field -- `open_requests` (the
        departments with an open request, kept in the same write as `requests`) for the
        open inbox, the multikey `requests.department` for every request ever made -- and
        a projection of the requests and the current platform only. On MongoDB both are
        index lookups, so the cost follows the department's requests, not the number of
        cases. The local FerretDB (SQLite) pushes only `_id` filters down and scans the
        collection for these, as for mediation's platform queue: fine at one county's
        volume, and the reason the open inbox filters on the small `open_requests`.
        """
        field = "open_requests" if open_only else "requests.department"
        found = self._routes.find({field: department}, {"requests": 1, "current.platform": 1})
        items = [
            InboxItem.of(str(doc["_id"]), doc["current"]["platform"], request)
            async for doc in found
            for request in doc.get("requests", [])
            if request["department"] == department and (not open_only or request["state"] in OPEN)
        ]
        return sorted(items, key=lambda i: i.requested_at, reverse=True)

    async def get(self, case_id: str) -> dict[str, Any] | None:
        return await self._routes.find_one(
            {"_id": case_id}, {"outbox": 0, "processed": 0, "revision": 0, "case": 0}
        )
