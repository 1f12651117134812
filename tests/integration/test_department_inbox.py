"""A department's inbox and replies over HTTP at routing (the department console's API), on
the real broker and store: the clerk sees the request, replies for their own department
only, and the reply has the effects of one a department system sends on Kafka -- routing
re-routes on a decline, mediation records the reply on the case."""

from typing import Any

import httpx
import pytest
from concord_shared.envelope import envelope
from concord_shared.events import CoordinationAccepted
from concord_shared.topics import HORIZONTAL_REPLIES, department_topic

from tests.support.kafka import events_on, send
from tests.support.routing import decline, new_case_id, received, route_of, send_received
from tests.support.stack import (
    MEDIATION_SUPERVISOR_KEY,
    ROUTING_ADMIN_KEY,
    ROUTING_HRSS_KEY,
    ROUTING_LAND_KEY,
    Services,
)
from tests.support.wait import eventually

pytestmark = pytest.mark.real
LAND = {"X-API-Key": ROUTING_LAND_KEY}
HRSS = {"X-API-Key": ROUTING_HRSS_KEY}
ADMIN = {"X-API-Key": ROUTING_ADMIN_KEY}
SUPERVISOR = {"X-API-Key": MEDIATION_SUPERVISOR_KEY}


async def land_dispute(services: Services, http: httpx.AsyncClient) -> str:
    """A land dispute routed (land leads, agriculture co-ordinates) and opened at mediation,
    so a reply finds the case there."""
    case_id = new_case_id()
    await send_received(services.namespace, {case_id: received(case_id, category="land_dispute")})
    current = (await route_of(http, services["routing"].url, case_id))["current"]
    assert (current["lead_department"], current["co_departments"]) == ("land", ["agriculture"])
    await mediation_case(services, http, case_id)
    return case_id


async def mediation_case(
    services: Services, http: httpx.AsyncClient, case_id: str, *, replies: int = 0
) -> dict[str, Any]:
    """Mediation's case once it holds at least `replies` department replies."""

    async def probe() -> dict[str, Any] | None:
        r = await http.get(f"{services['mediation'].url}/cases/{case_id}", headers=SUPERVISOR)
        if r.status_code != 200:
            return None
        body: dict[str, Any] = r.json()
        return body if len(body.get("department_replies", [])) >= replies else None

    return await eventually(probe)


async def close_at_mediation(services: Services, http: httpx.AsyncClient, case_id: str) -> None:
    """Mediation does not accept the case and closes it: it emits CaseClosed."""
    for step in ({"action": "not_accept", "reason": "不属于受理范围"}, {"action": "close"}):
        r = await http.post(
            f"{services['mediation'].url}/cases/{case_id}/transitions",
            json=step,
            headers=SUPERVISOR,
        )
        assert r.status_code == 200, r.text


async def inbox(
    http: httpx.AsyncClient, base: str, department: str, headers: dict[str, str], **params: str
) -> dict[str, dict[str, Any]]:
    r = await http.get(f"{base}/departments/{department}/requests", headers=headers, params=params)
    assert r.status_code == 200, r.text
    return {item["case_id"]: item for item in r.json()["requests"]}


