"""After closing: the citizen's feedback (not satisfied opens a review one level up under the
same case number), the review window, the one extension, and reassignment when a mediator
becomes unavailable -- on the real broker and store."""

from datetime import datetime, timedelta, timezone

import httpx
import pytest

from tests.support.mediation import (
    INTEGRATION_KEY,
    SUPERVISOR,
    MediationStack,
    act,
    get_case,
    of_type,
)
from tests.support.wait import eventually

pytestmark = pytest.mark.real

CST = timezone(timedelta(hours=8))
VILLAGE = "339901001001"
CITIZEN_CHANNEL = {"X-API-Key": INTEGRATION_KEY}


async def closed_case(stack: MediationStack, http: httpx.AsyncClient) -> tuple[str, str]:
    case_id, applicant = await stack.assign(
        platform=VILLAGE, level="village", received_at=datetime(2026, 8, 3, 9, tzinfo=CST)
    )
    await eventually(lambda: get_case(stack, case_id))
    for action, fields in [
        ("accept", {}),
        ("assign_mediator", {}),
        ("resolve", {"outcome": "已调处"}),
        ("close", {}),
    ]:
        r = await act(http, stack, case_id, action, **fields)
        assert r.status_code == 200, r.text
    return case_id, applicant


async def test_not_satisfied_opens_a_review_one_level_up(mediation: MediationStack) -> None:
    mediation.set_clock(datetime(2026, 8, 4, 9, tzinfo=CST))
    async with httpx.AsyncClient(timeout=10, headers=SUPERVISOR) as http:
        unhappy, _ = await closed_case(mediation, http)
        happy, _ = await closed_case(mediation, http)
        r = await http.post(
            f"{mediation.url}/cases/{unhappy}/feedback",
            json={"satisfied": False, "comment": "赔偿未到位"},
            headers=CITIZEN_CHANNEL,
        )
        assert r.status_code == 200, r.text
        case = r.json()
        assert case["case_id"] == unhappy  # the same case number
        assert case["status"] == "review_requested"
        assert case["platform"] == "339901001" and case["level"] == "township"
        again = await http.post(
            f"{mediation.url}/cases/{unhappy}/feedback",
            json={"satisfied": True},
            headers=CITIZEN_CHANNEL,
        )
        assert again.status_code == 409
        r = await http.post(
            f"{mediation.url}/cases/{happy}/feedback",
            json={"satisfied": True, "comment": "满意"},
            headers=CITIZEN_CHANNEL,
        )
        assert r.json()["status"] == "closed"
        missing = await http.post(
            f"{mediation.url}/cases/{happy}/feedback", json={}, headers=CITIZEN_CHANNEL
        )
        assert missing.status_code == 422
        assert missing.json()["detail"][0]["loc"][-1] == "satisfied"
        # The review goes on at the subdistrict.
        assert (await act(http, mediation, unhappy, "start_review")).json()["status"] == (
            "under_review"
        )

    async def logged() -> list | None:
        events = await mediation.events({unhappy, happy})
        return events if len(of_type(events, "FeedbackReceived")) == 2 else None

    events = await eventually(logged, within=30)
    feedback = {e["case_id"]: e["payload"] for e in of_type(events, "FeedbackReceived")}
    assert feedback[unhappy]["satisfied"] is False
    assert feedback[unhappy]["comment"] == "赔偿未到位"
    assert feedback[happy]["satisfied"] is True
    reviews = of_type(events, "ReviewRequested")
    assert [(e["case_id"], e["payload"]["review_platform"]) for e in reviews] == [
        (unhappy, "339901001")
    ]
    moves = [
        (e["payload"]["from_status"], e["payload"]["to_status"])
        for e in of_type(events, "CaseStatusChanged")
        if e["case_id"] == unhappy
    ]
    assert moves[-2:] == [("closed", "review_requested"), ("review_requested", "under_review")]


