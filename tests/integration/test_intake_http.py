"""Intake's HTTP API on the real store: validation, idempotency, public status."""

import httpx
import pytest

from tests.support.cases import neighbour_dispute
from tests.support.stack import AUTH, Services

pytestmark = pytest.mark.real


async def test_a_retried_post_with_the_same_key_returns_the_same_case(services: Services) -> None:
    url = f"{services['intake'].url}/cases"
    async with httpx.AsyncClient(timeout=10, headers=AUTH) as http:
        headers = {"Idempotency-Key": "retry-test-1"}
        case = neighbour_dispute()
        first = await http.post(url, json=case, headers=headers)
        second = await http.post(url, json=case, headers=headers)
        other = await http.post(url, json=neighbour_dispute())
    assert (first.status_code, second.status_code, other.status_code) == (201, 200, 201)
    same = ("case_id", "receipt_number", "verification_code", "received_at")
    # The same case (its status may have moved on between the two answers).
    assert {k: first.json()[k] for k in same} == {k: second.json()[k] for k in same}
    assert other.json()["case_id"] != first.json()["case_id"]


async def test_a_rejected_submission_names_every_field_and_stores_nothing(
    services: Services,
) -> None:
    bad = neighbour_dispute(category="no_such_thing")
    bad["parties"][0]["phone"] = "12"
    async with httpx.AsyncClient(timeout=10, headers=AUTH) as http:
        response = await http.post(
            f"{services['intake'].url}/cases", json=bad, headers={"Idempotency-Key": "bad-1"}
        )
        assert response.status_code == 422
        locs = [tuple(e["loc"]) for e in response.json()["detail"]]
        assert ("body", "parties", 0, "phone") in locs

        fixed = neighbour_dispute(category="no_such_thing")
        response = await http.post(
            f"{services['intake'].url}/cases", json=fixed, headers={"Idempotency-Key": "bad-1"}
        )
        assert response.status_code == 422
        assert response.json()["detail"][0]["loc"] == ["body", "category"]
        # Nothing was stored under that key: the corrected submission creates the case.
        good = await http.post(
            f"{services['intake'].url}/cases",
            json=neighbour_dispute(),
            headers={"Idempotency-Key": "bad-1"},
        )
        assert good.status_code == 201


async def test_status_needs_the_right_verification_code(services: Services) -> None:
    async with httpx.AsyncClient(timeout=10, headers=AUTH) as http:
        case = neighbour_dispute()
        receipt = (await http.post(f"{services['intake'].url}/cases", json=case)).json()
        url = f"{services['intake'].url}/cases/status"
        ok = await http.get(
            url,
            params={
                "receipt_number": receipt["receipt_number"],
                "verification_code": receipt["verification_code"],
            },
        )
        wrong = await http.get(
            url,
            params={
                "receipt_number": receipt["receipt_number"],
                "verification_code": "000000"
                if receipt["verification_code"] != "000000"
                else "111111",
            },
        )
    assert ok.status_code == 200 and ok.json()["receipt_number"] == receipt["receipt_number"]
    assert "王秀英" not in ok.text and case["parties"][0]["phone"] not in ok.text
    assert wrong.status_code == 404
