"""Per-case locks on the real store. FerretDB 1.24 applies an update as a read and a later
write of the whole document, so concurrent read-change-write cycles lose updates; under the
case lock, held by two "instances" at once, none is lost."""

import asyncio
from typing import cast

import pytest
from concord_mediation.adapters.locks import CaseLocks
from pymongo.asynchronous.database import AsyncDatabase

pytestmark = pytest.mark.real


async def test_two_instances_never_hold_one_case_at_once(
    db: AsyncDatabase[dict[str, object]],
) -> None:
    first, second = CaseLocks(db), CaseLocks(db)  # as two processes would
    await db.cases.insert_one({"_id": "case-1", "history": []})
    inside = 0
    overlaps = 0

    async def step(locks: CaseLocks, n: int) -> None:
        nonlocal inside, overlaps
        async with locks.hold("case-1"):
            inside += 1
            overlaps += inside > 1
            doc = await db.cases.find_one({"_id": "case-1"})
            assert doc is not None
            await asyncio.sleep(0.001)
            # Read, change, write back the whole list: what FerretDB does inside any update.
            await db.cases.update_one(
                {"_id": "case-1"}, {"$set": {"history": [*cast(list[int], doc["history"]), n]}}
            )
            inside -= 1

    await asyncio.gather(*(step(first if n % 2 else second, n) for n in range(40)))
    doc = await db.cases.find_one({"_id": "case-1"})
    assert doc is not None
    assert sorted(cast(list[int], doc["history"])) == list(range(40))  # nothing lost
    assert overlaps == 0
    assert await db.case_locks.count_documents({}) == 0  # every lock released

    # A process that died holding a lock: its lease runs out and the lock is taken over.
    await db.case_locks.insert_one({"_id": "case-2", "token": "dead", "until": 0.0})
    async with first.hold("case-2"):
        held = await db.case_locks.find_one({"_id": "case-2"})
        assert held is not None and held["token"] != "dead"
