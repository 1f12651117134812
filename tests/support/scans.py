"""Which store queries make FerretDB read a whole collection.

The services write the shape of every filtering command they send to a file
(STORE_COMMAND_LOG, see concord_shared.store.StoreCommandLog). For each distinct shape this
asks the store itself -- `explain` -- whether it finds the documents through an index
(FerretDB on SQLite: a "SEARCH ... USING INDEX" step in SQLite's plan; with the patches of
deploy/local/build-ferretdb.sh any filter holding a plain `_id`, or `_id` with `$in`, is one)
or reads the whole collection (a "SCAN" step). A store that gives no SQLite plan (MongoDB) is
judged by its winning plan's COLLSCAN.
"""

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pymongo import AsyncMongoClient


@dataclass(frozen=True)
class QueryShape:
    database: str
    collection: str
    command: str
    filter: str  # JSON of the shape

    @property
    def service(self) -> str:
        return self.database.rsplit("_", 1)[-1]

    def __str__(self) -> str:
        return f"{self.database}.{self.collection} {self.command} {self.filter}"


def query_shapes(logs: list[Path]) -> set[QueryShape]:
    shapes = set()
    for log in logs:
        if not log.exists():
            continue
        for line in log.read_text(encoding="utf-8").splitlines():
            entry = json.loads(line)
            shapes.add(
                QueryShape(
                    entry["database"],
                    str(entry["collection"]),
                    entry["command"],
                    json.dumps(entry["filter"], sort_keys=True),
                )
            )
    return shapes


def reads_everything(plan: dict[str, Any]) -> bool:
    steps = plan.get("queryPlanner", {})
    sqlite = steps.get("Plan") if isinstance(steps, dict) else None
    if isinstance(sqlite, list):
        return any(" detail=SCAN " in f" {step} " for step in sqlite)
    return "COLLSCAN" in str(steps)


async def scanning(
    client: AsyncMongoClient[dict[str, Any]], shapes: set[QueryShape]
) -> list[QueryShape]:
    """The shapes the store answers by reading the whole collection."""
    found = []
    for shape in sorted(shapes, key=str):
        db = client[shape.database]
        if shape.collection not in await db.list_collection_names():
            continue  # dropped since (a test's own database): nothing to ask
        plan = await db.command(
            "explain", {"find": shape.collection, "filter": json.loads(shape.filter)}
        )
        if reads_everything(plan):
            found.append(shape)
    return found
