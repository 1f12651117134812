"""The departments' inboxes as `_id`-keyed index documents (collection `inbox_index`).

A query on a field of the routes (`open_requests`, `requests.department`) reads the whole
collection on the local store, so a department's inbox reads small documents instead:

- `open:<department>`: the cases with an open request (requested or accepted) to it;
- `all:<department>:<YYYY-MM>`: the cases it was asked about in that month (UTC) -- a case
  asked again later is in both months; the inbox shows each case once, as it is now;
- `months:<department>`: the months that have such a document.

A month's `all:` set is spread over MONTH_SHARDS documents (`all:<department>:<month>#<n>`,
by a hash of the case id), read with the bare document a store from before kept.

Write order (no transaction across documents): a case is added before the write that makes
its request open, and again after it (a concurrent removal, seeing the case as it was, may
have come between); it is removed after the write that closes it, and the case is read again
then to put back one that some later write reopened. Readers check every case against its
document, so an index that says too much costs a lookup, never a wrong line.

Stores from before the index: `backfill` fills it once from the routes (the only read of the
whole collection, at the first start) and marks that done in `{_id: "backfill"}`.
"""

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from concord_shared.keyed_sets import KeyedSets
from concord_shared.store import Document
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from concord_routing.domain.inbox import open_departments

INBOX_INDEX = "inbox_index"
BACKFILL = "backfill"
# A department's month over this many documents: each request rewrites the one it lands in,
# and a month of a busy department is thousands of cases.
MONTH_SHARDS = 8


def _month(moment: datetime | str) -> str:
    at = datetime.fromisoformat(moment) if isinstance(moment, str) else moment
    return at.astimezone(UTC).strftime("%Y-%m")


def _pairs(case_id: str, requests: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """(key, member) of every index document a case with these requests belongs in."""
    pairs = [(f"open:{d}", case_id) for d in open_departments(requests)]
    for r in requests:
        month, department = _month(r["requested_at"]), r["department"]
        pairs += [(f"all:{department}:{month}", case_id), (f"months:{department}", month)]
    return pairs


class InboxIndex:
    def __init__(self, db: AsyncDatabase[Document], routes: str) -> None:
        self._db = db
        self._routes = db[routes]
        self._routes_name = routes
        self._index = db[INBOX_INDEX]
        self._sets = KeyedSets(self._index, shards=MONTH_SHARDS, only=("all:",))

    async def _add(self, pairs: Iterable[tuple[str, str]]) -> None:
        await self._sets.add_many(pairs)

    async def before(self, case_id: str, requests: list[dict[str, Any]]) -> None:
        """Before a write leaving the case with these requests."""
        await self._add(_pairs(case_id, requests))

    async def after(
        self, case_id: str, previous: list[dict[str, Any]], requests: list[dict[str, Any]]
    ) -> None:
        """After a write that took the case from `previous` requests to `requests`."""
        was, now = set(open_departments(previous)), set(open_departments(requests))
        await self._add((f"open:{d}", case_id) for d in sorted(now - was))
        for department in sorted(was - now):
            await self._drop(department, [case_id])

    async def _drop(self, department: str, case_ids: list[str]) -> None:
        """Remove cases from a department's open set, then put back any that a write
        reopened meanwhile."""
        await self._sets.remove(f"open:{department}", *case_ids)
        for case_id in case_ids:
            doc = await self._routes.find_one({"_id": case_id}, {"requests": 1})
            if doc is not None and department in open_departments(doc.get("requests", [])):
                await self._sets.add(f"open:{department}", case_id)

    async def open_cases(self, department: str) -> list[str]:
        return await self._sets.members(f"open:{department}")

    async def all_cases(self, department: str) -> list[str]:
        months = await self._sets.members(f"months:{department}")
        found = await self._sets.members_of(f"all:{department}:{m}" for m in sorted(months))
        return list(dict.fromkeys(c for cases in found.values() for c in cases))

    async def not_open(self, department: str, case_ids: list[str]) -> None:
        """Cases a reader found without an open request to the department."""
        if case_ids:
            await self._drop(department, case_ids)

    async def backfill(self) -> None:
        """Index the routes stored before this index existed, once."""
        if await self._index.find_one({"_id": BACKFILL}) is not None:
            return
        if self._routes_name in await self._db.list_collection_names():
            pairs: list[tuple[str, str]] = []
            async for doc in self._routes.find({}, {"requests": 1}):  # once, at the first start
                pairs += _pairs(str(doc["_id"]), doc.get("requests", []))
                if len(pairs) >= 1000:
                    await self._add(pairs)
                    pairs = []
            await self._add(pairs)
        try:
            await self._index.insert_one({"_id": BACKFILL, "done_at": datetime.now(UTC)})
        except DuplicateKeyError:
            pass  # another instance finished it too
