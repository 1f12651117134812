"""The index documents of concord_shared.keyed_sets on the real store: sets keyed by what is
looked up, and what falls due, bucketed by hour."""

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import cast

import pytest
from concord_shared.keyed_sets import DueBuckets, KeyedRows, KeyedSets, Tallies, documents
from pymongo.asynchronous.database import AsyncDatabase

pytestmark = pytest.mark.real
NOW = datetime(2026, 12, 2, 7, 40, tzinfo=UTC)


async def test_keyed_sets_hold_each_member_once_and_let_it_go(
    db: AsyncDatabase[dict[str, object]],
) -> None:
    open_cases = KeyedSets(db["open_cases"])
    await open_cases.add("339901001001", "a", "b")
    await open_cases.add("339901001001", "b", "c")
    await open_cases.add("339901001002", "d")
    await open_cases.remove("339901001001", "a")
    assert sorted(await open_cases.members("339901001001")) == ["b", "c"]
    assert await open_cases.members("nowhere") == []
    both = await open_cases.members_of(["339901001002", "339901001001"])
    assert both["339901001002"] == ["d"] and sorted(both["339901001001"]) == ["b", "c"]

    await db["cases"].insert_many([{"_id": i, "n": n} for n, i in enumerate("abc")])
    assert [d["_id"] for d in await documents(db["cases"], ["c", "zz", "a"])] == ["c", "a"]


async def test_sharded_sets_spread_a_key_and_still_find_an_unsharded_document(
    db: AsyncDatabase[dict[str, object]],
) -> None:
    # A key written before its set was sharded: one document under the bare key.
    await KeyedSets(db["lists"]).add("open:339901001", "old-1", "old-2")
    lists = KeyedSets(db["lists"], shards=4)
    members = [f"case-{n}" for n in range(40)]
    await lists.add("open:339901001", *members)
    assert sorted(await lists.members("open:339901001")) == sorted([*members, "old-1", "old-2"])
    # Spread over the shard documents, none holding the whole set.
    sizes = {
        str(d["_id"]): len(d["members"])  # type: ignore[arg-type]
        async for d in db["lists"].find({})
    }
    shards = {k: v for k, v in sizes.items() if "#" in k}
    assert len(shards) == 4 and max(shards.values()) < len(members)
    assert sizes["open:339901001"] == 2  # the old document is not rewritten
    # Removal reaches a member wherever it is, old document included.
    await lists.remove("open:339901001", "case-3", "old-1")
    left = await lists.members("open:339901001")
    assert "case-3" not in left and "old-1" not in left and "old-2" in left
    assert len(left) == len(members)
    both = await lists.members_of(["open:339901001", "open:nowhere"])
    assert both["open:nowhere"] == [] and sorted(both["open:339901001"]) == sorted(left)


async def test_sets_sharded_by_prefix_spread_those_keys_and_add_many_at_once(
    db: AsyncDatabase[dict[str, object]],
) -> None:
    # A day's entries from a store from before: one document under the bare key.
    await KeyedSets(db["index"]).add("received:2026-12-01", "old")
    sets = KeyedSets(db["index"], shards=4, only=("received:",))
    day = [f"entry-{n}" for n in range(40)]
    await sets.add_many(
        [
            *(("received:2026-12-01", m) for m in day),
            ("received:2026-12-01", "entry-0"),  # twice in one call: held once
            ("days", "2026-12-01"),
            ("days", "2026-12-02"),
        ]
    )
    found = await sets.members_of(["received:2026-12-01", "days"])
    assert sorted(found["received:2026-12-01"]) == sorted([*day, "old"])
    assert sorted(found["days"]) == ["2026-12-01", "2026-12-02"]
    sizes = {
        str(d["_id"]): len(d["members"])  # type: ignore[arg-type]
        async for d in db["index"].find({})
    }
    # The prefixed key over its shards, none holding the day; the other key one document.
    spread = {k: n for k, n in sizes.items() if k.startswith("received:2026-12-01#")}
    assert len(spread) == 4 and sum(spread.values()) == len(day) and max(spread.values()) < 40
    assert sizes["days"] == 2 and not any(k.startswith("days#") for k in sizes)
    await sets.remove("received:2026-12-01", "entry-7", "old")
    left = await sets.members("received:2026-12-01")
    assert "entry-7" not in left and "old" not in left and len(left) == len(day) - 1
    await sets.add_many([])  # nothing to add: nothing written


