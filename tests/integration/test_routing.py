"""Routing on the real broker and store: declines and loop prevention, recategorisation,
escalation, runtime rule and registry changes (and a refused rule set), and the audit."""

import copy
from typing import Any

import httpx
import pytest
from concord_shared.envelope import envelope
from concord_shared.events import CoordinationAccepted
from concord_shared.topics import (
    HORIZONTAL_REPLIES,
    INTERNAL_TASKS,
    VERTICAL_ASSIGN,
    department_topic,
)

from tests.support.kafka import events_on, send
from tests.support.routing import decline, escalate, new_case_id, received, route_of, send_received
from tests.support.stack import ROUTING_ADMIN_KEY, ROUTING_STAFF_KEY, Services, kafka_client_options

pytestmark = pytest.mark.real
ADMIN = {"X-API-Key": ROUTING_ADMIN_KEY}
STAFF = {"X-API-Key": ROUTING_STAFF_KEY}


def types(events: list[dict[str, Any]], topic: str | None = None) -> list[str]:
    return [e["type"] for e in events if topic is None or e["topic"] == topic]


async def test_declines_move_the_case_on_never_back_and_finally_to_the_county(
    services: Services,
) -> None:
    ns, base = services.namespace, services["routing"].url
    case_id = new_case_id()
    await send_received(ns, {case_id: received(case_id, category="land_dispute")})
    async with httpx.AsyncClient(timeout=10) as http:
        first = (await route_of(http, base, case_id))["current"]
        assert (first["platform"], first["lead_department"], first["co_departments"]) == (
            "339901001",
            "land",
            ["agriculture"],
        )
        # Land says it is about water; water is asked next, as lead.
        once = await decline(
            ns, case_id, "land", reason="irrigation ditch", suggested_department="water"
        )
        second = (await route_of(http, base, case_id, decisions=2))["current"]
        assert second["lead_department"] == "water"
        assert second["co_departments"] == ["agriculture"]
        assert "land declined: irrigation ditch" in second["reason"]
        # The same decline delivered again changes nothing.
        await send(f"{ns}.horizontal.replies", [once], key=case_id.encode())
        await decline(ns, case_id, "water", reason="no water rights involved")
        third = await route_of(http, base, case_id, decisions=3)
        assert len(third["decisions"]) == 3
        assert [d["department"] for d in third["declines"]] == ["land", "water"]
        # Nobody new to ask: agriculture, already engaged, now leads.
        assert third["current"]["lead_department"] == "agriculture"
        # The third decline sends it to the county platform with its history.
        await decline(ns, case_id, "agriculture", reason="not farmland")
        last = (await route_of(http, base, case_id, decisions=4))["current"]
        assert (last["platform"], last["level"], last["desk"]) == ("339901", "county", "reception")
        assert last["rule_id"] == "declines.county"

    departments = ["land", "water", "agriculture"]
    topics = [department_topic(d).full_name(ns) for d in departments]
    topics.append(VERTICAL_ASSIGN.full_name(ns))
    # Read everything there is (a few seconds), so a second request would be seen.
    events = await events_on(topics, {case_id}, until=lambda es: False, within=5)
    for department in departments:
        asked = [
            e["payload"]["role"]
            for e in events
            if e["topic"] == department_topic(department).full_name(ns)
            and e["type"] == "CoordinationRequested"
        ]
        # Never asked twice the same: agriculture, first asked as co-department, is asked
        # again once it leads.
        assert asked == (["co", "lead"] if department == "agriculture" else ["lead"]), (
            department,
            asked,
        )
    assigned = [e for e in events if e["type"] == "CaseAssigned"]
    # Mediation is told each new lead at the township, then the move to the county.
    assert [(a["payload"]["platform"], a["payload"]["lead_department"]) for a in assigned][:3] == [
        ("339901001", "land"),
        ("339901001", "water"),
        ("339901001", "agriculture"),
    ]
    assert [a["payload"]["platform"] for a in assigned][3:] == ["339901"]
    history = "\n".join(assigned[-1]["payload"]["history"])
    for said in ("land declined: irrigation ditch", "water declined", "339901001"):
        assert said in history


