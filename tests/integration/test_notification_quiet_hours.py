"""Never at 3 a.m.: non-urgent notices to citizens wait for the morning; urgent ones do not.
Notification's clock is moved through its clock file, so the night passes in a second."""

import asyncio
import json
from collections.abc import Iterator

import pytest
from concord_shared.enums import NoticeKind, RecipientKind

from tests.support.cases import unique_phone
from tests.support.notifying import (
    applicant_ref,
    deliveries,
    delivery_for,
    notice_request,
    register_case,
    request_id,
    request_notice,
    set_clock,
    shanghai_today,
)
from tests.support.sinks import Sinks
from tests.support.stack import Services
from tests.support.wait import eventually

pytestmark = pytest.mark.real


@pytest.fixture(autouse=True)
def reset_clock(services: Services) -> Iterator[None]:
    yield
    services.clock_file.unlink(missing_ok=True)


async def test_a_receipt_at_night_waits_for_the_morning_an_urgent_notice_does_not(
    services: Services, sinks: Sinks
) -> None:
    set_clock(services, shanghai_today(23, 30))
    phone = unique_phone()
    case_id = await register_case(services, {"phone": phone})

    async def receipt_held() -> list[dict[str, object]]:
        return [d for d in await deliveries(services, case_id) if d["status"] == "held"]

    [held] = await eventually(receipt_held)
    assert held["notice"] == "receipt" and held["attempts"] == 0
    # Held until 08:00 the next morning, Shanghai time.
    assert str(held["due_at"]).startswith(f"{shanghai_today(0, days=1).date()}T00:00:00")

    ref = await applicant_ref(services, case_id)
    urgent = notice_request(
        case_id,
        NoticeKind.DEADLINE_EXTENDED,
        RecipientKind.CITIZEN,
        ref,
        urgent=True,
        facts={"new_due": "2027-01-31"},
    )
    await request_notice(services, case_id, urgent)
    await delivery_for(services, case_id, request_id(urgent), "delivered")
    texts = [json.loads(r.body)["text"] for r in sinks.sms_to(phone)]
    assert len(texts) == 1 and "2027-01-31" in texts[0]  # the urgent one only

    # Another non-urgent notice at 03:00 is held too.
    set_clock(services, shanghai_today(3, days=1))
    closure = notice_request(case_id, NoticeKind.CLOSURE, RecipientKind.CITIZEN, ref)
    await request_notice(services, case_id, closure)
    assert (await delivery_for(services, case_id, request_id(closure)))["status"] == "held"

    set_clock(services, shanghai_today(8, 0, days=1))

    async def all_sent() -> list[str]:
        sent = [json.loads(r.body)["text"] for r in sinks.sms_to(phone)]
        return sent if len(sent) == 3 else []

    texts = await eventually(all_sent)
    assert any("已登记" in t for t in texts) and any("已办结" in t for t in texts)

    async def all_delivered() -> list[dict[str, object]]:
        # Sent first, then recorded as delivered: the log may lag the gateway a moment.
        log = await deliveries(services, case_id)
        return log if {d["status"] for d in log} == {"delivered"} else []

    log = await eventually(all_delivered)
    assert all(d["attempts"] == 1 for d in log)
    assert len(sinks.sms_to(phone)) == 3  # nothing sent twice meanwhile


async def test_staff_are_not_held_by_quiet_hours(services: Services, sinks: Sinks) -> None:
    set_clock(services, shanghai_today(2))
    case_id = await register_case(services, {"phone": unique_phone()})
    raw = notice_request(
        case_id,
        NoticeKind.DEADLINE_BREACH,
        RecipientKind.LEADER,
        "leader:339901003",
        facts={"deadline": "acceptance", "platform": "339901001001"},
    )
    await request_notice(services, case_id, raw)
    entry = await delivery_for(services, case_id, request_id(raw), "delivered")
    assert entry["channel"] == "email" and entry["language"] == "en"
    assert entry["address"] == "i***@qinghe.gov.example"
    mails = [
        m for m in sinks.smtp.to("intl.office@qinghe.gov.example") if case_id[:8] in m.get_content()
    ]
    assert len(mails) == 1 and mails[0]["Subject"].endswith("Deadline breached")
    assert "acceptance deadline" in mails[0].get_content()


async def test_a_held_notice_survives_a_restart_of_notification(
    services: Services, sinks: Sinks
) -> None:
    set_clock(services, shanghai_today(23, 0))
    phone = unique_phone()
    case_id = await register_case(services, {"phone": phone})

    async def receipt_held() -> list[dict[str, object]]:
        return [d for d in await deliveries(services, case_id) if d["status"] == "held"]

    await eventually(receipt_held)
    notification = services["notification"]
    notification.kill()  # SIGKILL: nothing is flushed, nothing said goodbye
    notification.start()
    await asyncio.to_thread(notification.wait_ready)

    set_clock(services, shanghai_today(8, 0, days=1))

    async def sent() -> list[object]:
        return sinks.sms_to(phone)  # type: ignore[return-value]

    [sms] = await eventually(sent)
    assert "已登记" in json.loads(sms.body)["text"]  # type: ignore[attr-defined]
