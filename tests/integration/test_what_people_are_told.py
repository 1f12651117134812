"""What a citizen is told and sees, on the real stack: the receipt names the two codes the
case is looked up with; the public status says in plain words (Chinese or English) who holds
the case, at which level and by when, and stays right after every move."""

import json
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
import yaml
from concord_shared.envelope import envelope
from concord_shared.events import CoordinationAccepted, CoordinationAnswered, CoordinationDeclined
from concord_shared.registry import DEFAULT_REGISTRY, load_registry
from concord_shared.topics import HORIZONTAL_REPLIES, INTERNAL_TASKS, department_topic

from tests.support.cases import neighbour_dispute, unique_phone, unique_text
from tests.support.kafka import events_on, send
from tests.support.notifying import daytime, deliveries
from tests.support.routing import decline
from tests.support.sinks import Sinks
from tests.support.stack import (
    AUDITOR_KEY,
    AUTH,
    MEDIATION_AUDITOR_KEY,
    MEDIATION_INTEGRATION_KEY,
    MEDIATION_STAFF_KEY,
    MEDIATION_SUPERVISOR_KEY,
    MEDIATION_TOWNSHIP_STAFF_KEY,
    ROUTING_ADMIN_KEY,
    Services,
)
from tests.support.wait import eventually

pytestmark = pytest.mark.real
__all__ = ["daytime"]  # autouse: ten in the morning in Shanghai, no quiet hours

SHANGHAI = ZoneInfo("Asia/Shanghai")
REGISTRY = load_registry(DEFAULT_REGISTRY)
STAFF = {"X-API-Key": MEDIATION_SUPERVISOR_KEY}
STAFF_VILLAGE = {"X-API-Key": MEDIATION_STAFF_KEY}  # the staff of village 339901001001


async def submit(services: Services, case: dict[str, Any]) -> dict[str, Any]:
    async with httpx.AsyncClient(timeout=10, headers=AUTH) as http:
        r = await http.post(f"{services['intake'].url}/cases", json=case)
    assert r.status_code == 201, r.text
    return dict(r.json())


async def sms_to(sinks: Sinks, phone: str) -> list[str]:
    return [json.loads(r.body)["text"] for r in sinks.sms_to(phone)]


async def test_the_receipt_sms_names_the_receipt_number_and_the_verification_code(
    services: Services, sinks: Sinks
) -> None:
    phone = unique_phone()
    case = neighbour_dispute()
    case["parties"][0]["phone"] = phone
    receipt = await submit(services, case)

    [text] = await eventually(lambda: sms_to(sinks, phone))
    assert receipt["receipt_number"] in text
    assert receipt["verification_code"] in text
    assert "受理中" not in text  # registered, not yet accepted
    # Notification's own store keeps the notice without the code that opens the case.
    log = json.dumps(await deliveries(services, receipt["case_id"]), ensure_ascii=False)
    assert receipt["verification_code"] not in log


async def test_an_early_warnings_hours_long_deadline_is_given_with_its_time(
    services: Services, sinks: Sinks
) -> None:
    phone = unique_phone()
    warning = {
        "kind": "early_warning",
        "channel": "visit",
        "platform": "339901001",
        "category": "land_dispute",
        "severity": "high",
        "description": unique_text("两户因地界争执，恐有冲突："),
        "location": {"area_code": "339901001002"},
        "parties": [{"name": "网格员甲", "phone": phone, "role": "reporter"}],
    }
    receipt = await submit(services, warning)
    status = await eventually(lambda: public_status(services, receipt, acceptance_due=True))
    due = datetime.fromisoformat(status["acceptance_due"]).astimezone(SHANGHAI)
    received = datetime.fromisoformat(receipt["received_at"])
    assert (due - received).total_seconds() <= 24 * 3600  # hours, not days

    [text] = await eventually(lambda: sms_to(sinks, phone))
    assert due.strftime("%Y-%m-%d %H:%M") in text  # the hour it is due, not only the day
    assert receipt["receipt_number"] in text


