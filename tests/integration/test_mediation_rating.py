"""The star rating from a generated month of cases, against a rating worked out by hand; the
four decreases against the month before; the ratings CLI -- on the real broker and store.

June 2026 belongs to this test alone: no other test receives cases in May or June (the
access test's cases of May, one an early warning that escalates when its 4 hours pass, made
this test fail whenever it ran first: they are in April now).
"""

import asyncio
import socket
import subprocess
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import pytest

from tests.support.mediation import (
    AUDITOR_KEY,
    INTEGRATION_KEY,
    SUPERVISOR,
    MediationStack,
    act,
    get_case,
)
from tests.support.stack import BIN
from tests.support.wait import eventually

pytestmark = pytest.mark.real

CST = timezone(timedelta(hours=8))
VILLAGE = "339901001001"  # rated platform A
COUNTY = "339901"  # rated platform C
RECEIVED = datetime(2026, 6, 1, 9, tzinfo=CST)  # acceptance due: Tue 23 June 09:00 (端午 19th)

# What happens to each case in June, and who says what afterwards.
STORY: dict[str, list[tuple[str, dict[str, Any]]]] = {
    "agreed": [
        ("accept", {}),
        ("assign_mediator", {}),
        ("schedule_session", {"starts_at": "2026-06-05T10:00:00+08:00"}),
        ("reach_agreement", {"terms": ["赔偿500元"]}),
        ("resolve", {"outcome": "调解成功"}),
        ("close", {}),
    ],
    "failed": [
        ("accept", {}),
        ("assign_mediator", {}),
        ("schedule_session", {"starts_at": "2026-06-05T10:00:00+08:00"}),
        ("fail", {"reason": "未达成协议"}),
        ("close", {}),
    ],
    "resolved": [
        ("accept", {}),
        ("assign_mediator", {}),
        ("resolve", {"outcome": "已答复"}),
        ("close", {}),
    ],
    "rejected": [("not_accept", {"reason": "不属于受理范围"}), ("close", {})],
    "escalated": [("accept", {}), ("assign_mediator", {}), ("escalate", {"reason": "跨村"})],
    "late": [("accept", {}), ("assign_mediator", {})],
    "untouched": [],  # nobody decides: the acceptance deadline passes and the case escalates
}


async def run(http: httpx.AsyncClient, stack: MediationStack, case_id: str, story: str) -> None:
    for action, fields in STORY[story]:
        r = await act(http, stack, case_id, action, **fields)
        assert r.status_code == 200, (case_id, action, r.text)


async def feedback(http: httpx.AsyncClient, stack: MediationStack, case_id: str, ok: bool) -> None:
    r = await http.post(
        f"{stack.url}/cases/{case_id}/feedback",
        json={"satisfied": ok, "comment": "" if ok else "不满意"},
        headers={"X-API-Key": INTEGRATION_KEY},
    )
    assert r.status_code == 200, r.text