async def test_the_land_clerk_sees_the_request_accepts_and_answers_it_once(
    services: Services,
) -> None:
    base = services["routing"].url
    async with httpx.AsyncClient(timeout=10) as http:
        case_id = await land_dispute(services, http)
        reply_url = f"{base}/cases/{case_id}/coordination/land/reply"

        mine = (await inbox(http, base, "land", LAND))[case_id]
        assert mine["state"] == "requested"
        assert (mine["category"], mine["platform"]) == ("land_dispute", "339901001")
        assert mine["summary"] == "测试案件"
        assert mine["request_id"] and mine["requested_at"]
        assert mine["reason"] is None and mine["answer"] is None
        # An administrator reads any department's inbox; agriculture's has the case too.
        assert case_id in await inbox(http, base, "agriculture", ADMIN)

        # Another department's clerk neither reads land's inbox nor replies for land.
        r = await http.get(f"{base}/departments/land/requests", headers=HRSS)
        assert r.status_code == 403
        r = await http.post(reply_url, json={"decision": "accept"}, headers=HRSS)
        assert r.status_code == 403
        assert (await http.post(reply_url, json={"decision": "accept"})).status_code == 401
        # hrss was never asked about this case: its own reply is a conflict, not a reply.
        r = await http.post(
            f"{base}/cases/{case_id}/coordination/hrss/reply",
            json={"decision": "accept"},
            headers=HRSS,
        )
        assert r.status_code == 409
        r = await http.post(
            f"{base}/cases/{new_case_id()}/coordination/land/reply",
            json={"decision": "accept"},
            headers=LAND,
        )
        assert r.status_code == 404

        # Bad replies name the field and change nothing.
        for body in ({"decision": "decline"}, {"decision": "decline", "reason": "   "}):
            r = await http.post(reply_url, json=body, headers=LAND)
            assert r.status_code == 422 and "reason" in r.text, r.text
        r = await http.post(reply_url, json={"decision": "answer"}, headers=LAND)
        assert r.status_code == 422 and "answer" in r.text
        r = await http.post(reply_url, json={"decision": "maybe"}, headers=LAND)
        assert r.status_code == 422 and "decision" in r.text
        r = await http.post(
            reply_url, json={"decision": "accept", "department": "hrss"}, headers=LAND
        )
        assert r.status_code == 422 and "department" in r.text  # never taken from the body
        assert (await inbox(http, base, "land", LAND))[case_id]["state"] == "requested"

        accepted = await http.post(reply_url, json={"decision": "accept"}, headers=LAND)
        assert accepted.status_code == 202, accepted.text
        accepted_id = accepted.json()["event_id"]
        assert (await inbox(http, base, "land", LAND))[case_id]["state"] == "accepted"
        again = await http.post(reply_url, json={"decision": "accept"}, headers=LAND)
        assert again.status_code == 409

        # Agriculture's own system accepts on Kafka, as departments do today: mediation
        # records both replies alike.
        kafka_reply = envelope(
            CoordinationAccepted(department="agriculture", handler_ref="ag-17"),
            source="departments",
            case_id=case_id,
        )
        await send(
            HORIZONTAL_REPLIES.full_name(services.namespace),
            [kafka_reply.to_bytes()],
            key=case_id.encode(),
        )
        case = await mediation_case(services, http, case_id, replies=2)
        by_department = {r["department"]: r for r in case["department_replies"]}
        console, system = by_department["land"], by_department["agriculture"]
        assert console["type"] == system["type"] == "CoordinationAccepted"
        assert console["event_id"] == accepted_id
        assert set(console) == set(system)
        # Routing follows the Kafka reply in agriculture's inbox, as it does the console's.

        async def agriculture_accepted() -> bool:
            return (await inbox(http, base, "agriculture", ADMIN))[case_id]["state"] == "accepted"

        await eventually(agriculture_accepted)

        answer = "界址以1998年土地证为准"
        answered = await http.post(
            reply_url, json={"decision": "answer", "answer": answer}, headers=LAND
        )
        assert answered.status_code == 202, answered.text
        # Answered is final: nothing more is taken, and the request leaves the open inbox.
        late = await http.post(
            reply_url, json={"decision": "decline", "reason": "on second thoughts"}, headers=LAND
        )
        assert late.status_code == 409
        assert case_id not in await inbox(http, base, "land", LAND)
        done = (await inbox(http, base, "land", LAND, state="all"))[case_id]
        assert (done["state"], done["answer"]) == ("answered", answer)
        case = await mediation_case(services, http, case_id, replies=3)
        last = case["department_replies"][-1]
        assert (last["type"], last["department"], last["answer"]) == (
            "CoordinationAnswered",
            "land",
            answer,
        )
        assert last["event_id"] == answered.json()["event_id"]


async def test_a_decline_in_the_console_re_routes_the_case_like_one_on_kafka(
    services: Services,
) -> None:
    base = services["routing"].url
    async with httpx.AsyncClient(timeout=10) as http:
        case_id = await land_dispute(services, http)
        r = await http.post(
            f"{base}/cases/{case_id}/coordination/land/reply",
            json={"decision": "decline", "reason": "irrigation ditch, not a boundary"},
            headers=LAND,
        )
        assert r.status_code == 202, r.text

        route = await route_of(http, base, case_id, decisions=2)
        assert [d["department"] for d in route["declines"]] == ["land"]
        assert route["declines"][0]["declined_by"] == "land-clerk-1"  # the key's holder
        assert route["current"]["lead_department"] != "land"
        assert "land declined: irrigation ditch, not a boundary" in route["current"]["reason"]

        assert case_id not in await inbox(http, base, "land", LAND)
        declined = (await inbox(http, base, "land", LAND, state="all"))[case_id]
        assert (declined["state"], declined["reason"]) == (
            "declined",
            "irrigation ditch, not a boundary",
        )
        again = await http.post(
            f"{base}/cases/{case_id}/coordination/land/reply",
            json={"decision": "accept"},
            headers=LAND,
        )
        assert again.status_code == 409
        case = await mediation_case(services, http, case_id, replies=1)
        reply = case["department_replies"][0]
        assert (reply["type"], reply["department"], reply["reason"]) == (
            "CoordinationDeclined",
            "land",
            "irrigation ditch, not a boundary",
        )