async def test_review_only_within_thirty_days_of_closing(mediation: MediationStack) -> None:
    mediation.set_clock(datetime(2026, 8, 4, 9, tzinfo=CST))
    async with httpx.AsyncClient(timeout=10, headers=SUPERVISOR) as http:
        case_id, _ = await closed_case(mediation, http)
        mediation.set_clock(datetime(2026, 9, 4, 9, tzinfo=CST))
        late = await act(http, mediation, case_id, "request_review", reason="不服")
        assert late.status_code == 409
        assert late.json()["detail"] == "the review window closed on 2026-09-03"


async def test_one_extension_told_to_the_citizen(mediation: MediationStack) -> None:
    mediation.set_clock(datetime(2026, 8, 4, 9, tzinfo=CST))
    case_id, applicant = await mediation.assign(
        platform=VILLAGE, level="village", received_at=datetime(2026, 8, 3, 9, tzinfo=CST)
    )
    await eventually(lambda: get_case(mediation, case_id))
    async with httpx.AsyncClient(timeout=10, headers=SUPERVISOR) as http:
        accepted = await act(http, mediation, case_id, "accept")
        # Handling: 60 working days from Tue 4 Aug 09:00: 19 more in August, 22 in
        # September (Sun 20 worked, 中秋 Fri 25 off), 18 in October (国庆 1-7 off, Sat 10
        # worked), the 60th is Monday 2 November.
        assert accepted.json()["deadlines"]["handling"]["due_at"] == "2026-11-02T01:00:00Z"
        url = f"{mediation.url}/cases/{case_id}/extension"
        too_long = await http.post(url, json={"days": 31, "reason": "鉴定"})
        assert too_long.status_code == 422 and too_long.json()["detail"][0]["loc"][-1] == "days"
        r = await http.post(url, json={"days": 10, "reason": "需要司法鉴定"})
        assert r.status_code == 200, r.text
        # Ten more working days: Nov 3-6, 9-13, 16 -> Monday 16 November.
        assert r.json()["deadlines"]["handling"]["due_at"] == "2026-11-16T01:00:00Z"
        second = await http.post(url, json={"days": 5, "reason": "再延"})
        assert second.status_code == 409
        assert "only one extension" in second.json()["detail"]

    async def told() -> list | None:
        events = await mediation.events({case_id})
        notices = [
            e["payload"]
            for e in of_type(events, "NotificationRequested")
            if e["payload"]["notice"] == "deadline_extended"
        ]
        return notices or None

    notice = (await eventually(told, within=30))[0]
    assert notice["recipient_kind"] == "citizen" and notice["recipient_ref"] == applicant
    assert notice["facts"]["handling_due"] == "2026-11-16 09:00"  # with the hour, local time


async def test_an_unavailable_mediators_cases_are_reassigned(mediation: MediationStack) -> None:
    mediation.set_clock(datetime(2026, 8, 4, 9, tzinfo=CST))
    case_id, _ = await mediation.assign(
        platform=VILLAGE,
        level="village",
        received_at=datetime(2026, 8, 3, 9, tzinfo=CST),
        category="wage_arrears",
    )
    await eventually(lambda: get_case(mediation, case_id))
    async with httpx.AsyncClient(timeout=10, headers=SUPERVISOR) as http:
        await act(http, mediation, case_id, "accept")
        r = await act(http, mediation, case_id, "assign_mediator", mediator_ref="med-v001001-3")
        assert r.json()["mediator"] == "med-v001001-3"  # manual override
        try:
            away = await http.put(
                f"{mediation.url}/mediators/med-v001001-3/availability", json={"available": False}
            )
            assert away.status_code == 200, away.text
            moved = {m["case_id"]: m["mediator"] for m in away.json()["reassigned"]}
            assert moved[case_id] in {"med-v001001-1", "med-v001001-2"}
            case = await get_case(mediation, case_id)
            assert case is not None and case["mediator"] == moved[case_id]
            listing = await http.get(f"{mediation.url}/mediators", params={"platform": VILLAGE})
            row = next(m for m in listing.json() if m["ref"] == "med-v001001-3")
            assert row["available"] is False and row["load"] == 0
        finally:
            await http.put(
                f"{mediation.url}/mediators/med-v001001-3/availability", json={"available": True}
            )
