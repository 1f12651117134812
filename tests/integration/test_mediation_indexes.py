"""Mediation's index documents, on the real broker and store: a platform's queue (every open
case, then the recently closed; with the platforms below; only what needs attention), the
deadline watch across a restart, the rating and indicator counters against the cases
themselves (and a redelivered CaseAssigned counted once), and a store from before the
indexes, backfilled at start.

July 2026 belongs to this file's cases (at the villages of township 339901003 and the
county); no other test receives cases in July.
"""

from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
from concord_mediation.adapters.indexes import COUNTERS, LISTS, STATE, TIMERS
from concord_mediation.domain.figures import area_counts_of, figures_of
from concord_mediation.domain.periods import Period
from concord_mediation.queues import needs_attention
from concord_shared.envelope import envelope
from concord_shared.events import CaseAssigned, PartyRef
from concord_shared.registry import load_registry
from concord_shared.topics import VERTICAL_ASSIGN
from pymongo import AsyncMongoClient

from tests.support.kafka import send
from tests.support.mediation import (
    AUDITOR_KEY,
    INTEGRATION_KEY,
    SUPERVISOR,
    MediationStack,
    act,
    get_case,
)
from tests.support.pages import every_page
from tests.support.stack import MONGO
from tests.support.wait import eventually

pytestmark = pytest.mark.real

CST = timezone(timedelta(hours=8))
TOWNSHIP = "339901003"
V1 = "339901003201"
V2 = "339901003202"
COUNTY = "339901"
JULY = datetime(2026, 7, 6, 9, tzinfo=CST)  # a Monday
REGISTRY = load_registry()


async def cases_of(mediation: MediationStack) -> list[dict[str, Any]]:
    """Every case document in mediation's store, read whole (a test may)."""
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(MONGO, tz_aware=True)
    try:
        db = client[f"{mediation.namespace}_mediation"]
        return await db["cases"].find({}).to_list()
    finally:
        await client.close()


async def opened(mediation: MediationStack, **fields: Any) -> str:
    case_id, _ = await mediation.assign(**fields)
    await eventually(lambda: get_case(mediation, case_id), within=30)
    return case_id


async def steps(
    mediation: MediationStack, case_id: str, *actions: tuple[str, dict[str, Any]]
) -> None:
    async with httpx.AsyncClient(timeout=10, headers=SUPERVISOR) as http:
        for action, fields in actions:
            r = await act(http, mediation, case_id, action, **fields)
            assert r.status_code == 200, (action, r.text)


REJECT_AND_CLOSE: tuple[tuple[str, dict[str, Any]], ...] = (
    ("not_accept", {"reason": "不属于受理范围"}),
    ("close", {}),
)


async def queue(mediation: MediationStack, platform: str, **params: str) -> list[dict[str, Any]]:
    async with httpx.AsyncClient(timeout=30, headers=SUPERVISOR) as http:
        r = await http.get(f"{mediation.url}/platforms/{platform}/cases", params=params)
        assert r.status_code == 200, r.text
        found: list[dict[str, Any]] = r.json()
        return found


def timers_parsed(case: dict[str, Any]) -> dict[str, Any]:
    """A case as the API shows it, its deadlines' times as datetimes (as in the store)."""
    deadlines = {
        name: {
            **t,
            "due_at": datetime.fromisoformat(t["due_at"]) if t.get("due_at") else None,
        }
        for name, t in (case.get("deadlines") or {}).items()
    }
    return {**case, "deadlines": deadlines}