async def public_status(
    services: Services,
    receipt: dict[str, Any],
    *,
    lang: str | None = None,
    headers: dict[str, str] | None = None,
    **expected: Any,
) -> dict[str, Any] | None:
    """The citizen's status once it shows what is expected (True: the field is set)."""
    params = {
        "receipt_number": receipt["receipt_number"],
        "verification_code": receipt["verification_code"],
    }
    if lang:
        params["lang"] = lang
    async with httpx.AsyncClient(timeout=10) as http:
        r = await http.get(
            f"{services['intake'].url}/cases/status", params=params, headers=headers or {}
        )
    assert r.status_code == 200, r.text
    body = dict(r.json())
    body["content_language"] = r.headers.get("content-language")
    for key, value in expected.items():
        if (body.get(key) is None) if value is True else body.get(key) != value:
            return None
    return body


async def act(services: Services, case_id: str, action: str, **fields: Any) -> dict[str, Any]:
    async with httpx.AsyncClient(timeout=10, headers=STAFF) as http:
        r = await http.post(
            f"{services['mediation'].url}/cases/{case_id}/transitions",
            json={"action": action, **fields},
        )
    assert r.status_code == 200, r.text
    return dict(r.json())


async def mediation_case(services: Services, case_id: str, **expected: Any) -> Any:
    async with httpx.AsyncClient(timeout=10, headers=STAFF) as http:
        r = await http.get(f"{services['mediation'].url}/cases/{case_id}")
    if r.status_code != 200:
        return None
    body = r.json()
    return body if all(body.get(k) == v for k, v in expected.items()) else None


async def test_the_public_status_says_who_holds_the_case_and_by_when_after_every_move(
    services: Services,
) -> None:
    receipt = await submit(services, neighbour_dispute())
    case_id = receipt["case_id"]
    village = REGISTRY.platforms_by_code["339901001001"]
    township = REGISTRY.platforms_by_code["339901001"]

    # Received at the village: its name, the level in words, when acceptance is due.
    status = await eventually(
        lambda: public_status(services, receipt, status="received", acceptance_due=True)
    )
    assert status["platform"] == village.code and status["platform_name"] == village.name_zh
    assert status["level"] == "village" and status["level_text"] == "村级"
    assert status["status_text"] == "已分派到承办单位，等待受理"  # at the village, not yet accepted
    assert status["category_name"] == REGISTRY.categories_by_code["neighbour"].name_zh
    assert status["content_language"] == "zh"
    assert village.name_zh in status["summary"] and "受理期限" in status["summary"]

    # Accepted: the handling deadline the citizen's notice names is on the status too.
    await eventually(lambda: mediation_case(services, case_id))
    accepted = await act(services, case_id, "accept")
    handling_due = datetime.fromisoformat(accepted["deadlines"]["handling"]["due_at"])
    status = await eventually(lambda: public_status(services, receipt, status="accepted"))
    assert status["handling_due"] is not None
    assert datetime.fromisoformat(status["handling_due"]) == handling_due
    assert status["acceptance_due"] is None  # decided: no longer running
    assert status["status_text"] == "已受理，正在办理" and "办理期限" in status["summary"]

    # In English, asked for or from the browser's language.
    english = await public_status(services, receipt, lang="en")
    assert english is not None and english["content_language"] == "en"
    assert english["platform_name"] == village.name_en
    assert english["status_text"] == "Accepted and being handled"
    assert "to be handled by" in english["summary"]
    browser = await public_status(services, receipt, headers={"Accept-Language": "en-GB,en"})
    assert browser is not None and browser["status_text"] == english["status_text"]

    # Escalated: the township holds it now, at its level, with a new acceptance deadline.
    await act(services, case_id, "escalate", reason="需乡镇协调")
    await eventually(lambda: mediation_case(services, case_id, platform=township.code))
    status = await eventually(
        lambda: public_status(services, receipt, platform=township.code, status="received")
    )
    assert status["level"] == "township" and status["level_text"] == "乡镇级"
    assert status["platform_name"] == township.name_zh
    assert status["acceptance_due"] is not None and status["handling_due"] is None

    # Handled and closed there: closed at once, not resolved.
    await act(services, case_id, "accept")
    await act(services, case_id, "assign_mediator")
    await act(services, case_id, "resolve", outcome="双方和解")
    await act(services, case_id, "close")
    status = await eventually(lambda: public_status(services, receipt, status="closed"))
    assert status["status_text"] == "已结案" and status["handling_due"] is None
    assert status["level"] == "township"


