"""An early warning describes a situation, never a person to watch: on the real stack, two
reports naming one person are not linked through that person, and reports on one place and
category are grouped as one situation."""

from typing import Any

import httpx
import pytest
from concord_shared.topics import CASE_EVENTS

from tests.support.cases import unique_phone, unique_text, valid_id_number
from tests.support.kafka import events_on
from tests.support.stack import AUTH, Services

pytestmark = pytest.mark.real


def early_warning(description: str, reporter_phone: str, **overrides: Any) -> dict[str, Any]:
    case: dict[str, Any] = {
        "kind": "early_warning",
        "channel": "visit",
        "platform": "339901001",
        "category": "land_dispute",
        "severity": "high",
        "description": description,
        "location": {"area_code": "339901001002"},
        "parties": [{"name": "报告人", "phone": reporter_phone, "role": "reporter"}],
    }
    case.update(overrides)
    return case


async def received(services: Services, case_ids: list[str]) -> dict[str, dict[str, Any]]:
    """Each case's CaseReceived payload, from the case log."""
    events = await events_on(
        [CASE_EVENTS.full_name(services.namespace)],
        set(case_ids),
        until=lambda found: (
            {e["case_id"] for e in found if e["type"] == "CaseReceived"} >= set(case_ids)
        ),
    )
    return {e["case_id"]: e["payload"] for e in events if e["type"] == "CaseReceived"}


async def test_two_reports_naming_one_person_are_not_linked_through_that_person(
    services: Services,
) -> None:
    respondent = {
        "name": "赵被报",
        "phone": unique_phone(),
        "id_number": valid_id_number("33990119700101001"),
        "role": "respondent",
    }
    # The same matter in the same words: a dispute like this would be a repeat.
    description = unique_text("赵被报与邻村因灌溉用水争执，扬言要堵渠：")
    async with httpx.AsyncClient(timeout=10, headers=AUTH) as http:
        answers = [
            await http.post(
                f"{services['intake'].url}/cases",
                json=early_warning(
                    description,
                    unique_phone(),  # two different reporters
                    parties=[
                        {"name": f"报告人{i}", "phone": unique_phone(), "role": "reporter"},
                        respondent,
                    ],
                ),
            )
            for i in range(2)
        ]
    assert [a.status_code for a in answers] == [201, 201], [a.text for a in answers]
    assert [a.json().get("repeat_of") for a in answers] == [None, None]
    first, second = (a.json()["case_id"] for a in answers)

    payloads = await received(services, [first, second])
    assert payloads[first]["repeat_of"] is None and payloads[second]["repeat_of"] is None

    def respondent_refs(case_id: str) -> set[str]:
        return {p["ref"] for p in payloads[case_id]["parties"] if p["role"] == "respondent"}

    assert respondent_refs(first) and respondent_refs(second)
    assert not respondent_refs(first) & respondent_refs(second)  # no pseudonym to follow
    for payload in payloads.values():
        assert "赵被报" not in payload["summary"] and "〔姓名〕" in payload["summary"]


async def test_reports_on_one_place_and_category_share_a_situation_group(
    services: Services,
) -> None:
    area = {"area_code": "339901001003"}
    async with httpx.AsyncClient(timeout=10, headers=AUTH) as http:
        ids = []
        for description, category in [
            (unique_text("村口工地拖欠工资，工人聚集："), "wage_arrears"),
            (unique_text("同一工地又有人说要去堵路："), "wage_arrears"),  # other words, reporter
            (unique_text("同村两户因水渠起争执："), "land_dispute"),  # another category
        ]:
            r = await http.post(
                f"{services['intake'].url}/cases",
                json=early_warning(description, unique_phone(), category=category, location=area),
            )
            assert r.status_code == 201, r.text
            ids.append(r.json()["case_id"])

    payloads = await received(services, ids)
    groups = [payloads[i]["situation_group"] for i in ids]
    assert groups[0] and groups[0] == groups[1]  # one situation
    assert groups[2] and groups[2] != groups[0]  # another category is another situation
    assert all(payloads[i]["repeat_of"] is None for i in ids)
