"""The routing store's guarantees, checked the same way on the real store and on the in-memory
stand-in the service-layer tests use (tests/support/fakes.py), so the fake cannot drift from
what it stands for: a case recorded once per cause, its events queued in the same write, a
revision guard against a change made since the case was read, and each cause applied once."""

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
import pytest_asyncio
from concord_routing.adapters.repository import ROUTES, Outcome, RouteRepository
from concord_routing.domain.decision import CaseFacts, Decision, decide
from concord_routing.domain.inbox import after_routing
from concord_routing.domain.rules import load_rules
from concord_shared.enums import CaseKind, Severity
from concord_shared.events import CoordinationRequested, CoordinationWithdrawn
from concord_shared.outbox import Emit, Outbox
from concord_shared.registry import load_registry
from concord_shared.topics import department_topic
from pymongo.asynchronous.database import AsyncDatabase

from tests.support.fakes import MemoryRoutes

pytestmark = pytest.mark.real

REGISTRY = load_registry()
RULES = load_rules(REGISTRY)
AT = datetime(2026, 12, 3, 2, 0, tzinfo=UTC)
OUTBOX = Outbox("contract", "routing")


@dataclass
class Routes:
    repo: Any  # RouteRepository or MemoryRoutes: the same methods, the same answers
    queued: Callable[[str], Awaitable[list[str]]]  # the ids of the events a case holds


@pytest_asyncio.fixture(params=["store", "memory"])
async def routes(
    request: pytest.FixtureRequest, db: AsyncDatabase[dict[str, object]]
) -> AsyncIterator[Routes]:
    if request.param == "store":

        async def in_store(case_id: str) -> list[str]:
            doc = await db[ROUTES].find_one({"_id": case_id})
            return [e["event_id"] for e in (doc or {}).get("outbox", [])]  # type: ignore[attr-defined]

        yield Routes(RouteRepository(db), in_store)
    else:
        memory = MemoryRoutes()

        async def in_memory(case_id: str) -> list[str]:
            return [e.event.event_id for e in memory.docs[case_id].outbox]

        yield Routes(memory, in_memory)


def facts(category: str = "land_dispute") -> CaseFacts:
    return CaseFacts(
        kind=CaseKind.DISPUTE,
        category=category,
        area_code="339901001001",
        severity=Severity.LOW,
        party_count=2,
        collective=False,
        repeat=False,
    )


def decision(category: str = "land_dispute") -> Decision:
    return decide(facts(category), REGISTRY, RULES)


def event(case_id: str, payload: Any) -> Emit:
    return OUTBOX.change(case_id).emit(department_topic(payload.department), payload)


async def first(routes: Routes, case_id: str) -> Emit:
    d = decision()
    assert d.lead_department is not None
    told = event(
        case_id,
        CoordinationRequested(
            department=d.lead_department,
            role="lead",
            platform=d.platform,
            kind=CaseKind.DISPUTE,
            category="land_dispute",
            area_code="339901001001",
            summary="两户宅基地界线纠纷",
        ),
    )
    requests = after_routing([], [told.event])
    case = {"summary": "两户宅基地界线纠纷", "correlation_id": "corr-1"}
    recorded = await routes.repo.record_first(
        case_id, "cause-1", facts(), case, d, AT, [told], requests=requests
    )
    assert recorded is True
    return told


async def test_a_case_is_recorded_once_with_its_events(routes: Routes) -> None:
    told = await first(routes, "case-a")
    stored = await routes.repo.load("case-a")
    assert stored is not None
    assert stored.revision == 1
    assert stored.facts == facts()
    assert stored.route.current.platform == decision().platform
    d = decision()
    assert stored.route.asked == {d.lead_department, *d.co_departments}
    assert stored.case["summary"] == "两户宅基地界线纠纷"
    assert [r["department"] for r in stored.requests] == [decision().lead_department]
    assert await routes.queued("case-a") == [told.event.event_id]
    # The same case again (a redelivery of its CaseReceived): nothing is written twice.
    again = await routes.repo.record_first(
        "case-a", "cause-1", facts(), {}, decision(), AT, [], requests=[]
    )
    assert again is False
    assert await routes.queued("case-a") == [told.event.event_id]
    assert await routes.repo.load("nobody") is None


async def test_a_change_applies_once_per_cause_and_only_to_what_was_read(routes: Routes) -> None:
    await first(routes, "case-b")
    stored = await routes.repo.load("case-b")
    lead = decision().lead_department
    assert stored is not None and lead is not None
    withdrawn = event("case-b", CoordinationWithdrawn(department=lead, reason="closed"))
    done = after_routing(stored.requests, [withdrawn.event])
    assert [r["state"] for r in done] == ["withdrawn"]

    applied = await routes.repo.record_requests(stored, "cause-2", done, [withdrawn])
    assert applied is Outcome.APPLIED
    now = await routes.repo.load("case-b")
    assert now is not None and now.revision == 2 and now.requests == done
    assert withdrawn.event.event_id in await routes.queued("case-b")

    # The same cause again: a redelivery, refused before the revision is even looked at.
    assert await routes.repo.record_requests(now, "cause-2", done, []) is Outcome.DUPLICATE
    # A change made on what was read before the last write: read again and retry.
    assert await routes.repo.record_requests(stored, "cause-3", [], []) is Outcome.CONFLICT
    # Nothing of either was written.
    after = await routes.repo.load("case-b")
    assert after is not None and after.revision == 2 and after.requests == done


async def test_a_new_decision_keeps_who_was_asked_and_why(routes: Routes) -> None:
    await first(routes, "case-c")
    stored = await routes.repo.load("case-c")
    assert stored is not None
    moved = decision("wage_arrears")
    decline = {"department": stored.route.current.lead_department, "reason": "not ours", "at": AT}
    outcome = await routes.repo.record_change(
        stored,
        "cause-4",
        moved,
        AT,
        [],
        requests=[],
        facts=facts("wage_arrears"),
        decline=decline,
    )
    assert outcome is Outcome.APPLIED
    now = await routes.repo.load("case-c")
    assert now is not None
    assert now.revision == 2
    assert now.route.current.lead_department == moved.lead_department
    assert now.route.asked >= {decision().lead_department, moved.lead_department}
    assert len(now.decisions) == 2 and now.route.declines == 1
    assert now.facts.category == "wage_arrears"
    assert (
        await routes.repo.record_change(now, "cause-4", moved, AT, [], requests=[])
        is Outcome.DUPLICATE
    )


async def test_a_change_to_a_case_never_recorded_is_missing(routes: Routes) -> None:
    await first(routes, "case-d")
    stored = await routes.repo.load("case-d")
    assert stored is not None
    ghost = type(stored)(**{**stored.__dict__, "case_id": "case-never"})
    assert await routes.repo.record_requests(ghost, "cause-5", [], []) is Outcome.MISSING
