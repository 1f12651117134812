"""Durable deadline timers on the real broker and store, moved by a controllable clock:
warnings and breaches exactly once with two instances and across restarts; the working-day
calendar with a make-up day; the clock paused while the case waits on the citizen."""

import asyncio
from datetime import datetime, timedelta, timezone

import httpx
import pytest

from tests.support.mediation import SUPERVISOR, MediationStack, act, get_case, of_type
from tests.support.wait import eventually

pytestmark = pytest.mark.real

CST = timezone(timedelta(hours=8))
VILLAGE = "339901001001"


async def count(stack: MediationStack, case_id: str) -> dict[str, int]:
    events = await stack.events({case_id})
    notices = of_type(events, "NotificationRequested")
    return {
        "warning": len(of_type(events, "DeadlineWarning")),
        "breach": len(of_type(events, "DeadlineBreached")),
        "escalated": len(of_type(events, "CaseEscalated")),
        "leader_breach_notice": sum(
            1
            for n in notices
            if n["payload"]["notice"] == "deadline_breach"
            and n["payload"]["recipient_kind"] == "leader"
        ),
        "reminder": sum(1 for n in notices if n["payload"]["notice"] == "deadline_reminder"),
    }


async def test_warning_and_breach_once_with_two_instances_and_across_restarts(
    mediation: MediationStack,
) -> None:
    mediation.set_clock(datetime(2026, 10, 9, 9, tzinfo=CST))
    mediation.start(1)  # a second instance: both scan the same timers
    assert len(mediation.processes) >= 2
    case_id, _ = await mediation.assign(
        platform=VILLAGE, level="village", received_at=datetime(2026, 10, 9, 10, tzinfo=CST)
    )
    case = await eventually(lambda: get_case(mediation, case_id))
    # 15 working days from Friday 9 October 10:00 counts Saturday 10 October, a make-up
    # working day (调休): Thursday 29 October, not Friday 30.
    acceptance = case["deadlines"]["acceptance"]
    assert acceptance["due_at"] == "2026-10-29T02:00:00Z"  # 10:00 in Beijing
    # The warning at 80%: 12 working days -> Monday 26 October 10:00.
    assert acceptance["warn_at"] == "2026-10-26T02:00:00Z"

    mediation.set_clock(datetime(2026, 10, 26, 9, 59, tzinfo=CST))
    await asyncio.sleep(1.0)
    assert (await count(mediation, case_id))["warning"] == 0

    mediation.set_clock(datetime(2026, 10, 26, 10, 0, tzinfo=CST))

    async def warned() -> dict[str, int] | None:
        counts = await count(mediation, case_id)
        return counts if counts["warning"] else None

    await eventually(warned, within=20)
    await asyncio.sleep(1.5)  # both instances scanned many times since
    counts = await count(mediation, case_id)
    assert counts["warning"] == 1 and counts["reminder"] == 1 and counts["breach"] == 0

    # Both instances go down; time passes the deadline while nobody runs.
    mediation.stop()
    mediation.set_clock(datetime(2026, 10, 29, 10, 0, tzinfo=CST))
    mediation.start(2)

    async def breached() -> dict[str, int] | None:
        counts = await count(mediation, case_id)
        return counts if counts["breach"] else None

    await eventually(breached, within=30)
    # A restart after the breach fires nothing again.
    mediation.stop()
    mediation.start(2)
    await asyncio.sleep(1.5)
    counts = await count(mediation, case_id)
    assert counts == {
        "warning": 1,
        "breach": 1,
        "escalated": 1,
        "leader_breach_notice": 1,
        "reminder": 1,
    }
    escalated = await get_case(mediation, case_id)
    assert escalated is not None and escalated["status"] == "escalated"
    events = await mediation.events({case_id})
    up = of_type(events, "CaseEscalated")[0]["payload"]
    assert up["to_platform"] == "339901001" and up["reason"] == "acceptance deadline breached"
    leader = next(
        n["payload"]
        for n in of_type(events, "NotificationRequested")
        if n["payload"]["notice"] == "deadline_breach"
    )
    assert leader["recipient_ref"] == f"leader:{VILLAGE}" and leader["urgent"] is True


async def test_the_clock_pauses_while_the_case_waits_on_the_citizen(
    mediation: MediationStack,
) -> None:
    mediation.set_clock(datetime(2026, 11, 2, 9, tzinfo=CST))  # a Monday
    case_id, _ = await mediation.assign(
        platform=VILLAGE, level="village", received_at=datetime(2026, 11, 2, 9, tzinfo=CST)
    )
    case = await eventually(lambda: get_case(mediation, case_id))
    assert case["deadlines"]["acceptance"]["due_at"] == "2026-11-23T01:00:00Z"  # Mon 23 Nov
    async with httpx.AsyncClient(timeout=10, headers=SUPERVISOR) as http:
        mediation.set_clock(datetime(2026, 11, 4, 9, tzinfo=CST))
        r = await act(http, mediation, case_id, "await_citizen", reason="请补充土地证复印件")
        assert r.status_code == 200, r.text
        # Long past the original deadline, nothing fires while the clock is paused.
        mediation.set_clock(datetime(2026, 11, 30, 9, tzinfo=CST))
        await asyncio.sleep(1.0)
        assert (await count(mediation, case_id))["warning"] == 0
        r = await act(http, mediation, case_id, "resume")
        assert r.status_code == 200, r.text
    acceptance = r.json()["deadlines"]["acceptance"]
    # 13 working days were left on Wednesday 4 Nov 09:00 (Nov 4 from 09:00, 5-6, 9-13,
    # 16-20, Nov 23 to 09:00); from Monday 30 Nov 09:00 that is Thursday 17 December.
    assert acceptance["due_at"] == "2026-12-17T01:00:00Z"
    # The warning (12 of 15 days, Wed 18 Nov) had 10 days to go: Monday 14 December.
    assert acceptance["warn_at"] == "2026-12-14T01:00:00Z"
    assert (await count(mediation, case_id))["breach"] == 0