async def test_a_month_of_cases_gives_the_rating_worked_out_by_hand(
    mediation: MediationStack,
) -> None:
    # May, the month before, in the same area: 3 cases, 2 collective, all accepted in time.
    mediation.set_clock(datetime(2026, 5, 11, 8, tzinfo=CST))
    may = [
        (
            await mediation.assign(
                platform=VILLAGE,
                level="village",
                collective=i < 2,
                received_at=datetime(2026, 5, 11, 9, tzinfo=CST),
            )
        )[0]
        for i in range(3)
    ]
    mediation.set_clock(RECEIVED - timedelta(hours=1))
    a: dict[str, str] = {}
    for name, repeat, collective in [
        ("a1", None, False),
        ("a2", "case-earlier-1", False),
        ("a3", None, False),
        ("a4", None, True),
        ("a5", None, False),
        ("a6", None, False),
        ("a7", None, False),
        ("a8", "case-earlier-2", False),
    ]:
        a[name], _ = await mediation.assign(
            platform=VILLAGE,
            level="village",
            received_at=RECEIVED,
            repeat_of=repeat,
            collective=collective,
        )
    c: dict[str, str] = {}
    for name in ("c1", "c2", "c3", "c4"):
        c[name], _ = await mediation.assign(
            platform=COUNTY, level="county", received_at=RECEIVED, area_code="339901002001"
        )
    for case_id in [*may, *a.values(), *c.values()]:
        await eventually(lambda case_id=case_id: get_case(mediation, case_id))  # type: ignore[misc]

    async with httpx.AsyncClient(timeout=10, headers=SUPERVISOR) as http:
        mediation.set_clock(datetime(2026, 5, 12, 10, tzinfo=CST))
        for case_id in may:
            await run(http, mediation, case_id, "resolved")
        mediation.set_clock(datetime(2026, 6, 3, 10, tzinfo=CST))
        for name, story in [
            ("a1", "agreed"),
            ("a2", "agreed"),
            ("a3", "agreed"),
            ("a4", "failed"),
            ("a5", "resolved"),
            ("a6", "rejected"),
            ("a7", "escalated"),
            ("c1", "resolved"),
            ("c3", "failed"),
        ]:
            await run(http, mediation, {**a, **c}[name], story)
        for name, ok in [("a1", True), ("a2", True), ("a3", False), ("c1", True), ("c3", False)]:
            await feedback(http, mediation, {**a, **c}[name], ok)
        # The acceptance deadline passes for a8, c2 and c4; c2 is accepted late.
        mediation.set_clock(datetime(2026, 6, 24, 10, tzinfo=CST))

        async def breached() -> bool:
            cases = [await get_case(mediation, i) for i in (a["a8"], c["c2"], c["c4"])]
            return all(x and x["deadlines"]["acceptance"]["breached"] for x in cases)

        await eventually(breached, within=30)
        await run(http, mediation, c["c2"], "late")

    assert (await get_case(mediation, a["a8"]) or {})["status"] == "escalated"
    assert (await get_case(mediation, c["c4"]) or {})["status"] == "received"  # top level

    async with httpx.AsyncClient(timeout=10, headers={"X-API-Key": AUDITOR_KEY}) as http:
        r = await http.get(f"{mediation.url}/ratings", params={"period": "2026-06"})
        assert r.status_code == 200, r.text
        ratings = {x["platform"]: x for x in r.json()}
        assert set(ratings) == {VILLAGE, COUNTY}

        # Platform A, 8 cases, every acceptance due by now: 7 decided (all on time; a8
        # never), 6 accepted of which 5 are due an outcome (a7 went up unresolved, its
        # handling deadline still ahead), 4 resolved there (a1, a2, a3, a5), 3 feedbacks of
        # which 2 satisfied, 2 repeats (a2, a8), 2 escalated (a7 by hand, a8 by its breach).
        village = ratings[VILLAGE]
        assert village["inputs"] | {"platform": VILLAGE, "period": "2026-06"} == {
            "platform": VILLAGE,
            "period": "2026-06",
            "cases": 8,
            "decision_due": 8,
            "resolution_due": 5,
            "responded": 7,
            "accepted_on_time": 7,
            "accepted": 6,
            "resolved": 4,
            "resolved_here": 4,
            "feedback": 3,
            "satisfied": 2,
            "repeats": 2,
            "escalated": 2,
        }
        assert village["rates"] == {
            "response_rate": 0.875,
            "on_time_acceptance_rate": 0.875,
            "resolution_rate": 0.8,
            "satisfaction_rate": 0.6667,
            "repeat_rate": 0.25,
            "escalation_rate": 0.25,
            "local_resolution_rate": 1.0,
        }
        # .10x.875 + .15x.875 + .20x.8 + .20x.6667 + .10x.75 + .10x.75 + .15x1 = .81209
        assert village["score"] == 81.21
        assert village["stars"] == 4
        assert village["policy"]["rates"]["resolution_rate"] == "resolved / resolution_due"

        # Platform C, 4 cases, all due a decision: 3 decided, 2 on time (c2 after its
        # deadline), 3 accepted of which 2 are due an outcome (c2 accepted late, its
        # handling still running), 1 resolved (there), 2 feedbacks with 1 satisfied, no
        # repeats, nothing escalated.
        county = ratings[COUNTY]
        assert county["rates"] == {
            "response_rate": 0.75,
            "on_time_acceptance_rate": 0.5,
            "resolution_rate": 0.5,
            "satisfaction_rate": 0.5,
            "repeat_rate": 0.0,
            "escalation_rate": 0.0,
            "local_resolution_rate": 1.0,
        }
        # .10x.75 + .15x.5 + .20x.5 + .20x.5 + .10x1 + .10x1 + .15x1 = .70
        assert county["score"] == 70.0
        assert county["stars"] == 3

        r = await http.get(
            f"{mediation.url}/indicators/four-decreases",
            params={"area": "339901001", "period": "2026-06"},
        )
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["previous_period"] == "2026-05"
        assert body["indicators"] == {
            "total": {
                "current": 8,
                "previous": 3,
                "change": 5,
                "change_rate": 1.6667,
                "decreased": False,
            },
            "collective": {
                "current": 1,
                "previous": 2,
                "change": -1,
                "change_rate": -0.5,
                "decreased": True,
            },
            "repeat": {
                "current": 2,
                "previous": 0,
                "change": 2,
                "change_rate": None,
                "decreased": False,
            },
            "non_reception_place": {  # no petitions at all this month or the one before
                "current": 0,
                "previous": 0,
                "change": 0,
                "change_rate": None,
                "decreased": False,
            },
        }
        assert body["also"] == {
            "escalated": {
                "current": 2,
                "previous": 0,
                "change": 2,
                "change_rate": None,
                "decreased": False,
            },
        }
        bad = await http.get(f"{mediation.url}/ratings", params={"period": "June"})
        assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["query", "period"]

    cli = await asyncio.to_thread(
        subprocess.run,
        [
            str(BIN / "concord-mediation-ratings"),
            "--period",
            "2026-06",
            "--url",
            mediation.url,
            "--api-key",
            AUDITOR_KEY,
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert cli.returncode == 0, cli.stderr
    rows = {
        line.split("│")[1].strip(): line
        for line in cli.stdout.splitlines()
        if line.count("│") > 3 and line.split("│")[1].strip().isdigit()
    }
    assert "★★★★☆" in rows[VILLAGE] and "81.21" in rows[VILLAGE] and "87.5%" in rows[VILLAGE]
    assert "★★★☆☆" in rows[COUNTY] and "70.00" in rows[COUNTY]
    assert "How it is scored" in cli.stdout and "resolved / resolution_due" in cli.stdout


async def test_cases_still_inside_their_deadline_are_not_counted_as_failures(
    mediation: MediationStack,
) -> None:
    """February 2026 at village 339901006201 belongs to this test: three cases came in,
    one is decided; the others' acceptance deadline is weeks away, so they are in no rate
    about it yet (they were counted as unanswered: every young platform had 1 star)."""
    young = "339901006201"
    received = datetime(2026, 2, 2, 9, tzinfo=CST)
    mediation.set_clock(received)
    ids = [
        (await mediation.assign(platform=young, level="village", received_at=received))[0]
        for _ in range(3)
    ]
    for case_id in ids:
        await eventually(lambda case_id=case_id: get_case(mediation, case_id))  # type: ignore[misc]
    mediation.set_clock(received + timedelta(days=1))
    async with httpx.AsyncClient(timeout=10, headers=SUPERVISOR) as http:
        assert (await act(http, mediation, ids[0], "accept")).status_code == 200
    async with httpx.AsyncClient(timeout=10, headers={"X-API-Key": AUDITOR_KEY}) as http:
        r = await http.get(
            f"{mediation.url}/ratings", params={"period": "2026-02", "platform": young}
        )
    assert r.status_code == 200, r.text
    [rating] = r.json()
    assert rating["inputs"]["cases"] == 3 and rating["inputs"]["decision_due"] == 1
    assert rating["rates"]["response_rate"] == 1.0
    assert rating["rates"]["on_time_acceptance_rate"] == 1.0
    assert rating["rates"]["resolution_rate"] is None  # nothing due to be resolved yet
    assert rating["stars"] == 5


def test_the_ratings_cli_says_so_when_mediation_does_not_answer() -> None:
    """A mediation that accepts the connection and never answers (a busy one): a message
    and exit status 2, not a traceback."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        port = silent.getsockname()[1]
        cli = subprocess.run(
            [
                str(BIN / "concord-mediation-ratings"),
                "--period",
                "2026-06",
                "--url",
                f"http://127.0.0.1:{port}",
                "--timeout",
                "1",
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert cli.returncode == 2, cli.stderr
    assert "did not answer within 1 s" in cli.stderr and "--timeout" in cli.stderr
    assert "Traceback" not in cli.stderr
