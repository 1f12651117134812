"""Reception's hints before saving (`POST /cases/check`) and the case id in the public
status, on the real store and broker."""

import re
from datetime import datetime
from typing import Any

import httpx
import pytest
from pymongo import AsyncMongoClient

from tests.support.cases import neighbour_dispute, unique_phone, unique_text
from tests.support.stack import INTEGRATION_KEY, MONGO, RECEPTION_KEY, Services

pytestmark = pytest.mark.real

RECEPTION = {"X-API-Key": RECEPTION_KEY}  # platform 339901001
INTEGRATION = {"X-API-Key": INTEGRATION_KEY}


def dispute_of(phone: str, description: str, **overrides: Any) -> dict[str, Any]:
    case = neighbour_dispute(description=description, **overrides)
    case["parties"][0]["phone"] = phone
    return case


def moment(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


async def stored_about(services: Services, text: str) -> set[str]:
    """Receipt numbers of the cases intake's store holds about `text` (what the checks must
    not have added to)."""
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(MONGO)
    try:
        cases = client[f"{services.namespace}_intake"]["cases"]
        found = cases.find({"description": {"$regex": re.escape(text)}}, {"receipt_number": 1})
        return {doc["receipt_number"] async for doc in found}
    finally:
        await client.close()


async def test_a_check_shows_the_repeat_registering_would_and_stores_nothing(
    services: Services,
) -> None:
    url = services["intake"].url
    phone = unique_phone()
    text = unique_text("宅基地边界争议：")
    async with httpx.AsyncClient(timeout=10, headers=RECEPTION) as http:
        before = await http.post(f"{url}/cases/check", json=dispute_of(phone, text))
        assert before.status_code == 200, before.text
        assert before.json()["problems"] == []
        assert before.json()["repeat_of"] is None
        assert before.json()["collective"] is False

        first = await http.post(f"{url}/cases", json=dispute_of(phone, text))
        assert first.status_code == 201, first.text
        first_receipt = first.json()

        # The same number written differently, the same matter told again: twice.
        again = dispute_of("+86 " + phone, text + "，再次反映")
        checks = [(await http.post(f"{url}/cases/check", json=again)) for _ in range(2)]
        for check in checks:
            assert check.status_code == 200, check.text
            repeat = check.json()["repeat_of"]
            assert repeat is not None
            assert repeat["case_id"] == first_receipt["case_id"]
            assert repeat["receipt_number"] == first_receipt["receipt_number"]
            assert repeat["category"] == "neighbour"
            assert moment(repeat["received_at"]) == moment(first_receipt["received_at"])
            assert repeat["status"]  # where the earlier case stands now
            assert check.json()["problems"] == []
        # No personal data of the earlier case comes back with the hint.
        assert "王秀英" not in checks[0].text and phone not in checks[0].text

        # Registering after the checks: a repeat of the registered case, not of a check.
        second = await http.post(f"{url}/cases", json=again)
        assert second.status_code == 201, second.text
        assert second.json()["repeat_of"] == first_receipt["case_id"]

    # The store holds the two registered cases and nothing the checks left behind.
    stored = await stored_about(services, text)
    assert stored == {first_receipt["receipt_number"], second.json()["receipt_number"]}


async def test_checks_do_not_count_towards_a_collective_matter(services: Services) -> None:
    url = services["intake"].url
    text = unique_text("工地欠薪：")

    def worker_case(i: int) -> dict[str, Any]:
        return neighbour_dispute(
            category="wage_arrears",
            kind="petition",
            description=f"{text}（第{i}人）",
            parties=[{"name": f"工人{i}", "phone": unique_phone(), "role": "applicant"}],
        )

    cases = [worker_case(i) for i in range(3)]
    async with httpx.AsyncClient(timeout=10, headers=RECEPTION) as http:
        first = (await http.post(f"{url}/cases", json=cases[0])).json()
        # Two checks of the second worker's case: were they counted, the second would
        # already be the third case of the matter, hence collective.
        hints = [(await http.post(f"{url}/cases/check", json=cases[1])).json() for _ in range(2)]
        assert [h["collective"] for h in hints] == [False, False]
        assert [h["collective_group_size"] for h in hints] == [None, None]
        second = (await http.post(f"{url}/cases", json=cases[1])).json()
        assert second["collective"] is False

        third_hints = [
            (await http.post(f"{url}/cases/check", json=cases[2])).json() for _ in range(2)
        ]
        third = (await http.post(f"{url}/cases", json=cases[2])).json()
    for h in third_hints:
        assert h["collective"] is True
        assert h["collective_group"] == first["case_id"]
        assert h["collective_group_size"] == 3  # the two registered cases and this one
        assert h["repeat_of"] is None  # other people on the same matter: no repeat
    assert third["collective"] is True and third["collective_group"] == first["case_id"]


async def test_registry_problems_are_hints_and_a_bad_body_is_a_422(services: Services) -> None:
    url = f"{services['intake'].url}/cases/check"
    async with httpx.AsyncClient(timeout=10, headers=RECEPTION) as http:
        unknown_area = await http.post(
            url, json=neighbour_dispute(location={"area_code": "339901009999"})
        )
        unknown_category = await http.post(url, json=neighbour_dispute(category="no_such_thing"))
        bad = neighbour_dispute()
        bad["parties"][0]["phone"] = "12"
        invalid = await http.post(url, json=bad)
    assert unknown_area.status_code == 200, unknown_area.text
    problems = unknown_area.json()["problems"]
    assert [p["field"] for p in problems] == ["location.area_code"]
    assert "339901009999" in problems[0]["message"]
    assert unknown_category.status_code == 200
    assert [p["field"] for p in unknown_category.json()["problems"]] == ["category"]
    assert invalid.status_code == 422
    assert ["body", "parties", 0, "phone"] in [e["loc"] for e in invalid.json()["detail"]]


async def test_a_check_needs_the_keys_registering_needs(services: Services) -> None:
    url = f"{services['intake'].url}/cases/check"
    elsewhere = neighbour_dispute(platform="339901002", location={"area_code": "339901002001"})
    async with httpx.AsyncClient(timeout=10) as http:
        other_platform = await http.post(url, json=elsewhere, headers=RECEPTION)
        integration = await http.post(url, json=elsewhere, headers=INTEGRATION)
        no_key = await http.post(url, json=elsewhere)
    assert other_platform.status_code == 403
    assert other_platform.json() == {"detail": "not permitted", "message_zh": "无权执行此操作"}
    assert integration.status_code == 200 and integration.json()["problems"] == []
    assert no_key.status_code == 401


async def test_another_platforms_receipt_number_is_not_shown_to_reception(
    services: Services,
) -> None:
    url = services["intake"].url
    phone = unique_phone()
    text = unique_text("宅基地边界争议：")
    area = {"area_code": "339901002001", "address": "清河县某镇某村"}
    async with httpx.AsyncClient(timeout=10) as http:
        earlier = await http.post(
            f"{url}/cases",
            json=dispute_of(phone, text, platform="339901002", location=area),
            headers=INTEGRATION,
        )
        assert earlier.status_code == 201, earlier.text
        # The same person comes to Chengguan's reception about the same matter.
        here = dispute_of(phone, text, location=area)
        as_reception = await http.post(f"{url}/cases/check", json=here, headers=RECEPTION)
        as_integration = await http.post(f"{url}/cases/check", json=here, headers=INTEGRATION)
    assert as_reception.status_code == 200, as_reception.text
    repeat = as_reception.json()["repeat_of"]
    assert repeat["case_id"] == earlier.json()["case_id"]
    assert repeat["receipt_number"] is None
    assert as_integration.json()["repeat_of"]["receipt_number"] == earlier.json()["receipt_number"]


async def test_the_public_status_carries_the_case_id(services: Services) -> None:
    url = services["intake"].url
    async with httpx.AsyncClient(timeout=10, headers=RECEPTION) as http:
        receipt = (await http.post(f"{url}/cases", json=neighbour_dispute())).json()
    async with httpx.AsyncClient(timeout=10) as citizen:  # the public view needs no key
        status = await citizen.get(
            f"{url}/cases/status",
            params={
                "receipt_number": receipt["receipt_number"],
                "verification_code": receipt["verification_code"],
            },
        )
    assert status.status_code == 200, status.text
    assert status.json()["case_id"] == receipt["case_id"]
    assert status.json()["receipt_number"] == receipt["receipt_number"]