async def test_staff_recategorise_a_case_and_both_old_and_new_handlers_are_told(
    services: Services,
) -> None:
    ns, base = services.namespace, services["routing"].url
    case_id = new_case_id()
    await send_received(ns, {case_id: received(case_id, category="wage_arrears")})
    url = f"{base}/cases/{case_id}/recategorise"
    async with httpx.AsyncClient(timeout=10) as http:
        before = (await route_of(http, base, case_id))["current"]
        assert (before["lead_department"], before["co_departments"]) == ("hrss", ["justice"])
        body = {"category": "consumer", "reason": "a shop kept the deposit"}
        assert (await http.post(url, json=body)).status_code == 401
        refused = await http.post(url, json={**body, "category": "nonsense"}, headers=STAFF)
        assert refused.status_code == 422
        assert "category" in refused.text and "nonsense" in refused.text
        missing = await http.post(url, json={"category": "consumer"}, headers=STAFF)
        assert missing.status_code == 422 and "reason" in missing.text
        done = await http.post(url, json=body, headers=STAFF)
        assert done.status_code == 200, done.text
        after = await route_of(http, base, case_id, decisions=2)
        assert after["facts"]["category"] == "consumer"
        assert after["current"]["lead_department"] == "market"
        assert "recategorised from wage_arrears to consumer" in after["current"]["reason"]

    topics = [department_topic(d).full_name(ns) for d in ("hrss", "justice", "market")]
    topics.append(INTERNAL_TASKS.full_name(ns))
    events = await events_on(
        topics,
        {case_id},
        until=lambda es: (
            types(es).count("CoordinationWithdrawn") >= 2
            and types(es).count("CoordinationRequested") >= 3
            and types(es).count("DeskTaskCreated") >= 2
        ),
    )
    for old in ("hrss", "justice"):
        assert types(events, department_topic(old).full_name(ns)) == [
            "CoordinationRequested",
            "CoordinationWithdrawn",
        ]
    assert types(events, department_topic("market").full_name(ns)) == ["CoordinationRequested"]
    tasks = [e["payload"]["task"] for e in events if e["type"] == "DeskTaskCreated"]
    assert tasks == ["handle_case", "case_rerouted"]


async def test_staff_of_another_platform_may_not_recategorise(services: Services) -> None:
    ns, base = services.namespace, services["routing"].url
    case_id = new_case_id()
    # A township-level case in 339901002 (Staff hold a key for 339901001).
    await send_received(
        ns, {case_id: received(case_id, category="consumer", area_code="339901002001")}
    )
    async with httpx.AsyncClient(timeout=10) as http:
        await route_of(http, base, case_id)
        r = await http.post(
            f"{base}/cases/{case_id}/recategorise",
            json={"category": "contract", "reason": "x"},
            headers=STAFF,
        )
        assert r.status_code == 403


async def test_an_escalated_case_is_assigned_to_the_parent_with_its_history(
    services: Services,
) -> None:
    ns, base = services.namespace, services["routing"].url
    case_id = new_case_id()
    await send_received(ns, {case_id: received(case_id, category="neighbour")})
    async with httpx.AsyncClient(timeout=10) as http:
        first = (await route_of(http, base, case_id))["current"]
        assert first["platform"] == "339901001001"
        # A department accepting changes nothing at routing.
        await send(
            HORIZONTAL_REPLIES.full_name(ns),
            [
                envelope(
                    CoordinationAccepted(department=first["lead_department"], handler_ref="j-9"),
                    source="departments",
                    case_id=case_id,
                ).to_bytes()
            ],
            key=case_id.encode(),
        )
        await escalate(
            ns,
            case_id,
            from_platform="339901001001",
            from_level="village",
            to_platform="339901001",
            to_level="township",
            reason="acceptance deadline breached",
        )
        route = await route_of(http, base, case_id, decisions=2)
        assert len(route["decisions"]) == 2  # the acceptance added none
        now = route["current"]
    assert (now["platform"], now["level"], now["rule_id"]) == (
        "339901001",
        "township",
        "escalation",
    )
    assert now["lead_department"] == first["lead_department"]
    events = await events_on(
        [VERTICAL_ASSIGN.full_name(ns)], {case_id}, until=lambda es: len(es) >= 2
    )
    assert [e["payload"]["platform"] for e in events] == ["339901001001", "339901001"]
    assert "339901001001" in events[-1]["payload"]["history"][0]