async def test_a_queue_lists_every_open_case_then_those_closed_lately(
    mediation: MediationStack,
) -> None:
    # Closed in April: three months before July and more, so no longer in July's queue.
    mediation.set_clock(datetime(2026, 4, 13, 9, tzinfo=CST))
    closed_long_ago = await opened(
        mediation, platform=V1, level="village", received_at=datetime(2026, 4, 13, 8, tzinfo=CST)
    )
    await steps(mediation, closed_long_ago, *REJECT_AND_CLOSE)
    # Still open from April: listed however old.
    open_since_april = await opened(
        mediation, platform=V1, level="village", received_at=datetime(2026, 4, 13, 8, tzinfo=CST)
    )
    mediation.set_clock(JULY)

    async def settled() -> bool:  # its acceptance deadline passed: escalated (to no one here)
        case = await get_case(mediation, open_since_april) or {}
        return case.get("status") == "escalated"

    await eventually(settled, within=30)
    open_now = await opened(mediation, platform=V1, level="village", received_at=JULY)
    closed_now = await opened(mediation, platform=V1, level="village", received_at=JULY)
    await steps(mediation, closed_now, *REJECT_AND_CLOSE)
    high = await opened(mediation, platform=V2, level="village", severity="high", received_at=JULY)

    ids = [c["case_id"] for c in await queue(mediation, V1)]
    assert closed_long_ago not in ids
    assert set(ids) >= {open_since_april, open_now, closed_now}
    assert ids.index(closed_now) > max(ids.index(open_since_april), ids.index(open_now))
    assert ids.index(open_now) < ids.index(open_since_april)  # newest first

    # A page: the first so many of the same queue, in the same order.
    assert [c["case_id"] for c in await queue(mediation, V1, limit="2")] == ids[:2]
    assert [c["case_id"] for c in await queue(mediation, V1, limit=str(len(ids)))] == ids
    async with httpx.AsyncClient(timeout=30, headers=SUPERVISOR) as http:
        r = await http.get(f"{mediation.url}/platforms/{V1}/cases", params={"limit": "0"})
        assert r.status_code == 422 and "limit" in r.text

    # A township with the villages below it: every one of their queues in one call.
    below = [p.code for p in REGISTRY.platforms if REGISTRY.is_at_or_below(p.code, TOWNSHIP)]
    each = {c["case_id"] for p in below for c in await queue(mediation, p)}
    together = await queue(mediation, TOWNSHIP, include_below="true")
    assert {c["case_id"] for c in together} == each
    assert {open_now, closed_now, high} <= each
    statuses = [c["status"] for c in together]
    assert statuses == sorted(statuses, key=lambda s: s == "closed")  # open ones first

    # What needs a leader's attention: open, high severity or past a running deadline.
    attention = {
        c["case_id"]
        for c in await queue(mediation, TOWNSHIP, include_below="true", attention="true")
    }
    assert high in attention and open_now not in attention and closed_now not in attention
    now = JULY
    assert attention == {c["case_id"] for c in together if needs_attention(timers_parsed(c), now)}


async def test_a_queue_is_read_page_by_page_each_case_once_in_the_same_order(
    mediation: MediationStack,
) -> None:
    # Closings in June and in July, open cases: the queue's three sections. The June closings
    # were received in May: the session's other tests rate June and must find only their own.
    may = datetime(2026, 5, 29, 8, tzinfo=CST)
    mediation.set_clock(may + timedelta(hours=1))
    june = [await opened(mediation, platform=V1, level="village", received_at=may) for _ in "ab"]
    mediation.set_clock(datetime(2026, 6, 1, 9, tzinfo=CST))
    for case_id in june:
        await steps(mediation, case_id, *REJECT_AND_CLOSE)
    mediation.set_clock(JULY)
    for n in range(3):
        case_id = await opened(mediation, platform=V2, level="village", received_at=JULY)
        if n == 0:
            await steps(mediation, case_id, *REJECT_AND_CLOSE)

    url = f"{mediation.url}/platforms/{TOWNSHIP}/cases"
    async with httpx.AsyncClient(timeout=30, headers=SUPERVISOR) as http:
        whole = [c["case_id"] for c in await queue(mediation, TOWNSHIP, include_below="true")]
        assert len(whole) >= 6
        # No `rel=next` on a page that holds the rest.
        r = await http.get(url, params={"include_below": "true"})
        assert "next" not in r.links
        paged = [
            c["case_id"]
            for c in await every_page(http, url, {"include_below": "true", "limit": "2"})
        ]
        assert paged == whole

        # A case opened between two pages is not on the second, nor moves a case onto it.
        first = await http.get(url, params={"include_below": "true", "limit": "2"})
        newest = await opened(mediation, platform=V1, level="village", received_at=JULY)
        second = await http.get(first.links["next"]["url"])
        assert [c["case_id"] for c in second.json()] == whole[2:4]
        again = [c["case_id"] for c in await queue(mediation, TOWNSHIP, include_below="true")]
        assert again[0] == newest and again[1:] == whole

        # What needs attention, page by page, is the same list too.
        flagged = {"include_below": "true", "attention": "true"}
        one_page = [c["case_id"] for c in await queue(mediation, TOWNSHIP, **flagged)]
        by_one = await every_page(http, url, {**flagged, "limit": "1"})
        assert [c["case_id"] for c in by_one] == one_page

        r = await http.get(url, params={"cursor": "not-a-cursor"})
        assert r.status_code == 422 and "cursor" in r.text


