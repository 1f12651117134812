"""Notification to citizens over real protocols: SMS through an HTTP gateway, e-mail over
SMTP; in the citizen's language; never twice; the address never stored."""

import base64
import json
from email.message import EmailMessage
from typing import Any

import httpx
import pytest
from concord_shared.enums import Language, NoticeKind, RecipientKind

from tests.support.cases import unique_phone
from tests.support.notifying import (
    applicant_ref,
    case_log,
    daytime,
    deliveries,
    delivery_for,
    notice_request,
    register_case,
    request_id,
    request_notice,
)
from tests.support.sinks import Sinks
from tests.support.stack import AUDITOR_KEY, INTEGRATION_KEY, NOTIFIER_KEY, Services
from tests.support.wait import eventually

pytestmark = pytest.mark.real
__all__ = ["daytime"]  # autouse: ten in the morning in Shanghai, no quiet hours


async def test_a_citizen_gets_the_receipt_by_sms_in_chinese(
    services: Services, sinks: Sinks
) -> None:
    phone = unique_phone()
    case_id = await register_case(services, {"phone": phone})

    async def texted() -> list[dict[str, str]]:
        return [json.loads(r.body) for r in sinks.sms_to(phone)]

    [sms] = await eventually(texted)
    assert "已登记" in sms["text"] and "回执号" in sms["text"] and "验证码" in sms["text"]
    [request] = sinks.sms_to(phone)
    # The gateway's credentials, checked as the gateway would: HTTP basic auth.
    expected = base64.b64encode(f"{sinks.sms_user}:{sinks.sms_password}".encode()).decode()
    assert request.headers["Authorization"] == f"Basic {expected}"

    # The log says delivered once the gateway's answer is back: just after the text arrived.
    async def settled() -> list[dict[str, Any]]:
        return [d for d in await deliveries(services, case_id) if d["status"] == "delivered"]

    [entry] = await eventually(settled)
    assert entry["channel"] == "sms" and entry["recipient_kind"] == "citizen"
    assert entry["attempts"] == 1 and entry["results"][0]["ok"] is True
    assert "address" not in entry  # an operator sees no citizen's contact, not even masked
    assert phone not in json.dumps(await deliveries(services, case_id))

    async def announced() -> list[Any]:
        return await case_log(services.namespace, case_id, {"NotificationDelivered"})

    [delivered] = await eventually(announced)
    assert delivered["payload"]["channel"] == "sms"
    assert delivered["payload"]["notice"] == "receipt"


async def test_a_citizen_without_a_phone_gets_the_receipt_by_email_in_english(
    services: Services, sinks: Sinks
) -> None:
    address = f"citizen-{unique_phone()}@mail.example"
    case_id = await register_case(services, {"email": address}, language="en")

    async def mailed() -> list[EmailMessage]:
        return sinks.smtp.to(address)

    [message] = await eventually(mailed)
    assert message["Subject"] == "[Qinghe Social Governance] Your matter is registered"
    body = message.get_content()
    assert "has been registered" in body and "verification code" in body
    assert "已登记" not in body

    entry = (await deliveries(services, case_id))[0]
    assert entry["channel"] == "email" and entry["language"] == "en"
    assert "address" not in entry
    assert address not in json.dumps(await deliveries(services, case_id))


async def test_a_party_may_prefer_email_over_sms(services: Services, sinks: Sinks) -> None:
    phone, address = unique_phone(), f"prefers-{unique_phone()}@mail.example"
    await register_case(services, {"phone": phone, "email": address, "notify_by": "email"})

    async def mailed() -> list[EmailMessage]:
        return sinks.smtp.to(address)

    [message] = await eventually(mailed)
    assert "已登记" in message.get_content()
    assert sinks.sms_to(phone) == []


