"""Fixtures of the integration tests beyond the session's four services."""

import uuid
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
import pytest_asyncio
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from tests.support.mediation import mediation, mediation_namespace
from tests.support.sinks import HttpRecorder
from tests.support.stack import MONGO, OPERATOR_KEY, Services

__all__ = ["db", "mediation", "mediation_namespace"]


@pytest_asyncio.fixture
async def db(real_stack: None) -> AsyncIterator[AsyncDatabase[dict[str, object]]]:
    """A database of its own on the real store, dropped after the test."""
    client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(MONGO, tz_aware=True)
    name = f"t{uuid.uuid4().hex[:12]}"
    try:
        yield client[name]
    finally:
        await client.drop_database(name)
        await client.close()


@pytest.fixture
def receiver() -> Iterator[HttpRecorder]:
    """A department's webhook endpoint: records every request, answers 200."""
    recorder = HttpRecorder().start()
    yield recorder
    recorder.stop()


@pytest_asyncio.fixture
async def api(services: Services) -> AsyncIterator[httpx.AsyncClient]:
    """Notification's subscriptions API; every subscription a test makes is removed after it
    (a later test's deliveries would otherwise go to its stopped endpoint)."""
    operator = {"X-API-Key": OPERATOR_KEY}
    async with httpx.AsyncClient(base_url=services["notification"].url, timeout=10) as client:
        yield client
        for department in ("land", "hrss", "justice", "agriculture"):
            subs = await client.get(
                "/subscriptions", params={"department": department}, headers=operator
            )
            for sub in subs.json():
                await client.delete(f"/subscriptions/{sub['id']}", headers=operator)