async def test_keyed_rows_keep_each_members_highest_version_whoever_writes_last(
    db: AsyncDatabase[dict[str, object]],
) -> None:
    rows = KeyedRows(db["rows"], shards=4)
    assert await rows.set("rows:2026-12-02", "a.1", "a at 2", 2)
    assert not await rows.set("rows:2026-12-02", "a.1", "a at 1", 1)  # older: kept as is
    assert not await rows.set("rows:2026-12-02", "a.1", "a at 2 again", 2)  # a retry
    # Many at once, beside one-by-one writers of the same documents: each member ends at
    # its highest version, whichever writer came last.
    members = [f"case-{n}" for n in range(60)]
    await asyncio.gather(
        rows.set_many(("rows:2026-12-02", m, f"{m} at 1", 1) for m in members),
        *(rows.set("rows:2026-12-02", m, f"{m} at 3", 3) for m in members[::3]),
        rows.set_many([("rows:2026-12-02", "a.1", "a at 5", 5), ("rows:2026-12-03", "z", "z", 0)]),
    )
    await rows.set_many(("rows:2026-12-02", m, f"{m} at 2", 2) for m in members)
    got = await rows.rows_of("rows:2026-12-02", [*members, "a.1", "z", "nobody"])
    assert got == {
        "a.1": "a at 5",
        **{m: f"{m} at {3 if n % 3 == 0 else 2}" for n, m in enumerate(members)},
    }
    assert await rows.rows_of("rows:2026-12-03", ["z"]) == {"z": "z"}
    # Spread over the key's shards, nothing kept whole in one document.
    assert await db["rows"].count_documents({"_id": {"$regex": "^rows:2026-12-02#"}}) == 4

    # Many writers at once into documents nobody has made yet: each finds its row kept, even
    # the one whose insert lost to another's (the store looks, then inserts).
    burst = [f"burst-{n}" for n in range(40)]
    done = await asyncio.gather(*(rows.set("rows:2026-12-04", m, m, 1) for m in burst))
    assert all(done)
    assert await rows.rows_of("rows:2026-12-04", burst) == {m: m for m in burst}


async def test_due_buckets_give_what_is_due_oldest_first_and_drop_spent_hours(
    db: AsyncDatabase[dict[str, object]],
) -> None:
    due = DueBuckets(db["timers"])
    three_hours_ago = NOW - timedelta(hours=3)
    await due.add("late", three_hours_ago)
    await due.add("now", NOW - timedelta(minutes=1))
    await due.add("soon", NOW + timedelta(minutes=10))
    await due.add("tomorrow", NOW + timedelta(days=1))
    assert await due.due(NOW) == [
        ("late", three_hours_ago),
        ("now", NOW - timedelta(minutes=1)),
    ]
    # Done with the late one: its hour is spent and empty, so it goes, and from the list.
    await due.remove("late", three_hours_ago)
    assert [m for m, _ in await due.due(NOW)] == ["now"]
    buckets = {str(d["_id"]).partition("#")[0] async for d in db["timers"].find({})}
    assert "2026-12-02T04" not in buckets and "2026-12-02T07" in buckets
    hours = cast(list[str], (await db["timers"].find_one({"_id": "cursor"}) or {})["hours"])
    assert "2026-12-02T04" not in hours and "2026-12-02T07" in hours
    # Something added in the past later is still found: its hour is listed again.
    await due.add("forgotten", NOW - timedelta(hours=5))
    assert [m for m, _ in await due.due(NOW)] == ["forgotten", "now"]
    later = NOW + timedelta(minutes=15)
    assert [m for m, _ in await due.due(later)] == ["forgotten", "now", "soon"]


async def test_due_buckets_read_only_the_hours_listed_after_a_jump_of_months(
    db: AsyncDatabase[dict[str, object]],
) -> None:
    due = DueBuckets(db["jump_timers"])
    in_two_months = NOW + timedelta(days=60)
    await due.add("later", in_two_months)
    assert await due.due(NOW) == []
    # Three months on (a test's clock, or a watcher stopped that long): found at once, and
    # the cursor lists only the hours that held something, not the two thousand between.
    assert await due.due(NOW + timedelta(days=90)) == [("later", in_two_months)]
    cursor = await db["jump_timers"].find_one({"_id": "cursor"}) or {}
    assert cursor["hours"] == [in_two_months.strftime("%Y-%m-%dT%H")]
    await due.remove("later", in_two_months)
    assert await due.due(NOW + timedelta(days=90)) == []
    assert (await db["jump_timers"].find_one({"_id": "cursor"}) or {})["hours"] == []


