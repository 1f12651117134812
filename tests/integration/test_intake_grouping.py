"""Repeats and collective matters are flagged at once, never refused (real store and broker)."""

import httpx
import pytest

from tests.support.cases import neighbour_dispute, unique_phone, unique_text
from tests.support.routing import ROUTING_READER
from tests.support.stack import AUTH, Services
from tests.support.wait import eventually

pytestmark = pytest.mark.real


async def test_the_same_party_on_the_same_matter_is_a_repeat(services: Services) -> None:
    phone = unique_phone()
    text = unique_text("宅基地边界争议：")
    first_case = neighbour_dispute(description=text)
    first_case["parties"][0]["phone"] = phone
    again = neighbour_dispute(description=text + "，再次反映")
    again["parties"][0]["phone"] = "+86 " + phone  # the same number, written differently
    other_matter = neighbour_dispute()
    other_matter["parties"][0]["phone"] = phone
    url = f"{services['intake'].url}/cases"
    async with httpx.AsyncClient(timeout=10, headers=AUTH) as http:
        first = (await http.post(url, json=first_case)).json()
        second = (await http.post(url, json=again)).json()
        third = (await http.post(url, json=other_matter)).json()
        assert first["repeat_of"] is None
        assert second["repeat_of"] == first["case_id"]
        assert third["repeat_of"] is None  # same person, different matter

        # Routing sees the flag and takes the repeat one level up.
        async def level() -> str | None:
            r = await http.get(
                f"{services['routing'].url}/cases/{second['case_id']}/routing",
                headers=ROUTING_READER,
            )
            return r.json()["decisions"][0]["level"] if r.status_code == 200 else None

        assert await eventually(level) == "township"


async def test_many_parties_or_many_similar_cases_are_collective(services: Services) -> None:
    url = f"{services['intake'].url}/cases"
    crowd = neighbour_dispute(
        category="wage_arrears",
        kind="petition",
        parties=[
            {"name": f"工人{i}", "phone": unique_phone(), "role": "applicant"} for i in range(6)
        ],
    )
    text = unique_text("工地欠薪：")
    async with httpx.AsyncClient(timeout=10, headers=AUTH) as http:
        many = (await http.post(url, json=crowd)).json()
        assert many["collective"] is True

        receipts = []
        for i in range(3):
            case = neighbour_dispute(
                category="wage_arrears", kind="petition", description=f"{text}（第{i}人）"
            )
            receipts.append((await http.post(url, json=case)).json())
    assert [r["collective"] for r in receipts] == [False, False, True]
    assert receipts[2]["collective_group"] == receipts[0]["case_id"]
    assert all(r["repeat_of"] is None for r in receipts)
