"""Personal data stays in intake's store: never in events, other services or any log."""

import asyncio

import httpx
import pytest
from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient

from tests.support.cases import neighbour_dispute, unique_phone, valid_id_number
from tests.support.stack import AUTH, KAFKA, OPERATOR_KEY, Services
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

    admin = AIOKafkaAdminClient(bootstrap_servers=KAFKA)
    await admin.start()
    topics = [
        t
        for t in await admin.list_topics()
        if t.startswith(f"{services.namespace}.") and ".intake.submissions" not in t
    ]
    await admin.close()
    consumer = AIOKafkaConsumer(*topics, bootstrap_servers=KAFKA, auto_offset_reset="earliest")
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
