"""Routing's department inboxes from `_id`-keyed index documents on the real store
(adapters/inbox_index.py): a store written before the index is indexed once at start, a
request made months ago is still in `state=all`, and a case the open set still names after
its request closed (a write whose index step was lost) is not shown and is let go."""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from concord_routing.adapters.inbox_index import INBOX_INDEX
from concord_routing.adapters.repository import ROUTES, RouteRepository
from pymongo.asynchronous.database import AsyncDatabase

pytestmark = pytest.mark.real
NOW = datetime.now(UTC).replace(microsecond=0)


def request(department: str, state: str, days_ago: int) -> dict[str, Any]:
    return {
        "department": department,
        "request_id": uuid.uuid4().hex,
        "role": "lead",
        "category": "land_dispute",
        "summary": "测试案件",
        "requested_at": NOW - timedelta(days=days_ago),
        "answer_due": None,
        "state": state,
    }


def route(*requests: dict[str, Any]) -> dict[str, Any]:
    return {"_id": str(uuid.uuid4()), "current": {"platform": "339901001"}, "requests": requests}


async def test_an_old_store_is_indexed_once_and_stale_open_cases_are_let_go(
    db: AsyncDatabase[dict[str, object]],
) -> None:
    old = route(request("land", "answered", 100), request("agriculture", "requested", 100))
    accepted = route(request("land", "accepted", 3))
    fresh = route(request("land", "requested", 1))
    await db[ROUTES].insert_many([old, accepted, fresh])  # as written before the index

    repo = RouteRepository(db)
    await repo.ensure_indexes()
    assert await db[INBOX_INDEX].find_one({"_id": "backfill"}) is not None
    open_land = await repo.inbox("land", open_only=True)
    assert [i.case_id for i in open_land] == [fresh["_id"], accepted["_id"]]
    all_land = await repo.inbox("land", open_only=False)
    assert [(i.case_id, i.state) for i in all_land] == [
        (fresh["_id"], "requested"),
        (accepted["_id"], "accepted"),
        (old["_id"], "answered"),  # more than three months ago
    ]
    assert [i.case_id for i in await repo.inbox("agriculture", open_only=True)] == [old["_id"]]

    # The accepted request is answered by a write whose index step never happened.
    answered = [{**accepted["requests"][0], "state": "answered"}]
    await db[ROUTES].update_one({"_id": accepted["_id"]}, {"$set": {"requests": answered}})
    assert [i.case_id for i in await repo.inbox("land", open_only=True)] == [fresh["_id"]]
    index = await db[INBOX_INDEX].find_one({"_id": "open:land"})
    assert index is not None and index["members"] == [fresh["_id"]]
    states = {i.case_id: i.state for i in await repo.inbox("land", open_only=False)}
    assert states[accepted["_id"]] == "answered"
