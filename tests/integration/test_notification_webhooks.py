"""Departments' webhooks: subscribed through the API, signed with HMAC-SHA256 (checked here
with the standard library's hmac, independently of the service's code), retried with
backoff, given up with NotificationFailed and a dead letter, paused after failing again."""

import hashlib
import hmac
import json
import threading
import time
from typing import Any

import httpx
import pytest
from concord_shared.enums import CaseKind, NoticeKind, RecipientKind
from concord_shared.envelope import envelope
from concord_shared.events import CoordinationRequested
from concord_shared.topics import department_topic

from tests.support.cases import unique_phone
from tests.support.kafka import send
from tests.support.notifying import (
    case_log,
    daytime,
    dead_letters_of,
    deliveries,
    delivery_for,
    notice_request,
    register_case,
    request_id,
    request_notice,
    set_clock,
    shanghai_today,
)
from tests.support.sinks import HttpRecorder, Received, Sinks
from tests.support.stack import HRSS_KEY, LAND_KEY, OPERATOR_KEY, Services
from tests.support.wait import eventually

pytestmark = pytest.mark.real
__all__ = ["daytime"]  # autouse: ten in the morning in Shanghai, no quiet hours
SECRET = "a-secret-only-land-and-concord-know"


async def subscribe(
    api: httpx.AsyncClient, key: str, url: str, event_types: list[str], **more: Any
) -> dict[str, Any]:
    response = await api.post(
        "/subscriptions",
        json={"url": url, "event_types": event_types, "secret": SECRET, **more},
        headers={"X-API-Key": key},
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


def verify(request: Received, secret: str = SECRET, tolerance_s: int = 300) -> dict[str, Any]:
    """What a receiver does, as the README tells it: recompute, compare, check the age."""
    timestamp = request.headers["X-Concord-Timestamp"]
    expected = hmac.new(
        secret.encode(), timestamp.encode() + b"." + request.body, hashlib.sha256
    ).hexdigest()
    assert hmac.compare_digest(request.headers["X-Concord-Signature"], f"sha256={expected}")
    assert abs(time.time() - int(timestamp)) < tolerance_s
    return dict(json.loads(request.body))


async def a_case(services: Services) -> str:
    return await register_case(services, {"phone": unique_phone()})


async def test_a_department_receives_a_signed_notice(
    services: Services, api: httpx.AsyncClient, receiver: HttpRecorder
) -> None:
    sub = await subscribe(api, LAND_KEY, f"{receiver.url}/hooks/concord", ["NotificationRequested"])
    assert sub["secret"] == SECRET and sub["department"] == "land" and sub["status"] == "active"
    case_id = await a_case(services)
    raw = notice_request(
        case_id,
        NoticeKind.COORDINATION_REQUEST,
        RecipientKind.DEPARTMENT,
        "land",
        facts={"answer_due": "2026-12-20", "category": "宅基地"},
    )
    await request_notice(services, case_id, raw)

    [request] = await eventually(lambda: _now(receiver.requests))
    body = verify(request)
    assert request.path == "/hooks/concord"
    assert request.headers["X-Concord-Event-Id"] == request_id(raw)
    assert body["event"]["event_id"] == request_id(raw)
    assert body["notice"] == "coordination_request"
    assert "2026-12-20" in body["text"] and "宅基地" in body["text"]

    # A signature made with another secret, or over another body, does not verify.
    forged = Received(request.path, request.headers, request.body.replace(b"land", b"hrss"))
    with pytest.raises(AssertionError):
        verify(forged)
    with pytest.raises(AssertionError):
        verify(request, secret="not-the-secret")

    entry = await delivery_for(services, case_id, request_id(raw), "delivered")
    assert entry["channel"] == "webhook" and entry["recipient_kind"] == "department"
    assert entry["recipient_ref"] == "land" and entry["address"].endswith("/…")


async def test_subscriptions_belong_to_their_department(
    services: Services, api: httpx.AsyncClient, receiver: HttpRecorder
) -> None:
    sub = await subscribe(api, LAND_KEY, receiver.url, ["CoordinationRequested"])
    other = {"X-API-Key": HRSS_KEY}
    assert (await api.get(f"/subscriptions/{sub['id']}", headers=other)).status_code == 404
    assert (await api.delete(f"/subscriptions/{sub['id']}", headers=other)).status_code == 404
    assert [s["id"] for s in (await api.get("/subscriptions", headers=other)).json()] == []
    mine = (await api.get("/subscriptions", headers={"X-API-Key": LAND_KEY})).json()
    assert [s["id"] for s in mine] == [sub["id"]] and mine[0]["secret"] is None
    assert (await api.get("/subscriptions")).status_code == 401
    refused = await api.post(
        "/subscriptions",
        json={"url": receiver.url, "event_types": ["CaseReceived"]},
        headers={"X-API-Key": LAND_KEY},
    )
    assert refused.status_code == 422 and "event_types" in refused.text


async def test_a_coordination_request_reaches_the_departments_endpoint(
    services: Services, api: httpx.AsyncClient, receiver: HttpRecorder
) -> None:
    await subscribe(api, HRSS_KEY, receiver.url, ["CoordinationRequested"])
    case_id = await a_case(services)
    event = envelope(
        CoordinationRequested(
            department="hrss",
            role="lead",
            platform="339901001",
            kind=CaseKind.DISPUTE,
            category="wage_arrears",
            area_code="339901001001",
            summary="拖欠工资",
        ),
        source="routing",
        case_id=case_id,
    )
    topic = department_topic("hrss").full_name(services.namespace)
    await send(topic, [event.to_bytes()], key=case_id.encode())

    [request] = await eventually(lambda: _now(receiver.requests))
    body = verify(request)
    assert body["event"]["type"] == "CoordinationRequested"
    assert body["event"]["payload"]["category"] == "wage_arrears"
    assert body["notice"] == "coordination_request"


async def test_a_department_is_reminded_the_day_before_its_answer_is_due(
    services: Services, api: httpx.AsyncClient, receiver: HttpRecorder
) -> None:
    await subscribe(api, LAND_KEY, receiver.url, ["CoordinationRequested"], language="en")
    case_id = await a_case(services)
    set_clock(services, shanghai_today(8, 30))
    due = shanghai_today(0, days=1).date()
    event = envelope(
        CoordinationRequested(
            department="land",
            role="co",
            platform="339901001",
            kind=CaseKind.DISPUTE,
            category="land_contract",
            area_code="339901001001",
            summary="承包地边界",
            answer_due=due,
        ),
        source="routing",
        case_id=case_id,
    )
    topic = department_topic("land").full_name(services.namespace)
    await send(topic, [event.to_bytes()], key=case_id.encode())

    [request] = await eventually(lambda: _now(receiver.requests))
    assert verify(request)["notice"] == "coordination_request"

    async def reminder_waiting() -> list[dict[str, Any]]:
        return [
            d
            for d in await deliveries(services, case_id)
            if d["notice"] == "deadline_reminder" and d["status"] == "pending"
        ]

    [waiting] = await eventually(reminder_waiting)
    assert str(waiting["due_at"]).startswith(f"{shanghai_today(1).date()}T01:00:00")  # 09:00
    assert len(receiver.requests) == 1

    set_clock(services, shanghai_today(9, 0))

    async def reminded() -> list[Received]:
        return receiver.requests[1:]

    [reminder] = await eventually(reminded)
    body = verify(reminder)
    assert body["notice"] == "deadline_reminder" and body["language"] == "en"
    assert f"answer deadline of case {case_id[:8]}" in body["text"]
    assert due.isoformat() in body["text"]


async def test_a_failing_endpoint_is_retried_until_it_answers(
    services: Services, api: httpx.AsyncClient
) -> None:
    flaky = HttpRecorder(statuses=[500, 503, 200]).start()
    try:
        await subscribe(api, LAND_KEY, flaky.url, ["NotificationRequested"])
        case_id = await a_case(services)
        raw = notice_request(
            case_id, NoticeKind.DEADLINE_REMINDER, RecipientKind.DEPARTMENT, "land"
        )
        await request_notice(services, case_id, raw)
        entry = await delivery_for(services, case_id, request_id(raw), "delivered")
    finally:
        flaky.stop()
    assert entry["attempts"] == 3
    assert [r["ok"] for r in entry["results"]] == [False, False, True]
    assert [r.get("error") for r in entry["results"][:2]] == ["HTTP 500", "HTTP 503"]
    # The same event each time, each time freshly signed.
    assert {r.headers["X-Concord-Event-Id"] for r in flaky.requests} == {request_id(raw)}
    for request in flaky.requests:
        verify(request)


async def test_giving_up_fails_the_notice_dead_letters_it_and_pauses_the_endpoint(
    services: Services, api: httpx.AsyncClient, sinks: Sinks
) -> None:
    broken = HttpRecorder(statuses=[500]).start()
    contact = f"webmaster-{unique_phone()}@justice.gov.example"
    try:
        sub = await subscribe(
            api,
            OPERATOR_KEY,
            broken.url,
            ["NotificationRequested"],
            department="justice",
            contact_email=contact,
        )
        case_id = await a_case(services)
        first = notice_request(
            case_id, NoticeKind.DEADLINE_BREACH, RecipientKind.DEPARTMENT, "justice"
        )
        await request_notice(services, case_id, first)
        failed = await delivery_for(services, case_id, request_id(first), "failed")
        assert failed["attempts"] == 3 and failed["last_error"] == "HTTP 500"
        assert len(broken.requests) == 3

        async def told() -> list[Any]:
            events = await case_log(services.namespace, case_id, {"NotificationFailed"})
            return [e for e in events if e["payload"]["request_event_id"] == request_id(first)]

        [event] = await eventually(told)
        assert event["payload"]["attempts"] == 3 and event["payload"]["channel"] == "webhook"
        [letter] = await eventually(lambda: dead_letters_of(services.namespace, request_id(first)))
        assert letter["reason"] == "delivery_failed" and letter["attempts"] == 3

        # One failure is not enough to pause; the second in a row is (threshold 2 in tests).
        status = (
            await api.get(f"/subscriptions/{sub['id']}", headers={"X-API-Key": OPERATOR_KEY})
        ).json()
        assert status["status"] == "active" and status["consecutive_failures"] == 1
        second = notice_request(case_id, NoticeKind.MAJOR_CASE, RecipientKind.DEPARTMENT, "justice")
        await request_notice(services, case_id, second)
        await delivery_for(services, case_id, request_id(second), "failed")

        async def paused() -> dict[str, Any] | None:
            r = await api.get(f"/subscriptions/{sub['id']}", headers={"X-API-Key": OPERATOR_KEY})
            return r.json() if r.json()["status"] == "paused" else None

        await eventually(paused)
        [mail] = await eventually(lambda: _now(sinks.smtp.to(contact)))
        assert "已暂停" in mail.get_content() and sub["id"] in mail.get_content()

        # Paused: nothing more goes to the endpoint; the department's directory address
        # gets the notice by e-mail instead.
        third = notice_request(case_id, NoticeKind.OUTCOME, RecipientKind.DEPARTMENT, "justice")
        await request_notice(services, case_id, third)
        fallback = await delivery_for(services, case_id, request_id(third), "delivered")
        assert fallback["channel"] == "email" and len(broken.requests) == 6

        resumed = await api.post(
            f"/subscriptions/{sub['id']}/resume", headers={"X-API-Key": OPERATOR_KEY}
        )
        assert resumed.json()["status"] == "active"
        assert resumed.json()["consecutive_failures"] == 0
    finally:
        broken.stop()
    assert all(
        d.get("address") is None or "@" not in d["address"] or "***" in d["address"]
        for d in await deliveries(services, case_id)
    )


async def test_an_endpoint_that_hangs_holds_up_no_other_notice(
    services: Services, api: httpx.AsyncClient, receiver: HttpRecorder
) -> None:
    answer = threading.Event()
    hanging = HttpRecorder(hold=answer).start()
    try:
        await subscribe(api, LAND_KEY, hanging.url, ["NotificationRequested"])
        await subscribe(api, HRSS_KEY, receiver.url, ["NotificationRequested"])
        case_id = await a_case(services)
        to_land = notice_request(case_id, NoticeKind.MAJOR_CASE, RecipientKind.DEPARTMENT, "land")
        await request_notice(services, case_id, to_land)
        await eventually(lambda: _now(hanging.requests))  # land's endpoint has it, no answer yet

        # HRSS is told while land's endpoint still keeps its first attempt waiting (the
        # send timeout is 3 s in tests): it does not queue behind it.
        to_hrss = notice_request(case_id, NoticeKind.MAJOR_CASE, RecipientKind.DEPARTMENT, "hrss")
        await request_notice(services, case_id, to_hrss)
        await delivery_for(services, case_id, request_id(to_hrss), "delivered")
        [land] = [
            d
            for d in await deliveries(services, case_id)
            if d["request_event_id"] == request_id(to_land)
        ]
        assert (land["status"], land["attempts"], land["results"]) == ("sending", 1, [])

        answer.set()  # land's endpoint answers at last: its notice is delivered at once
        land = await delivery_for(services, case_id, request_id(to_land), "delivered")
        assert land["attempts"] == 1 and len(hanging.requests) == 1
    finally:
        answer.set()
        hanging.stop()


async def _now(value: Any) -> Any:
    return value
