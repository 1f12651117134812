"""Personal data stays in intake's store: never in events, other services or any log."""

import asyncio
import json
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient
from concord_shared.topics import CASE_EVENTS

from tests.support.cases import neighbour_dispute, unique_phone, unique_text, valid_id_number
from tests.support.kafka import events_on
from tests.support.security import SECURITY
from tests.support.stack import (
    AUTH,
    KAFKA,
    MEDIATION_SUPERVISOR_KEY,
    OPERATOR_KEY,
    RECEPTION_KEY,
    Services,
    kafka_client_options,
)
from tests.support.wait import eventually

pytestmark = pytest.mark.real
OPERATOR = {"X-API-Key": OPERATOR_KEY}


async def test_names_numbers_and_addresses_reach_no_log_and_no_topic(services: Services) -> None:
    name, phone = "欧阳测试者", unique_phone()
    id_number = valid_id_number("33990119850607123")
    address = "清河县城关镇秘密巷88号"
    case = neighbour_dispute(
        description=f"请回电{phone}，身份证{id_number}，邻居占用通道。",
        location={"area_code": "339901001001", "address": address},
        parties=[
            {"name": name, "phone": phone, "id_number": id_number, "role": "applicant"},
            {"name": "另一方", "role": "respondent"},
        ],
    )
    async with httpx.AsyncClient(timeout=10, headers=AUTH) as http:
        response = await http.post(f"{services['intake'].url}/cases", json=case)
        assert response.status_code == 201, response.text
        case_id = response.json()["case_id"]

        async def notified() -> bool:
            r = await http.get(
                f"{services['notification'].url}/cases/{case_id}/deliveries", headers=OPERATOR
            )
            return bool(r.json())

        await eventually(notified)
    await asyncio.sleep(1.0)  # let every log line be written

    secrets = (name, phone, id_number, address, "秘密巷")
    for service in services.processes.values():
        log = service.log_path.read_text(encoding="utf-8")
        assert case_id in log  # the case was logged, by id
        for secret in secrets:
            assert secret not in log, f"{secret} in {service.name}'s log"

    admin = AIOKafkaAdminClient(bootstrap_servers=KAFKA, **kafka_client_options())
    await admin.start()
    topics = [
        t
        for t in await admin.list_topics()
        if t.startswith(f"{services.namespace}.") and ".intake.submissions" not in t
    ]
    await admin.close()
    consumer = AIOKafkaConsumer(
        *topics, bootstrap_servers=KAFKA, **kafka_client_options(), auto_offset_reset="earliest"
    )
    await consumer.start()
    seen = 0
    try:
        for _ in range(10):
            batch = await consumer.getmany(timeout_ms=500)
            for record in (r for rs in batch.values() for r in rs):
                seen += 1
                text = record.value.decode("utf-8", errors="replace")
                for secret in secrets:
                    assert secret not in text, f"{secret} on {record.topic}"
    finally:
        await consumer.stop()
    assert seen > 0


async def test_free_text_leaves_intake_redacted_and_intake_keeps_the_original(
    services: Services,
) -> None:
    """A description holding a phone number, an identity number, an e-mail address, a
    party's name and the address: redacted on the case log and at mediation, whole in
    intake."""
    name, other, phone = "欧阳测试者", "刘建国", unique_phone()
    dotted = f"{phone[:3]}.{phone[3:7]}.{phone[7:]}"
    id_number = "330106850607123"  # an old 15-digit number
    email = f"oy{phone[-4:]}@example.com"
    address = "清河县城关镇秘密巷88号"
    description = (
        f"{name}（电话{dotted}，身份证{id_number}，邮箱{email}）反映住{address}的{other}"
        f"占用通道。{unique_text('')}"
    )
    case = neighbour_dispute(
        description=description,
        location={"area_code": "339901001001", "address": address},
        parties=[
            {"name": name, "phone": phone, "role": "applicant"},
            {"name": other, "role": "respondent"},
        ],
    )
    secrets = (name, other, phone, dotted, id_number, email, address, "秘密巷")
    async with httpx.AsyncClient(timeout=10) as http:
        r = await http.post(f"{services['intake'].url}/cases", json=case, headers=AUTH)
        assert r.status_code == 201, r.text
        case_id = r.json()["case_id"]

        # Intake keeps the original, for its own staff.
        kept = await http.get(
            f"{services['intake'].url}/cases/{case_id}", headers={"X-API-Key": RECEPTION_KEY}
        )
        SECURITY.endpoint("GET intake /cases/{id} key=reception", kept.status_code)
        assert kept.status_code == 200 and kept.json()["description"] == description

        # Mediation, with a key that may read the case, sees the redacted summary.
        supervisor = {"X-API-Key": MEDIATION_SUPERVISOR_KEY}

        async def at_mediation() -> dict[str, Any] | None:
            got = await http.get(f"{services['mediation'].url}/cases/{case_id}", headers=supervisor)
            return got.json() if got.status_code == 200 else None

        mediated = await eventually(at_mediation, within=30)
    summary_at_mediation = json.dumps(mediated, ensure_ascii=False)

    [event] = [
        e
        for e in await events_on(
            [CASE_EVENTS.full_name(services.namespace)],
            {case_id},
            until=lambda found: any(e["type"] == "CaseReceived" for e in found),
        )
        if e["type"] == "CaseReceived"
    ]
    summary = event["payload"]["summary"]
    for marker in ("〔姓名〕", "〔电话〕", "〔身份证号〕", "〔邮箱〕", "〔地址〕"):
        assert marker in summary, (marker, summary)
    for secret in secrets:
        assert secret not in summary, f"{secret} in CaseReceived"
        assert secret not in summary_at_mediation, f"{secret} at mediation"
    assert "占用通道" in summary  # the matter itself still reads
