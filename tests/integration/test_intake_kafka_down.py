"""A case accepted over HTTP is never lost, even if Kafka is down at that moment: intake
stores it with its event in one write, answers, and publishes once the broker is back."""

import asyncio
import subprocess

import httpx
import pytest

from tests.support.cases import neighbour_dispute
from tests.support.stack import AUTH, OPERATOR_KEY, STACK_SH, Services, port_open
from tests.support.wait import eventually

pytestmark = pytest.mark.real
OPERATOR = {"X-API-Key": OPERATOR_KEY}


async def test_a_case_accepted_while_kafka_is_down_flows_once_it_is_back(
    services: Services,
) -> None:
    status = await asyncio.to_thread(
        subprocess.run, [str(STACK_SH), "status"], capture_output=True, text=True
    )
    if "kafka     running" not in status.stdout:
        pytest.skip("the broker was not started by deploy/local/stack.sh; cannot stop it")
    await asyncio.to_thread(subprocess.run, [str(STACK_SH), "stop-kafka"], check=True)
    try:
        assert not port_open(9092)
        async with httpx.AsyncClient(timeout=10, headers=AUTH) as http:
            response = await http.post(f"{services['intake'].url}/cases", json=neighbour_dispute())
        assert response.status_code == 201, response.text
        case_id = response.json()["case_id"]
    finally:
        await asyncio.to_thread(subprocess.run, [str(STACK_SH), "start-kafka"], check=True)

    async with httpx.AsyncClient(timeout=10) as http:

        async def notified() -> list | None:
            r = await http.get(
                f"{services['notification'].url}/cases/{case_id}/deliveries", headers=OPERATOR
            )
            return r.json() or None

        deliveries = await eventually(notified, within=120)
    assert [d["notice"] for d in deliveries] == ["receipt"]