async def test_a_decline_moves_the_lead_everywhere_and_departments_hear_why_a_reply_is_refused(
    services: Services, sinks: Sinks
) -> None:
    ns = services.namespace
    phone = unique_phone()
    case = neighbour_dispute(category="land_dispute")
    case["parties"][0]["phone"] = phone
    receipt = await submit(services, case)
    case_id = receipt["case_id"]
    first = await eventually(lambda: mediation_case(services, case_id))
    assert first["lead_department"] == "land"

    # Land declines, pointing to water: mediation and the citizen's status follow.
    await decline(ns, case_id, "land", reason="是灌溉渠的事", suggested_department="water")
    moved = await eventually(lambda: mediation_case(services, case_id, lead_department="water"))
    assert moved["status"] == "received"  # where it stands in the workflow is unchanged
    water = REGISTRY.departments_by_code["water"]
    status = await eventually(lambda: public_status(services, receipt, department="water"))
    assert status["department_name"] == water.name_zh and status["status"] == "received"

    # A department never asked answers: not attached; it hears why, on its own topic.
    stranger = envelope(
        CoordinationAnswered(department="hrss", answer="已处理"), source="hrss", case_id=case_id
    )
    await send(HORIZONTAL_REPLIES.full_name(ns), [stranger.to_bytes()], key=case_id.encode())
    # Water sends a decline without a reason: no valid reply; water hears what is wrong.
    invalid = envelope(
        CoordinationDeclined(department="water", declined_by="w-1", reason="x"),
        source="water",
        case_id=case_id,
    ).model_dump(mode="json")
    invalid["payload"]["reason"] = ""
    await send(
        HORIZONTAL_REPLIES.full_name(ns), [json.dumps(invalid).encode()], key=case_id.encode()
    )
    topics = [department_topic(d).full_name(ns) for d in ("hrss", "water")]

    def refusals(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [e for e in events if e["type"] == "CoordinationReplyRefused"]

    told = refusals(
        await events_on(topics, {case_id}, until=lambda es: len(refusals(es)) >= 2, within=30)
    )
    by_department = {e["payload"]["department"]: e for e in told}
    assert by_department["hrss"]["payload"]["reason"] == "not_asked"
    assert by_department["hrss"]["payload"]["reply_event_id"] == stranger.event_id
    assert by_department["hrss"]["topic"] == department_topic("hrss").full_name(ns)
    assert by_department["water"]["payload"]["reason"] == "invalid"
    assert "reason" in by_department["water"]["payload"]["detail"]  # names the bad field

    # Water accepts: the citizen hears a department took the matter up.
    accepted = envelope(
        CoordinationAccepted(department="water", handler_ref="w-2"), source="water", case_id=case_id
    )
    await send(HORIZONTAL_REPLIES.full_name(ns), [accepted.to_bytes()], key=case_id.encode())
    texts = await eventually(lambda: _with_text(sms_to(sinks, phone), water.name_zh), within=30)
    assert any("已接手" in t for t in texts)
    replies = (await mediation_case(services, case_id))["department_replies"]
    assert {r["department"] for r in replies} == {"land", "water"}  # hrss's never attached


async def _with_text(texts: Any, needle: str) -> list[str] | None:
    found = [t for t in await texts if needle in t]
    return found or None


CONTACTS = yaml.safe_load(
    (Path(DEFAULT_REGISTRY).parent / "contacts.yaml").read_text(encoding="utf-8")
)


def mails_to(sinks: Sinks, address: str, case_ref: str) -> list[str]:
    return [m.get_content() for m in sinks.smtp.to(address) if case_ref in m.get_content()]


async def tasks_for(ns: str, case_id: str, task: str) -> list[dict[str, Any]]:
    events = await events_on(
        [INTERNAL_TASKS.full_name(ns)],
        {case_id},
        until=lambda es: any(e["payload"]["task"] == task for e in es),
    )
    return [e["payload"] for e in events if e["payload"]["task"] == task]


async def test_both_sides_hear_of_sessions_and_a_review_is_on_the_township_s_desk(
    services: Services, sinks: Sinks
) -> None:
    applicant, respondent = unique_phone(), unique_phone()
    case = neighbour_dispute()
    case["parties"][0]["phone"] = applicant
    case["parties"][1]["phone"] = respondent
    receipt = await submit(services, case)
    case_id = receipt["case_id"]
    await eventually(lambda: mediation_case(services, case_id))
    await act(services, case_id, "accept")

    # The mediator chosen hears of it at the address the staff directory gives.
    assigned = await act(services, case_id, "assign_mediator")
    mediator = CONTACTS["mediators"][assigned["mediator"]]["email"]
    [assignment] = await eventually(lambda: _now(mails_to(sinks, mediator, case_id[:8])))
    assert "已分派给您调解" in assignment

    # Both sides are told when and where the session is.
    starts = datetime.now(SHANGHAI).replace(second=0, microsecond=0) + timedelta(days=3)
    await act(
        services, case_id, "schedule_session", starts_at=starts.isoformat(), location="东街村调解室"
    )
    for phone in (applicant, respondent):

        async def session_texts(p: str = phone) -> list[str] | None:
            return await _with_text(sms_to(sinks, p), "调解会议")

        texts = await eventually(session_texts)
        assert starts.strftime("%Y-%m-%d %H:%M") in texts[0] and "东街村调解室" in texts[0]

    # Not satisfied: the review goes up to the township, onto its desk and to its leader.
    await act(services, case_id, "reach_agreement", terms=["修缮围墙，费用各半"])
    await act(services, case_id, "resolve", outcome="双方和解")
    await act(services, case_id, "close")
    async with httpx.AsyncClient(timeout=10) as http:
        r = await http.post(
            f"{services['mediation'].url}/cases/{case_id}/feedback",
            json={"satisfied": False, "comment": "赔偿未到位"},
            headers={"X-API-Key": MEDIATION_INTEGRATION_KEY},
        )
    assert r.status_code == 200, r.text
    [task] = await tasks_for(services.namespace, case_id, "review_arrived")
    assert task["platform"] == "339901001"
    leader = CONTACTS["leaders"]["leader:339901001"]["email"]
    [notice] = await eventually(lambda: _now(mails_to(sinks, leader, case_id[:8])))
    assert "复查" in notice and REGISTRY.platforms_by_code["339901001"].name_zh in notice
    # The township's own staff can take it up: no supervisor needed.
    async with httpx.AsyncClient(timeout=10) as http:
        r = await http.post(
            f"{services['mediation'].url}/cases/{case_id}/transitions",
            json={"action": "start_review"},
            headers={"X-API-Key": MEDIATION_TOWNSHIP_STAFF_KEY},
        )
    assert r.status_code == 200, r.text


async def test_an_escalated_case_is_announced_to_the_platform_above(
    services: Services, sinks: Sinks
) -> None:
    receipt = await submit(services, neighbour_dispute())
    case_id = receipt["case_id"]
    await eventually(lambda: mediation_case(services, case_id))
    await act(services, case_id, "escalate", reason="涉及多村，需乡镇协调")
    [task] = await tasks_for(services.namespace, case_id, "escalation_arrived")
    assert task["platform"] == "339901001"
    leader = CONTACTS["leaders"]["leader:339901001"]["email"]
    [notice] = await eventually(lambda: _now(mails_to(sinks, leader, case_id[:8])))
    assert "提交上级" in notice
    assert REGISTRY.platforms_by_code["339901001001"].name_zh in notice  # where it came from


async def _now(found: list[str]) -> list[str] | None:
    return found or None


async def test_an_early_warning_of_a_clash_reaches_the_leader_on_duty_and_public_security(
    services: Services, sinks: Sinks
) -> None:
    warning = {
        "kind": "early_warning",
        "channel": "grid_report",
        "platform": "339901001",
        "category": "water_rights",
        "severity": "high",
        "description": unique_text("两村因抢水发生争执，双方聚集二十余人，恐有冲突："),
        "location": {"area_code": "339901001002"},
        "parties": [{"name": "网格员乙", "phone": unique_phone(), "role": "reporter"}],
    }
    receipt = await submit(services, warning)
    case_id = receipt["case_id"]
    opened = await eventually(lambda: mediation_case(services, case_id))
    assert opened["platform"] == "339901"  # high severity: straight to the county
    assert "public_security" in [opened["lead_department"], *opened["co_departments"]]

    asked = await events_on(
        [department_topic("public_security").full_name(services.namespace)],
        {case_id},
        until=lambda es: any(e["type"] == "CoordinationRequested" for e in es),
    )
    assert [e["type"] for e in asked] == ["CoordinationRequested"]

    leader = CONTACTS["leaders"]["leader:339901"]["email"]
    [notice] = await eventually(lambda: _now(mails_to(sinks, leader, case_id[:8])))
    assert "重大案件" in notice
    assert REGISTRY.categories_by_code["water_rights"].name_zh in notice


async def test_petitions_at_non_reception_places_are_the_fourth_decrease(
    services: Services,
) -> None:
    """Area 339901007202 belongs to this test: three petitions this month, two made at a
    non-reception place; the fourth of the four decreases counts those two."""
    area = "339901007202"

    def petition(elsewhere: bool) -> dict[str, Any]:
        return neighbour_dispute(
            kind="petition",
            category="wage_arrears",
            platform="339901007",
            location={"area_code": area},
            non_reception_place=elsewhere,
        )

    month = datetime.now(SHANGHAI).strftime("%Y-%m")

    async def indicators() -> dict[str, Any]:
        async with httpx.AsyncClient(timeout=10) as http:
            r = await http.get(
                f"{services['mediation'].url}/indicators/four-decreases",
                params={"area": area, "period": month},
                headers={"X-API-Key": MEDIATION_AUDITOR_KEY},
            )
        assert r.status_code == 200, r.text
        return dict(r.json()["indicators"])

    # Other tests' generated cases may land in the area too: count what these three add.
    before = await indicators()
    ids = [(await submit(services, petition(flag)))["case_id"] for flag in (True, True, False)]
    for case_id in ids:
        await eventually(partial(mediation_case, services, case_id))
    async with httpx.AsyncClient(timeout=10) as http:
        refused = await http.post(
            f"{services['intake'].url}/cases",
            json=neighbour_dispute(non_reception_place=True),  # a dispute, not a petition
            headers=AUTH,
        )
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["loc"][-1] == "non_reception_place"

    def added(now: dict[str, Any], name: str) -> int:
        return int(now[name]["current"] - before[name]["current"])

    async def counted() -> dict[str, Any] | None:
        now = await indicators()
        return now if added(now, "total") >= 3 else None

    now = await eventually(counted)
    assert added(now, "total") == 3 and added(now, "non_reception_place") == 2
    assert list(now) == ["total", "collective", "repeat", "non_reception_place"]


async def test_a_returning_citizen_in_other_words_is_a_probable_repeat_staff_decide(
    services: Services,
) -> None:
    phone = unique_phone()

    def matter(description: str) -> dict[str, Any]:
        case = neighbour_dispute(description=description)
        case["parties"][0]["phone"] = phone
        return case

    first = await submit(services, matter(unique_text("邻居在我家门前堆放杂物，多次协商无果：")))
    again = await submit(
        services, matter(unique_text("隔壁那户又把东西堆到我家门口了，说了也不听，请来看看："))
    )
    assert again["repeat_of"] is None and again["probable_repeat_of"] == first["case_id"]
    case = await eventually(lambda: mediation_case(services, again["case_id"]))
    assert case["probable_repeat_of"] == first["case_id"] and case.get("repeat_of") is None

    # The village's staff confirm it: a repeat from now on, at mediation and at intake.
    async with httpx.AsyncClient(timeout=10, headers=STAFF_VILLAGE) as http:
        r = await http.post(
            f"{services['mediation'].url}/cases/{again['case_id']}/repeat",
            json={"confirmed": True},
        )
        assert r.status_code == 200, r.text
        assert r.json()["repeat_of"] == first["case_id"]
        twice = await http.post(
            f"{services['mediation'].url}/cases/{again['case_id']}/repeat",
            json={"confirmed": False},
        )
        assert twice.status_code == 409  # nothing left to decide

    async def at_intake() -> dict[str, Any] | None:
        async with httpx.AsyncClient(timeout=10, headers={"X-API-Key": AUDITOR_KEY}) as http:
            r = await http.get(f"{services['intake'].url}/cases/{again['case_id']}")
        body = r.json()
        return body if body.get("repeat_of") == first["case_id"] else None

    record = await eventually(at_intake)
    assert record["probable_repeat_of"] is None
    assert record["repeat_review"]["confirmed"] is True


async def test_a_category_added_at_routing_is_taken_by_intake_without_a_restart(
    services: Services,
) -> None:
    """Categories and areas have one source: routing's registry, changed at runtime through
    its admin API; intake reads it from there."""
    routing = services["routing"].url
    admin = {"X-API-Key": ROUTING_ADMIN_KEY}
    case = neighbour_dispute(category="elderly_care", kind="petition")
    async with httpx.AsyncClient(timeout=10) as http:
        before = await http.post(f"{services['intake'].url}/cases", json=case, headers=AUTH)
        assert before.status_code == 422
        assert [p["loc"][-1] for p in before.json()["detail"]] == ["category"]

        original = (await http.get(f"{routing}/admin/config", headers=admin)).json()["registry"]
        registry = json.loads(json.dumps(original))
        registry["version"] += 1
        registry["categories"].append(
            {
                "code": "elderly_care",
                "name_zh": "养老服务纠纷",
                "name_en": "Elderly care dispute",
                "kinds": ["petition", "dispute"],
            }
        )
        civil = next(d for d in registry["departments"] if d["code"] == "civil_affairs")
        civil["categories"].append("elderly_care")
        r = await http.put(f"{routing}/admin/registry", json=registry, headers=admin)
        assert r.status_code == 200, r.text
        try:

            async def taken() -> dict[str, Any] | None:
                r = await http.post(f"{services['intake'].url}/cases", json=case, headers=AUTH)
                return r.json() if r.status_code == 201 else None

            receipt = await eventually(taken)
            # Routed by the same registry: to the civil affairs bureau, named as routing names it.
            status = await eventually(
                lambda: public_status(services, receipt, department="civil_affairs")
            )
            assert status["category_name"] == "养老服务纠纷"
        finally:
            restored = {**original, "version": registry["version"] + 1}
            r = await http.put(f"{routing}/admin/registry", json=restored, headers=admin)
            assert r.status_code == 200, r.text


async def test_api_errors_say_in_chinese_what_they_say_in_english(services: Services) -> None:
    bad = neighbour_dispute()
    bad["parties"][0]["phone"] = "12345"
    del bad["category"]
    async with httpx.AsyncClient(timeout=10) as http:
        r = await http.post(f"{services['intake'].url}/cases", json=bad, headers=AUTH)
        assert r.status_code == 422
        by_field = {".".join(map(str, e["loc"][1:])): e for e in r.json()["detail"]}
        assert by_field["category"]["msg_zh"] == "必填"
        assert "手机号" in by_field["parties.0.phone"]["msg_zh"]
        assert "category" in r.json()["message_zh"]

        missing = await http.get(
            f"{services['intake'].url}/cases/status",
            params={"receipt_number": "QH00000000NONE", "verification_code": "000000"},
        )
        assert missing.status_code == 404
        assert missing.json()["message_zh"] == "回执号或验证码不正确"

        no_key = await http.get(f"{services['routing'].url}/admin/config")
        assert no_key.status_code == 401 and "API 密钥" in no_key.json()["message_zh"]

        receipt = await submit(services, neighbour_dispute())
        await eventually(lambda: mediation_case(services, receipt["case_id"]))
        refused = await http.post(
            f"{services['mediation'].url}/cases/{receipt['case_id']}/transitions",
            json={"action": "close"},
            headers=STAFF,
        )
        assert refused.status_code == 409
        assert refused.json()["detail"].startswith("cannot close")  # the English stays
        assert refused.json()["message_zh"] == "案件当前状态不允许此操作"