async def test_due_buckets_spread_a_burst_of_one_hour_over_small_documents(
    db: AsyncDatabase[dict[str, object]],
) -> None:
    due = DueBuckets(db["burst_timers"], shards=8)
    await due.add_many((f"case-{n}", NOW - timedelta(minutes=n % 30)) for n in range(400))
    assert len(await due.due(NOW)) == 400
    sizes = [len(cast(list[str], d.get("members", []))) async for d in db["burst_timers"].find({})]
    assert sum(sizes) == 400 and max(sizes) < 100  # no one document holds the burst


async def test_tallies_sum_counts_set_once_per_member_however_often_and_after_changes(
    db: AsyncDatabase[dict[str, object]],
) -> None:
    kinds: dict[str, Sequence[str]] = {
        "rating": ("cases", "resolved", "satisfied"),
        "area": ("total", "repeat"),
    }
    tallies = Tallies(db["counters"], kinds, shards=4)
    book = "2026-11"
    for n in range(50):
        await tallies.set(
            book,
            f"case-{n}",
            {
                f"rating:v{n % 2}": {"cases": 1, "resolved": n % 2},
                "area:3399": {"total": 1, "repeat": int(n < 5)},
            },
        )
    # Set again (a redelivered event, a retried write): counted once.
    await tallies.set(
        book, "case-1", {"rating:v1": {"cases": 1, "resolved": 1}, "area:3399": {"total": 1}}
    )
    first = await tallies.totals(book)
    assert first == {
        "rating:v0": {"cases": 25, "resolved": 0, "satisfied": 0},
        "rating:v1": {"cases": 25, "resolved": 25, "satisfied": 0},
        "area:3399": {"total": 50, "repeat": 4},
    }
    assert await tallies.totals("2026-10") == {}
    # A member's counts change after the sums were kept: the next read has the change.
    await tallies.set(
        book,
        "case-0",
        {"rating:v0": {"cases": 1, "resolved": 1, "satisfied": 1}, "area:3399": {"total": 1}},
    )
    again = await tallies.totals(book)
    assert again["rating:v0"] == {"cases": 25, "resolved": 1, "satisfied": 1}
    assert again["area:3399"] == {"total": 50, "repeat": 3}
    # The sums are kept per shard: read once more, nothing is recomputed and all agree.
    head = await db["counters"].find_one({"_id": book}) or {}
    for shard, version in cast(dict[str, int], head["v"]).items():
        sums = await db["counters"].find_one({"_id": f"{book}#{shard}:sums"}) or {}
        assert sums["v"] == version
    assert await tallies.totals(book) == again
    # The book's totals are kept whole at every shard's version, and trusted only there:
    # a member set after them changes what the next read answers.
    kept = await db["counters"].find_one({"_id": f"{book}:totals"}) or {}
    assert kept["v"] == head["v"]
    await tallies.set(book, "case-50", {"area:3399": {"total": 1, "repeat": 1}})
    changed = await tallies.totals(book)
    assert changed["area:3399"] == {"total": 51, "repeat": 4}
    assert changed["rating:v0"] == again["rating:v0"]
    with pytest.raises(ValueError, match="0 or 1"):
        await tallies.set(book, "case-x", {"rating:v0": {"cases": 2}})


async def test_tallies_set_many_members_at_once_as_if_set_one_by_one(
    db: AsyncDatabase[dict[str, object]],
) -> None:
    kinds: dict[str, Sequence[str]] = {"rating": ("cases", "resolved")}
    one_by_one = Tallies(db["single"], kinds, shards=4)
    at_once = Tallies(db["bulk"], kinds, shards=4)
    members = {
        f"case-{n}": {f"rating:v{n % 3}": {"cases": 1, "resolved": n % 2}} for n in range(40)
    }
    for member, counts in members.items():
        await one_by_one.set("2026-11", member, counts)
    await at_once.set_many("2026-11", members)
    await at_once.set_many("2026-11", {})  # nothing to set: nothing written
    assert await at_once.totals("2026-11") == await one_by_one.totals("2026-11")
    assert (await at_once.totals("2026-11"))["rating:v0"] == {"cases": 14, "resolved": 7}
    # Set again with a change: replaced, not added.
    await at_once.set_many("2026-11", {"case-0": {"rating:v0": {"cases": 1, "resolved": 1}}})
    assert (await at_once.totals("2026-11"))["rating:v0"] == {"cases": 14, "resolved": 8}
