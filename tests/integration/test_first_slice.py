"""The first end-to-end slice on the real broker and store: one case through all four services."""

import httpx
import pytest

from tests.support.cases import neighbour_dispute
from tests.support.routing import ROUTING_READER
from tests.support.stack import AUTH, MEDIATION_SUPERVISOR_KEY, OPERATOR_KEY, Services
from tests.support.wait import eventually

pytestmark = pytest.mark.real
OPERATOR = {"X-API-Key": OPERATOR_KEY}
SUPERVISOR = {"X-API-Key": MEDIATION_SUPERVISOR_KEY}


async def test_a_case_flows_from_intake_to_a_receipt_notice(services: Services) -> None:
    async with httpx.AsyncClient(timeout=10, headers=AUTH) as http:
        case = neighbour_dispute()
        phone = case["parties"][0]["phone"]
        response = await http.post(f"{services['intake'].url}/cases", json=case)
        assert response.status_code == 201, response.text
        receipt = response.json()
        case_id = receipt["case_id"]
        assert receipt["receipt_number"].startswith("QH")
        assert len(receipt["verification_code"]) == 6

        async def routed() -> dict | None:
            r = await http.get(
                f"{services['routing'].url}/cases/{case_id}/routing", headers=ROUTING_READER
            )
            return r.json() if r.status_code == 200 else None

        routing = await eventually(routed)
        decision = routing["decisions"][0]
        # A simple neighbour dispute in 东街村 starts at that village's platform.
        assert decision["platform"] == "339901001001"
        assert decision["level"] == "village"
        assert decision["rule_id"]

        async def opened() -> dict | None:
            r = await http.get(f"{services['mediation'].url}/cases/{case_id}", headers=SUPERVISOR)
            return r.json() if r.status_code == 200 else None

        mediation = await eventually(opened)
        assert mediation["platform"] == "339901001001"
        assert mediation["status"] == "received"
        # Only pseudonyms crossed the service boundary.
        assert "王秀英" not in str(mediation) and phone not in str(mediation)

        async def notified() -> list | None:
            r = await http.get(
                f"{services['notification'].url}/cases/{case_id}/deliveries", headers=OPERATOR
            )
            return r.json() or None

        # Within 120 s: right after test_bulk_import, notification still works through
        # 1,500 receipts, each a contact lookup and a real SMS (as test_intake_kafka_down).
        deliveries = await eventually(notified, within=120)
        assert [d["notice"] for d in deliveries] == ["receipt"]
        assert deliveries[0]["recipient_kind"] == "citizen"
        assert "已登记" in deliveries[0]["text"]

        async def public_status() -> dict | None:
            r = await http.get(
                f"{services['intake'].url}/cases/status",
                params={
                    "receipt_number": receipt["receipt_number"],
                    "verification_code": receipt["verification_code"],
                },
            )
            body = r.json()
            return body if body.get("platform") and body.get("acceptance_due") else None

        status = await eventually(public_status)
        assert status["platform"] == "339901001001"
        assert status["department"] == "justice"


async def test_each_service_writes_only_its_own_database(services: Services) -> None:
    from pymongo import AsyncMongoClient

    from tests.support.stack import MONGO

    client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(MONGO)
    names = [n for n in await client.list_database_names() if n.startswith(services.namespace)]
    await client.close()
    assert sorted(names) == sorted(f"{services.namespace}_{s}" for s in services.processes)
