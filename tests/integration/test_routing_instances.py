"""Two routing instances in one consumer group share the cases and never route one twice."""

import httpx
import pytest
from concord_shared.topics import CASE_EVENTS

from tests.support.kafka import events_on, group_members
from tests.support.routing import new_case_id, received, route_of, send_received
from tests.support.stack import Services
from tests.support.wait import eventually

pytestmark = pytest.mark.real


async def test_two_instances_route_every_case_exactly_once(services: Services) -> None:
    ns = services.namespace
    group = f"{ns}.routing"
    alone = await eventually(lambda: group_members(group), within=60)
    second = services.start_instance("routing", "second")
    try:
        await eventually(lambda: _members_are(group, 2 * alone), within=60)
        case_ids = [new_case_id() for _ in range(60)]
        await send_received(ns, {c: received(c, category="consumer") for c in case_ids})
        async with httpx.AsyncClient(timeout=10) as http:
            for case_id in case_ids:
                route = await route_of(http, second.url, case_id)
                assert len(route["decisions"]) == 1, case_id
        routed = await events_on(
            [CASE_EVENTS.full_name(ns)],
            set(case_ids),
            until=lambda es: sum(e["type"] == "CaseRouted" for e in es) >= len(case_ids),
        )
        per_case = [
            sum(e["case_id"] == c for e in routed if e["type"] == "CaseRouted") for c in case_ids
        ]
        assert per_case == [1] * len(case_ids)
        # Both instances did part of the work (4 partitions, 2 members).
        logs = [services["routing"].log_path.read_text(), second.log_path.read_text()]
        for log in logs:
            assert any(c in log for c in case_ids)
    finally:
        second.stop()
        services.extra.remove(second)


async def _members_are(group: str, n: int) -> bool:
    return await group_members(group) == n