async def test_the_leaders_selection_finds_an_overdue_case_at_the_top(
    mediation: MediationStack,
) -> None:
    mediation.set_clock(JULY)
    overdue = await opened(
        mediation, platform=COUNTY, level="county", received_at=JULY, area_code="339901003205"
    )
    calm = await opened(
        mediation, platform=V2, level="village", received_at=datetime(2026, 7, 20, 9, tzinfo=CST)
    )
    # 15 working days later the county's acceptance deadline has passed; at the top level a
    # breach only tells the leader, so the case stays open with the deadline running.
    later = datetime(2026, 7, 28, 10, tzinfo=CST)
    mediation.set_clock(later)

    async def breached() -> bool:
        case = await get_case(mediation, overdue) or {}
        return bool(case.get("deadlines", {}).get("acceptance", {}).get("breached"))

    await eventually(breached, within=30)

    async def one_call_and_every_queue() -> tuple[set[str], set[str]] | None:
        found = await queue(mediation, COUNTY, include_below="true", attention="true")
        everything = [c for p in REGISTRY.platforms for c in await queue(mediation, p.code)]
        ids = {c["case_id"] for c in found}
        expected = {c["case_id"] for c in everything if needs_attention(timers_parsed(c), later)}
        # Other cases' timers may still be firing at this new hour: equal once they are done.
        return (ids, expected) if ids == expected else None

    ids, _ = await eventually(one_call_and_every_queue, within=30, interval=0.5)
    assert overdue in ids and calm not in ids


async def test_a_timer_due_while_mediation_was_down_fires_after_it_starts_again(
    mediation: MediationStack,
) -> None:
    mediation.set_clock(JULY)
    case_id = await opened(mediation, platform=V2, level="village", received_at=JULY)
    mediation.stop()
    try:
        # Its warning and its breach fell due in hours long past while nothing ran.
        mediation.set_clock(datetime(2026, 8, 31, 9, tzinfo=CST))
    finally:
        mediation.start(1)

    async def escalated() -> dict[str, Any] | None:
        case = await get_case(mediation, case_id)
        return case if case and case["status"] == "escalated" else None

    case = await eventually(escalated, within=30)
    acceptance = case["deadlines"]["acceptance"]
    assert acceptance["warned"] and acceptance["breached"]


def _assigned(case_id: str, received_at: datetime, platform: str, collective: bool) -> bytes:
    payload = CaseAssigned(
        platform=platform,
        level="village",
        desk="mediation",
        kind="dispute",
        category="neighbour",
        severity="low",
        area_code=platform,
        summary="邻里纠纷：测试",
        parties=[PartyRef(ref="pty-index-test", role="applicant")],
        lead_department="justice",
        received_at=received_at,
        collective=collective,
    )
    return envelope(payload, source="routing", case_id=case_id).to_bytes()


async def both_ways_agree(mediation: MediationStack, month: str, area: str) -> dict[str, Any]:
    """/ratings and /indicators (from the counters) against the same figures summed over
    the case documents; the API's figures per platform."""
    period = Period.parse(month)
    docs = await cases_of(mediation)
    start, end = period.bounds(CST)
    received = [d for d in docs if start <= d["received_at"] < end]
    before = period.previous().bounds(CST)
    received_before = [d for d in docs if before[0] <= d["received_at"] < before[1]]
    expected = {p: f.model_dump() for p, f in figures_of(received, month).items()}
    async with httpx.AsyncClient(timeout=30, headers={"X-API-Key": AUDITOR_KEY}) as http:
        r = await http.get(f"{mediation.url}/ratings", params={"period": month})
        assert r.status_code == 200, r.text
        rows = r.json()
        got = {row["platform"]: row["inputs"] for row in rows}
        assert got == expected
        policy = rows[0]["policy"]
        assert policy["weights"]["satisfaction_rate"] == 0.2
        assert policy["thresholds"] == [90.0, 80.0, 70.0, 60.0]
        assert "formula" in policy
        r = await http.get(
            f"{mediation.url}/indicators/four-decreases", params={"area": area, "period": month}
        )
        assert r.status_code == 200, r.text
        indicators = r.json()["indicators"]
    now, then = area_counts_of(received, area), area_counts_of(received_before, area)
    also = r.json()["also"]
    assert {k: (v["current"], v["previous"]) for k, v in {**indicators, **also}.items()} == {
        k: (now[k], then[k]) for k in now
    }
    return got


