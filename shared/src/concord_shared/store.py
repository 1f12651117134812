"""The document store: one database per service, reached through PyMongo's async client.

Only what both MongoDB and FerretDB support is used: single-document atomic updates, unique
indexes, no multi-document transactions, no change streams, no $lookup.
"""

from typing import Any

from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import (
    AutoReconnect,
    ConnectionFailure,
    NetworkTimeout,
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
