"""The document store makes each single-document update atomic, as MongoDB does: the local
FerretDB is built with a fix for updates that read and write back in separate steps
(deploy/local/build-ferretdb.sh). Every outbox, dedupe and timer claim relies on it."""

import asyncio
import uuid
from typing import cast

import pytest
from pymongo import AsyncMongoClient

from tests.support.stack import MONGO

pytestmark = pytest.mark.real


async def test_concurrent_updates_of_one_document_lose_nothing(real_stack: None) -> None:
    clients: list[AsyncMongoClient[dict[str, object]]] = [AsyncMongoClient(MONGO) for _ in range(2)]
    db_name = f"atomicity_{uuid.uuid4().hex[:8]}"
    try:
        collections = [c[db_name]["docs"] for c in clients]
        await collections[0].insert_one({"_id": "one", "items": [], "count": 0})
        await asyncio.gather(
            *(
                collections[n % 2].update_one(
                    {"_id": "one"}, {"$push": {"items": n}, "$inc": {"count": 1}}
                )
                for n in range(300)
            )
        )
        doc = await collections[0].find_one({"_id": "one"})
        assert doc is not None
        assert doc["count"] == 300
        assert sorted(cast(list[int], doc["items"])) == list(range(300))

        # A conditional update (a claim) succeeds exactly once however many race for it.
        await collections[0].insert_one({"_id": "claim", "claimed_by": None})
        results = await asyncio.gather(
            *(
                collections[n % 2].update_one(
                    {"_id": "claim", "claimed_by": None}, {"$set": {"claimed_by": n}}
                )
                for n in range(50)
            )
        )
        assert sum(r.modified_count for r in results) == 1
    finally:
        await clients[0].drop_database(db_name)
        for c in clients:
            await c.close()