async def test_counters_equal_the_cases_and_a_redelivered_case_counts_once(
    mediation: MediationStack,
) -> None:
    mediation.set_clock(JULY)
    case_id = f"case-idx-{datetime.now().timestamp():.0f}"
    first = _assigned(case_id, JULY, V1, collective=True)
    topic = mediation.topic(VERTICAL_ASSIGN.name)
    await send(topic, [first], key=case_id.encode())
    await eventually(lambda: get_case(mediation, case_id), within=30)
    before = await both_ways_agree(mediation, "2026-07", TOWNSHIP)
    # The same event again, and the same case in a second event (routing retried).
    # Then a case behind them on the same partition: once it is there, they were consumed.
    marker = f"{case_id}-after"
    again = [
        first,
        _assigned(case_id, JULY, V1, collective=True),
        _assigned(marker, JULY, V1, False),
    ]
    await send(topic, again, key=case_id.encode())
    await eventually(lambda: get_case(mediation, marker), within=30)
    await steps(mediation, case_id, *REJECT_AND_CLOSE)
    async with httpx.AsyncClient(timeout=10, headers={"X-API-Key": INTEGRATION_KEY}) as http:
        r = await http.post(
            f"{mediation.url}/cases/{case_id}/feedback", json={"satisfied": True, "comment": ""}
        )
        assert r.status_code == 200, r.text
    # Anything consumed after the feedback has been applied by the time it is read twice.
    after = await both_ways_agree(mediation, "2026-07", TOWNSHIP)
    assert after[V1]["cases"] == before[V1]["cases"] + 1  # the marker case
    assert after[V1]["responded"] == before[V1]["responded"] + 1
    assert after[V1]["satisfied"] == before[V1]["satisfied"] + 1


async def test_a_store_from_before_the_indexes_is_backfilled_at_start(
    mediation: MediationStack,
) -> None:
    mediation.set_clock(JULY)
    open_case = await opened(mediation, platform=V2, level="village", received_at=JULY)
    closed_case = await opened(mediation, platform=V2, level="village", received_at=JULY)
    await steps(mediation, closed_case, *REJECT_AND_CLOSE)
    mediation.stop()
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(MONGO, tz_aware=True)
    db = client[f"{mediation.namespace}_mediation"]
    try:
        for name in (TIMERS, LISTS, COUNTERS, STATE):
            await db.drop_collection(name)  # the store as it was before
    finally:
        mediation.start(1)

    async def backfilled() -> dict[str, Any] | None:
        return await db[STATE].find_one({"_id": "backfill", "done_at": {"$exists": True}})

    try:
        done = await eventually(backfilled, within=60)
    finally:
        await client.close()
    assert done["cases"] >= 2
    ids = [c["case_id"] for c in await queue(mediation, V2)]
    assert open_case in ids and closed_case in ids
    assert ids.index(open_case) < ids.index(closed_case)
    await both_ways_agree(mediation, "2026-07", TOWNSHIP)
    # Its timer is in the due buckets again: it fires.
    mediation.set_clock(datetime(2026, 8, 31, 9, tzinfo=CST))

    async def escalated() -> bool:
        case = await get_case(mediation, open_case) or {}
        return case.get("status") == "escalated"

    await eventually(escalated, within=30)


async def test_lists_of_bare_case_ids_from_before_are_still_read_in_order_and_let_go(
    mediation: MediationStack,
) -> None:
    # The version before kept a platform's lists as bare case ids; now each entry also says
    # when its case opened. A store upgraded in place holds both until those cases move on.
    v4 = "339901003204"
    mediation.set_clock(JULY + timedelta(days=1))
    ids = [
        await opened(mediation, platform=v4, level="village", received_at=JULY + timedelta(hours=n))
        for n in range(4)
    ]
    await steps(mediation, ids[0], *REJECT_AND_CLOSE)
    before = [c["case_id"] for c in await queue(mediation, v4)]
    assert before == [ids[3], ids[2], ids[1], ids[0]]

    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(MONGO, tz_aware=True)
    lists = client[f"{mediation.namespace}_mediation"][LISTS]
    try:
        mine = {"_id": {"$regex": f"^(open|closed):{v4}"}}
        async for doc in lists.find(mine):
            bare = [m.rpartition("|")[2] for m in doc["members"]]
            await lists.update_one({"_id": doc["_id"]}, {"$set": {"members": bare}})
        assert [c["case_id"] for c in await queue(mediation, v4)] == before
        paged = await every_page_of(mediation, v4, limit=1)
        assert paged == before

        # A case listed by its bare id closes: it leaves the open list, bare id and all.
        await steps(mediation, ids[2], *REJECT_AND_CLOSE)
        after = [c["case_id"] for c in await queue(mediation, v4)]
        assert after == [ids[3], ids[1], ids[2], ids[0]]
        still_open = [
            m async for d in lists.find({"_id": {"$regex": f"^open:{v4}"}}) for m in d["members"]
        ]
        assert sorted(still_open) == sorted([ids[3], ids[1]])
    finally:
        await client.close()


async def every_page_of(mediation: MediationStack, platform: str, limit: int) -> list[str]:
    url = f"{mediation.url}/platforms/{platform}/cases"
    async with httpx.AsyncClient(timeout=30, headers=SUPERVISOR) as http:
        return [c["case_id"] for c in await every_page(http, url, {"limit": str(limit)})]
