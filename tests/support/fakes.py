"""In-memory stand-ins for the service-layer tests: a routing store that keeps the real one's
guarantees (one write per change with its events, a revision guard, each cause applied once;
tests/integration/test_route_repository.py runs the same checks on both) and an outbox that
keeps what it is handed instead of publishing it; mediation's case store, its indexes left
out, and locks within one process."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from concord_routing.adapters.repository import Outcome, StoredRoute
from concord_routing.domain.decision import CaseFacts, Decision
from concord_routing.domain.reroute import Route
from concord_shared.outbox import Emit, Outbox


@dataclass
class _Doc:
    revision: int
    facts: CaseFacts
    current: Decision
    asked: frozenset[str]
    case: dict[str, Any]
    requests: list[dict[str, Any]]
    decisions: list[dict[str, Any]] = field(default_factory=list)
    declines: list[dict[str, Any]] = field(default_factory=list)
    processed: set[str] = field(default_factory=set)
    outbox: list[Emit] = field(default_factory=list)


class MemoryRoutes:
    """The part of RouteRepository the event handlers use, in memory."""

    def __init__(self) -> None:
        self.docs: dict[str, _Doc] = {}

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
        if case_id in self.docs:
            return False
        asked = frozenset(d for d in [decision.lead_department, *decision.co_departments] if d)
        decisions = [{**decision.__dict__, "decided_at": at}]
        self.docs[case_id] = _Doc(
            1, facts, decision, asked, case, requests, decisions, [], {cause_id}, list(emits)
        )
        return True

    async def load(self, case_id: str) -> StoredRoute | None:
        doc = self.docs.get(case_id)
        if doc is None:
            return None
        route = Route(doc.current, doc.asked, len(doc.declines))
        return StoredRoute(
            case_id,
            doc.revision,
            doc.facts,
            route,
            list(doc.decisions),
            doc.case,
            list(doc.declines),
            list(doc.requests),
        )

    def _guard(self, stored: StoredRoute, cause_id: str | None) -> Outcome | None:
        doc = self.docs.get(stored.case_id)
        if doc is None:
            return Outcome.MISSING
        if cause_id is not None and cause_id in doc.processed:
            return Outcome.DUPLICATE
        if doc.revision != stored.revision:
            return Outcome.CONFLICT
        return None

    async def record_requests(
        self,
        stored: StoredRoute,
        cause_id: str | None,
        requests: list[dict[str, Any]],
        emits: Any = (),
    ) -> Outcome:
        refused = self._guard(stored, cause_id)
        if refused is not None:
            return refused
        doc = self.docs[stored.case_id]
        doc.requests, doc.revision = requests, doc.revision + 1
        doc.processed |= {cause_id} if cause_id else set()
        doc.outbox += list(emits)
        return Outcome.APPLIED

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
        refused = self._guard(stored, cause_id)
        if refused is not None:
            return refused
        doc = self.docs[stored.case_id]
        doc.current, doc.requests, doc.revision = decision, requests, doc.revision + 1
        doc.asked |= {d for d in [decision.lead_department, *decision.co_departments] if d}
        doc.decisions.append({**decision.__dict__, "decided_at": at})
        doc.declines += [decline] if decline else []
        doc.facts = facts or doc.facts
        doc.processed.add(cause_id)
        doc.outbox += emits
        return Outcome.APPLIED


@dataclass
class Sent:
    """What the relay was told to publish, case by case."""

    emits: list[Emit] = field(default_factory=list)

    def __call__(self, case_id: str, emits: Any) -> None:
        self.emits += list(emits)

    def of_type(self, event_type: str) -> list[Emit]:
        return [e for e in self.emits if e.event.type == event_type]


def memory_outbox(namespace: str, service: str) -> tuple[Outbox, Sent]:
    """A service's outbox whose relay is a list: what the service layer hands over, kept."""
    sent = Sent()
    return Outbox(namespace, service, sent), sent


class MemoryCases:
    """The part of mediation's case store the workflow uses, in memory, with the real one's
    guarantees: an update applies only to the revision read (and once per cause), and the
    events it queues are written with it."""

    def __init__(self, *docs: dict[str, Any]) -> None:
        self.docs: dict[str, dict[str, Any]] = {d["_id"]: dict(d) for d in docs}
        self.outbox: dict[str, list[Emit]] = {}
        self.unavailable: set[str] = set()

    async def get(self, case_id: str) -> dict[str, Any] | None:
        doc = self.docs.get(case_id)
        return None if doc is None else {k: v for k, v in doc.items() if k != "processed"}

    async def update(
        self,
        case_id: str,
        rev: int,
        update: dict[str, Any],
        emits: list[Emit],
        cause_id: str | None = None,
    ) -> bool:
        doc = self.docs.get(case_id)
        if doc is None or doc.get("rev", 0) != rev or cause_id in doc.get("processed", []):
            return False
        doc.update(update.get("$set", {}))
        for key, values in update.get("$push", {}).items():
            doc[key] = [*doc.get(key, []), *values["$each"]]
        for key in update.get("$unset", {}):
            doc.pop(key, None)
        doc["rev"] = rev + 1
        if cause_id is not None:
            doc["processed"] = [*doc.get("processed", []), cause_id]
        self.outbox.setdefault(case_id, []).extend(emits)
        return True

    async def unavailable_mediators(self) -> set[str]:
        return set(self.unavailable)

    async def open_with_mediators(self, platform: str, statuses: list[str]) -> list[dict[str, Any]]:
        return [
            d for d in self.docs.values() if d["platform"] == platform and d["status"] in statuses
        ]


class NoIndexes:
    """Mediation's case indexes, left out: every reader uses the plain queries."""

    async def before(self, old: dict[str, Any], new: dict[str, Any]) -> None:
        return None

    async def after(self, old: dict[str, Any], new: dict[str, Any]) -> None:
        return None

    async def ready(self) -> bool:
        return False


class OneProcessLocks:
    """Per-case locks within one process (the real ones are held in the store)."""

    def __init__(self) -> None:
        self._locks: dict[str, asyncio.Lock] = {}

    @asynccontextmanager
    async def hold(self, case_id: str) -> AsyncIterator[None]:
        async with self._locks.setdefault(case_id, asyncio.Lock()):
            yield