async def test_a_rule_change_takes_effect_for_the_next_case_and_a_bad_one_is_refused(
    services: Services,
) -> None:
    ns, base = services.namespace, services["routing"].url
    async with httpx.AsyncClient(timeout=10) as http:
        assert (await http.get(f"{base}/admin/config")).status_code == 401
        assert (await http.get(f"{base}/admin/config", headers=STAFF)).status_code == 403
        config = (await http.get(f"{base}/admin/config", headers=ADMIN)).json()
        original = config["rules"]
        rules = copy.deepcopy(original)
        rules["version"] = f"{original['version']}-neighbour-to-township"
        rules["levels"].append(
            {
                "id": "level.neighbour-township",
                "priority": 50,
                "when": {"categories": ["neighbour"]},
                "level": "township",
                "reason": "neighbour disputes go to the township this month",
            }
        )
        put = await http.put(f"{base}/admin/rules", json=rules, headers=STAFF)
        assert put.status_code == 403
        put = await http.put(
            f"{base}/admin/rules", json=rules, headers=ADMIN, params={"note": "pilot"}
        )
        assert put.status_code == 200, put.text
        assert put.json()["revision"] == config["revision"] + 1
        try:
            case_id = new_case_id()
            await send_received(ns, {case_id: received(case_id, category="neighbour")})
            d = (await route_of(http, base, case_id))["current"]
            assert (d["platform"], d["rule_id"]) == ("339901001", "level.neighbour-township")
            assert d["ruleset_version"] == rules["version"]

            bad = copy.deepcopy(rules)
            bad["version"] = "broken"
            bad["departments"][0]["lead"] = "ministry_of_magic"
            refused = await http.put(f"{base}/admin/rules", json=bad, headers=ADMIN)
            assert refused.status_code == 422
            assert "ministry_of_magic" in refused.json()["detail"]
            bad_yaml = await http.put(
                f"{base}/admin/rules", content=b"version: [unclosed", headers=ADMIN
            )
            assert bad_yaml.status_code == 422
            in_force = (await http.get(f"{base}/admin/config", headers=ADMIN)).json()
            assert in_force["rules"]["version"] == rules["version"]

            audit = (await http.get(f"{base}/admin/audit", headers=ADMIN)).json()
            latest = audit[0]
            assert latest["by"] == "test administrator"
            assert latest["note"] == "pilot"
            assert (latest["before"]["version"], latest["after"]["version"]) == (
                original["version"],
                rules["version"],
            )
        finally:
            restored = {**original, "version": f"{original['version']}-restored"}
            r = await http.put(f"{base}/admin/rules", json=restored, headers=ADMIN)
            assert r.status_code == 200, r.text


async def test_a_new_department_gets_its_topic_and_its_cases_at_once(services: Services) -> None:
    from aiokafka.admin import AIOKafkaAdminClient

    from tests.support.stack import KAFKA

    ns, base = services.namespace, services["routing"].url
    async with httpx.AsyncClient(timeout=10) as http:
        config = (await http.get(f"{base}/admin/config", headers=ADMIN)).json()
        original = config["registry"]
        registry = copy.deepcopy(original)
        registry["version"] += 1
        registry["departments"].append(
            {
                "code": "veterans",
                "name_zh": "退役军人事务局",
                "name_en": "Veterans affairs",
                "categories": ["other"],
                "areas": ["339901"],
            }
        )
        r = await http.put(f"{base}/admin/registry", json=registry, headers=ADMIN)
        assert r.status_code == 200, r.text
        try:
            admin = AIOKafkaAdminClient(bootstrap_servers=KAFKA, **kafka_client_options())
            await admin.start()
            try:
                topics = await admin.list_topics()
            finally:
                await admin.close()
            assert department_topic("veterans").full_name(ns) in topics
            case_id = new_case_id()
            await send_received(ns, {case_id: received(case_id, category="other", kind="petition")})
            d = (await route_of(http, base, case_id))["current"]
            assert (d["lead_department"], d["co_departments"]) == ("letters_visits", ["veterans"])
            events = await events_on(
                [department_topic("veterans").full_name(ns)], {case_id}, until=bool
            )
            assert types(events) == ["CoordinationRequested"]
        finally:
            restored = {**original, "version": registry["version"] + 1}
            r = await http.put(f"{base}/admin/registry", json=restored, headers=ADMIN)
            assert r.status_code == 200, r.text
