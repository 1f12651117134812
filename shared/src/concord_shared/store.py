"""The document store: one database per service, reached through PyMongo's async client.

Only what both MongoDB and FerretDB support is used: single-document atomic updates, unique
indexes, no multi-document transactions, no change streams, no $lookup.
"""

import json
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pymongo import AsyncMongoClient, UpdateOne, monitoring
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


def _filters(name: str, command: Mapping[str, Any]) -> list[Any] | None:
    """The filters of a command that reads or selects documents (None: it selects none)."""
    if name == "find":
        return [command.get("filter") or {}]
    if name in ("count", "distinct", "findAndModify"):
        return [command.get("query") or {}]
    if name in ("update", "delete"):
        return [op.get("q") or {} for op in command.get(f"{name}s", [])]
    if name == "aggregate":
        first = (command.get("pipeline") or [{}])[0]
        return [first.get("$match", {})]
    return None


def filter_shape(value: Any) -> Any:
    """A filter with every value replaced by one of its type: what decides whether the store
    can use an index, without the values (a party reference, a receipt number)."""
    if isinstance(value, dict):
        return {k: filter_shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [filter_shape(v) for v in value[:1]]
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float):
        return 0
    return "x" if isinstance(value, str) else str(type(value).__name__)


class StoreCommandLog(monitoring.CommandListener):
    """Appends the shape of every filtering command a process sends to a file, one JSON line
    each ({"collection", "command", "filter"}): how tests and the benchmark find the queries
    that make the store read a whole collection. Off unless STORE_COMMAND_LOG is set."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._lock = threading.Lock()

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        filters = _filters(event.command_name, event.command)
        if filters is None:
            return
        collection = event.command.get(event.command_name)
        lines = [
            json.dumps(
                {
                    "database": event.database_name,
                    "collection": collection,
                    "command": event.command_name,
                    "filter": filter_shape(f),
                },
                default=str,
            )
            for f in filters
        ]
        with self._lock, self._path.open("a", encoding="utf-8") as handle:
            handle.write("".join(line + "\n" for line in lines))

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


def connect(settings: ServiceSettings, service: str) -> AsyncDatabase[Document]:
    listeners = [StoreCommandLog(settings.store_command_log)] if settings.store_command_log else []
    client: AsyncMongoClient[Document] = AsyncMongoClient(
        settings.mongo_url,
        serverSelectionTimeoutMS=5000,
        connectTimeoutMS=3000,
        appname=f"concord-{service}",
        tz_aware=True,
        event_listeners=listeners,
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
