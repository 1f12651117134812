"""Fixtures of the integration tests beyond the session's four services."""

import uuid
from collections.abc import AsyncIterator

import pytest_asyncio
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from tests.support.mediation import mediation, mediation_namespace
from tests.support.stack import MONGO

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