async def test_a_redelivered_request_sends_nothing_twice(services: Services, sinks: Sinks) -> None:
    phone = unique_phone()
    case_id = await register_case(services, {"phone": phone})
    await eventually(lambda: _async(sinks.sms_to(phone)))  # the receipt
    ref = await applicant_ref(services, case_id)

    closure = notice_request(case_id, NoticeKind.CLOSURE, RecipientKind.CITIZEN, ref)
    await request_notice(services, case_id, closure, times=3)
    # A later request on the same case (same partition, so handled after the copies).
    marker = notice_request(
        case_id, NoticeKind.FEEDBACK_REQUEST, RecipientKind.CITIZEN, ref, urgent=True
    )
    await request_notice(services, case_id, marker)
    await delivery_for(services, case_id, request_id(marker), "delivered")
    await delivery_for(services, case_id, request_id(closure), "delivered")

    texts = [json.loads(r.body)["text"] for r in sinks.sms_to(phone)]
    assert sum("已办结。感谢" in t for t in texts) == 1, texts
    entries = [
        d
        for d in await deliveries(services, case_id)
        if d["request_event_id"] == request_id(closure)
    ]
    assert len(entries) == 1 and entries[0]["attempts"] == 1

    events = await case_log(services.namespace, case_id, {"NotificationDelivered"})
    closure_events = [e for e in events if e["payload"]["request_event_id"] == request_id(closure)]
    assert len(closure_events) == 1


async def test_only_the_notifier_key_reads_a_contact(services: Services) -> None:
    phone = unique_phone()
    case_id = await register_case(services, {"phone": phone})
    ref = await applicant_ref(services, case_id)
    url = f"{services['intake'].url}/internal/cases/{case_id}/parties/{ref}/contact"
    async with httpx.AsyncClient(timeout=10) as http:
        assert (await http.get(url)).status_code == 401
        for key in (AUDITOR_KEY, INTEGRATION_KEY):
            assert (await http.get(url, headers={"X-API-Key": key})).status_code == 403
        answer = await http.get(url, headers={"X-API-Key": NOTIFIER_KEY})
        assert answer.status_code == 200
        assert answer.json()["phone"] == phone and answer.json()["language"] == Language.ZH
        assert answer.headers["Cache-Control"] == "no-store"
        # The notifier reads contacts, nothing else.
        other = await http.get(
            f"{services['intake'].url}/cases/{case_id}", headers={"X-API-Key": NOTIFIER_KEY}
        )
        assert other.status_code == 403


async def test_many_contacts_in_one_request_only_for_the_notifier(services: Services) -> None:
    """The batch form notification uses for a batch of notices: answers in the order asked,
    None for a party the case does not have; only the notifier key may ask."""
    phones = [unique_phone(), unique_phone()]
    cases = [await register_case(services, {"phone": p}) for p in phones]
    refs = [await applicant_ref(services, c) for c in cases]
    asked = [
        {"case_id": cases[1], "party_ref": refs[1]},
        {"case_id": cases[0], "party_ref": "no-such-party"},
        {"case_id": cases[0], "party_ref": refs[0]},
    ]
    url = f"{services['intake'].url}/internal/contacts"
    async with httpx.AsyncClient(timeout=10) as http:
        assert (await http.post(url, json={"parties": asked})).status_code == 401
        denied = await http.post(url, json={"parties": asked}, headers={"X-API-Key": AUDITOR_KEY})
        assert denied.status_code == 403
        answer = await http.post(url, json={"parties": asked}, headers={"X-API-Key": NOTIFIER_KEY})
        assert answer.status_code == 200, answer.text
        assert answer.headers["Cache-Control"] == "no-store"
        found = answer.json()["contacts"]
        assert [c["case_id"] for c in found] == [cases[1], cases[0], cases[0]]
        assert found[0]["contact"]["phone"] == phones[1]
        assert found[1]["contact"] is None
        assert found[2]["contact"]["phone"] == phones[0]
        too_many = await http.post(
            url, json={"parties": asked * 200}, headers={"X-API-Key": NOTIFIER_KEY}
        )
        assert too_many.status_code == 422
        assert too_many.json()["detail"][0]["loc"][-1] == "parties"


async def _async(value: object) -> object:
    return value