async def test_a_closed_case_leaves_the_departments_open_inboxes_and_they_are_told(
    services: Services,
) -> None:
    """Mediation closes the case: land (which accepted) and agriculture (never replied) are
    no longer asked, each is told by a CoordinationWithdrawn, and neither open inbox lists
    the case; their full inboxes still show it, withdrawn."""
    base = services["routing"].url
    async with httpx.AsyncClient(timeout=10) as http:
        case_id = await land_dispute(services, http)
        r = await http.post(
            f"{base}/cases/{case_id}/coordination/land/reply",
            json={"decision": "accept"},
            headers=LAND,
        )
        assert r.status_code == 202, r.text
        await mediation_case(services, http, case_id, replies=1)
        # Before the closure both departments have the case open.
        assert (await inbox(http, base, "land", LAND))[case_id]["state"] == "accepted"
        assert (await inbox(http, base, "agriculture", ADMIN))[case_id]["state"] == "requested"
        await close_at_mediation(services, http, case_id)

        async def gone_from_open_inboxes() -> bool:
            land = await inbox(http, base, "land", LAND)
            agriculture = await inbox(http, base, "agriculture", ADMIN)
            return case_id not in land and case_id not in agriculture

        await eventually(gone_from_open_inboxes)
        everything = await inbox(http, base, "land", LAND, state="all")
        assert everything[case_id]["state"] == "withdrawn"
        assert (await inbox(http, base, "agriculture", ADMIN, state="all"))[case_id][
            "state"
        ] == "withdrawn"
        # Asked about a closed case no more: a late reply is refused.
        r = await http.post(
            f"{base}/cases/{case_id}/coordination/land/reply",
            json={"decision": "answer", "answer": "已处理"},
            headers=LAND,
        )
        assert r.status_code == 409

    topics = [department_topic(d).full_name(services.namespace) for d in ("land", "agriculture")]

    def both_withdrawn(found: list[dict[str, Any]]) -> bool:
        return {
            e["payload"]["department"] for e in found if e["type"] == "CoordinationWithdrawn"
        } == {
            "land",
            "agriculture",
        }

    events = await events_on(topics, {case_id}, until=both_withdrawn)
    assert both_withdrawn(events), [e["type"] for e in events]
    withdrawn = [e for e in events if e["type"] == "CoordinationWithdrawn"]
    assert all(e["payload"]["reason"] == "the case was closed" for e in withdrawn)
    assert all(e["topic"].endswith(e["payload"]["department"]) for e in withdrawn)


async def test_a_late_decline_from_a_department_system_does_not_re_route_a_closed_case(
    services: Services,
) -> None:
    """The console refuses a reply to a closed case (409); a department system's decline on
    Kafka that comes after the closure changes nothing either: no other department is asked
    about a closed case, and no open inbox gets it back."""
    ns, base = services.namespace, services["routing"].url
    async with httpx.AsyncClient(timeout=10) as http:
        case_id = await land_dispute(services, http)
        assert case_id in await inbox(http, base, "land", LAND)
        await close_at_mediation(services, http, case_id)

        async def withdrawn() -> bool:
            land = await inbox(http, base, "land", LAND, state="all")
            return bool(land[case_id]["state"] == "withdrawn")

        await eventually(withdrawn)
        await decline(ns, case_id, "land", reason="不属本部门", suggested_department="water")

        # Read every department topic for a few seconds, so a new request would be seen.
        codes = ("land", "agriculture", "water")
        topics = [department_topic(d).full_name(ns) for d in codes]
        events = await events_on(topics, {case_id}, until=lambda es: False, within=5)
        requested = [
            e["payload"]["department"] for e in events if e["type"] == "CoordinationRequested"
        ]
        assert sorted(requested) == ["agriculture", "land"]  # the routing's, nothing after
        route = await route_of(http, base, case_id)
        assert len(route["decisions"]) == 1 and route["declines"] == []
        assert route["current"]["lead_department"] == "land"
        for department in codes:
            assert case_id not in await inbox(http, base, department, ADMIN)
