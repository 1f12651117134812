"""The document store: one database per service, reached through PyMongo's async client.

Only what both MongoDB and FerretDB support is used: single-document atomic updates, unique
indexes, no multi-document transactions, no change streams, no $lookup.
"""

from collections.abc import Sequence
from typing import Any

from pymongo import AsyncMongoClient, UpdateOne
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import (
    AutoReconnect,
    ConnectionFailure,
    NetworkTimeout,
    OperationFailure,
    ServerSelectionTimeoutError,
)

from concord_shared.settings import ServiceSettings

Document = dict[str, Any]

# Errors that say "the store is not there right now", as opposed to "this write is wrong".
TRANSIENT_STORE_ERRORS = (
    AutoReconnect,
    ConnectionFailure,
    NetworkTimeout,
    ServerSelectionTimeoutError,
)


def is_store_busy(exc: Exception) -> bool:
    """FerretDB on SQLite answers a write that found the database locked by another writer
    with an internal error: a reason to try again, never to give a message up."""
    return isinstance(exc, OperationFailure) and "SQLITE_BUSY" in str(exc)


def connect(settings: ServiceSettings, service: str) -> AsyncDatabase[Document]:
    client: AsyncMongoClient[Document] = AsyncMongoClient(
        settings.mongo_url,
        serverSelectionTimeoutMS=5000,
        connectTimeoutMS=3000,
        appname=f"concord-{service}",
        tz_aware=True,
    )
    return client[settings.database_name(service)]


async def ping(db: AsyncDatabase[Document]) -> bool:
    try:
        await db.command("ping")
    except TRANSIENT_STORE_ERRORS:
        return False
    return True


# FerretDB 1.24 holds one SQLite connection per statement of an update command until the
# command ends, from a pool of 100: bulks of 100 statements or more in flight at once
# deadlock it. Every bulk of updates goes through here, in chunks small enough that the
# few a service runs at once (a consumer lane's, the outbox relay's) stay well below that.
BULK_CHUNK = 20


async def bulk_update(collection: AsyncCollection[Document], ops: Sequence[UpdateOne]) -> int:
    """Apply the updates in chunks; returns how many matched a document."""
    matched = 0
    for start in range(0, len(ops), BULK_CHUNK):
        result = await collection.bulk_write(list(ops[start : start + BULK_CHUNK]), ordered=False)
        matched += result.matched_count
    return matched
