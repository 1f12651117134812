"""Routing's store: one document per case with its facts, every decision, the departments
asked, their requests and the declines -- and the outbox, so each change and its events are
one update."""

import dataclasses
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any, TypeVar

from concord_shared.enums import Desk, Level
from concord_shared.keyed_sets import documents
from concord_shared.outbox import Emit, apply_once, intend, with_outbox
from concord_shared.store import Document
from pymongo.asynchronous.database import AsyncDatabase

from concord_routing.adapters.inbox_index import InboxIndex
from concord_routing.domain.decision import CaseFacts, Decision
from concord_routing.domain.inbox import OPEN, InboxItem, open_departments
from concord_routing.domain.reroute import Route

ROUTES = "routes"
_Done = TypeVar("_Done", bool, "Outcome")


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
        self._inbox = InboxIndex(db, ROUTES)

    async def ensure_indexes(self) -> None:
        """The inbox index for routes stored before it existed (once; see inbox_index.py)."""
        await self._inbox.backfill()

    async def _inbox_kept(
        self,
        case_id: str,
        previous: list[dict[str, Any]],
        requests: list[dict[str, Any]],
        write: Awaitable[_Done],
    ) -> _Done:
        """Run a write that leaves the case with `requests`, keeping the inbox index: its
        additions before the write, its removals after it (see inbox_index.py)."""
        await self._inbox.before(case_id, requests)
        done = await write
        if done is True or done is Outcome.APPLIED:
            await self._inbox.after(case_id, previous, requests)
        return done

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
        write = apply_once(
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
        return await self._inbox_kept(case_id, [], requests, write)

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
        write = self._conditional(stored, cause_id, update, emits)
        return await self._inbox_kept(stored.case_id, stored.requests, requests, write)

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
        write = self._conditional(stored, cause_id, update, emits)
        return await self._inbox_kept(stored.case_id, stored.requests, requests, write)

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
        await intend(self._routes, [(stored.case_id, emits)])
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

        Access pattern: the department's cases from the inbox index (`open:<department>`,
        or every month's `all:<department>:<month>`), then each case by `_id`: the cost
        follows the department's requests, not the number of cases. Each case is checked
        against its document; one whose request to the department is no longer open is
        dropped from the open set.
        """
        ids = await (self._inbox.open_cases if open_only else self._inbox.all_cases)(department)
        docs = await documents(self._routes, ids)
        items = [
            InboxItem.of(str(doc["_id"]), doc["current"]["platform"], request)
            for doc in docs
            for request in doc.get("requests", [])
            if request["department"] == department and (not open_only or request["state"] in OPEN)
        ]
        if open_only:
            listed = {i.case_id for i in items}
            await self._inbox.not_open(department, [i for i in ids if i not in listed])
        return sorted(items, key=lambda i: i.requested_at, reverse=True)

    async def get(self, case_id: str) -> dict[str, Any] | None:
        return await self._routes.find_one(
            {"_id": case_id}, {"outbox": 0, "processed": 0, "revision": 0, "case": 0}
        )
