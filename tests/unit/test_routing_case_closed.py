"""Routing's service layer on a closed case, without a stack: the store is the in-memory
stand-in of tests/support/fakes.py, held to the real one's guarantees by
tests/integration/test_route_repository.py, and the outbox an in-memory one."""

from typing import Any, cast

import pytest
from concord_routing.adapters.config_store import ConfigStore, LiveConfig
from concord_routing.adapters.repository import RouteRepository
from concord_routing.domain.config import RoutingConfig
from concord_routing.domain.inbox import (
    CLOSED_REASON,
    decline_moves_case,
    open_departments,
    request_of,
    withdrawn_on_close,
)
from concord_routing.domain.rules import load_rules
from concord_routing.handlers import Routing
from concord_shared.calendar import DEFAULT_CALENDARS, load_calendar
from concord_shared.enums import Level
from concord_shared.envelope import Envelope, envelope
from concord_shared.events import (
    CaseClosed,
    CaseReceived,
    CoordinationAccepted,
    CoordinationAnswered,
    CoordinationDeclined,
    PartyRef,
)
from concord_shared.registry import load_registry

from tests.support.fakes import MemoryRoutes, Sent, memory_outbox

REGISTRY = load_registry()
CONFIG = RoutingConfig(1, REGISTRY, load_rules(REGISTRY))
NS = "unit"


class FixedConfig:
    async def current(self, *, fresh: bool = False) -> RoutingConfig:
        return CONFIG


def service() -> tuple[Routing, MemoryRoutes, Sent]:
    routes = MemoryRoutes()
    outbox, sent = memory_outbox(NS, "routing")
    routing = Routing(
        repo=cast(RouteRepository, routes),
        config=cast(LiveConfig, FixedConfig()),
        config_store=cast(ConfigStore, None),
        outbox=outbox,
        calendar=load_calendar(*DEFAULT_CALENDARS),
    )
    return routing, routes, sent


def case_received(case_id: str, category: str = "land_dispute") -> Envelope[Any]:
    payload = CaseReceived(
        receipt_number=f"T{case_id[-8:]}",
        kind="dispute",
        channel="visit",
        category=category,
        received_at_platform="339901001",
        area_code="339901001001",
        severity="low",
        summary="测试案件",
        parties=[PartyRef(ref=f"p-{case_id}-{n}", role="applicant") for n in range(2)],
        party_count=2,
    )
    return envelope(payload, source="intake", case_id=case_id)


def case_closed(case_id: str) -> Envelope[Any]:
    closed = CaseClosed(platform="339901001", level=Level.TOWNSHIP)
    return envelope(closed, source="mediation", case_id=case_id)


def state(routes: MemoryRoutes, case_id: str, department: str) -> str:
    request = request_of(routes.docs[case_id].requests, department)
    assert request is not None, department
    return str(request["state"])


def test_closure_withdraws_only_the_requests_still_open() -> None:
    requests = [
        {"department": "land", "state": "accepted"},
        {"department": "agriculture", "state": "requested"},
        {"department": "water", "state": "answered"},
        {"department": "hrss", "state": "declined"},
    ]
    assert withdrawn_on_close(requests) == ["agriculture", "land"]
    assert withdrawn_on_close([{"department": "land", "state": "withdrawn"}]) == []
    assert withdrawn_on_close([]) == []


def test_a_decline_moves_a_case_unless_the_request_was_withdrawn() -> None:
    assert decline_moves_case([{"department": "land", "state": "accepted"}], "land")
    assert decline_moves_case([], "land")  # routed before requests were kept
    assert not decline_moves_case([{"department": "land", "state": "withdrawn"}], "land")


async def test_a_closed_case_withdraws_its_open_requests_in_one_write_once() -> None:
    routing, routes, sent = service()
    case_id = "case-closed-1"
    await routing.on_case_received(case_received(case_id))
    assert open_departments(routes.docs[case_id].requests) == ["agriculture", "land"]
    accepted = CoordinationAccepted(department="land")
    await routing.on_reply(envelope(accepted, source="land", case_id=case_id))
    assert state(routes, case_id, "land") == "accepted"
    revision, sent.emits = routes.docs[case_id].revision, []

    closed = case_closed(case_id)
    await routing.on_case_closed(closed)

    doc = routes.docs[case_id]
    assert doc.revision == revision + 1  # one write: the requests and their events together
    assert [state(routes, case_id, d) for d in ("land", "agriculture")] == ["withdrawn"] * 2
    assert open_departments(doc.requests) == []
    assert closed.event_id in doc.processed
    withdrawn = sent.of_type("CoordinationWithdrawn")
    assert withdrawn == sent.emits and withdrawn == doc.outbox[-2:]
    assert sorted((e.topic, e.event.payload.department) for e in withdrawn) == [
        (f"{NS}.horizontal.agriculture", "agriculture"),
        (f"{NS}.horizontal.land", "land"),
    ]
    for e in withdrawn:
        assert e.event.payload.reason == CLOSED_REASON
        assert e.event.causation_id == closed.event_id
        assert e.event.case_id == case_id

    # Delivered again: nothing changes, nothing more is sent.
    await routing.on_case_closed(closed)
    assert routes.docs[case_id].revision == revision + 1
    assert len(sent.emits) == 2


async def test_a_closure_with_nothing_open_or_of_an_unknown_case_changes_nothing() -> None:
    routing, routes, sent = service()
    await routing.on_case_closed(case_closed("case-never-seen"))
    assert routes.docs == {} and sent.emits == []

    case_id = "case-closed-2"
    await routing.on_case_received(case_received(case_id))
    for department in ("land", "agriculture"):
        answered = CoordinationAnswered(department=department, answer="已答复")
        await routing.on_reply(envelope(answered, source=department, case_id=case_id))
    revision, sent.emits = routes.docs[case_id].revision, []
    await routing.on_case_closed(case_closed(case_id))
    assert routes.docs[case_id].revision == revision
    assert sent.emits == []
    assert [state(routes, case_id, d) for d in ("land", "agriculture")] == ["answered"] * 2


@pytest.mark.parametrize("suggested", [None, "water"])
async def test_a_late_decline_of_a_closed_case_asks_no_other_department(
    suggested: str | None,
) -> None:
    """A department system's decline that arrives after the closure (the console refuses it
    with 409) would otherwise re-route the closed case to a department never asked."""
    routing, routes, sent = service()
    case_id = "case-closed-3"
    await routing.on_case_received(case_received(case_id))
    await routing.on_case_closed(case_closed(case_id))
    before, sent.emits = await routes.load(case_id), []

    late = CoordinationDeclined(
        department="land", declined_by="l-1", reason="不属本部门", suggested_department=suggested
    )
    await routing.on_declined(envelope(late, source="land", case_id=case_id))

    # Nobody else is asked and the case stays where it is; land is told why its decline
    # was not taken, on its own topic.
    [told] = sent.emits
    assert told.topic.endswith("horizontal.land")
    assert told.event.payload.reason == "not_open" and "withdrawn" in told.event.payload.detail
    after = await routes.load(case_id)
    assert after is not None and before is not None
    assert after.route == before.route and after.requests == before.requests
    assert open_departments(routes.docs[case_id].requests) == []
