"""A case from intake through routing to mediation, accepted by staff: the citizen's public
status at intake follows the mediation workflow (all four services, real broker and store)."""

import httpx
import pytest

from tests.support.cases import neighbour_dispute
from tests.support.stack import AUTH, MEDIATION_SUPERVISOR_KEY, Services
from tests.support.wait import eventually

pytestmark = pytest.mark.real


async def test_staff_accept_and_the_public_status_follows(services: Services) -> None:
    mediation = services["mediation"].url
    async with httpx.AsyncClient(timeout=10) as http:
        r = await http.post(
            f"{services['intake'].url}/cases", json=neighbour_dispute(), headers=AUTH
        )
        assert r.status_code == 201, r.text
        receipt = r.json()
        case_id = receipt["case_id"]

        async def opened() -> dict | None:
            r = await http.get(
                f"{mediation}/cases/{case_id}",
                headers={"X-API-Key": MEDIATION_SUPERVISOR_KEY},
            )
            return r.json() if r.status_code == 200 else None

        case = await eventually(opened)
        assert case["allowed_actions"] == ["accept", "not_accept", "escalate", "await_citizen"]
        staff = {"X-API-Key": MEDIATION_SUPERVISOR_KEY}
        r = await http.post(
            f"{mediation}/cases/{case_id}/transitions", json={"action": "accept"}, headers=staff
        )
        assert r.status_code == 200, r.text
        assert r.json()["deadlines"]["handling"]["active"] is True
        no_key = await http.post(
            f"{mediation}/cases/{case_id}/transitions", json={"action": "accept"}
        )
        assert no_key.status_code == 401

        async def public() -> dict | None:
            r = await http.get(
                f"{services['intake'].url}/cases/status",
                params={
                    "receipt_number": receipt["receipt_number"],
                    "verification_code": receipt["verification_code"],
                },
            )
            body = r.json()
            return body if body.get("status") == "accepted" else None

        status = await eventually(public)
        assert status["platform"] == "339901001001"
