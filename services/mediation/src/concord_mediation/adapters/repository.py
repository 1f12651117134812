"""Mediation's store: one document per case at its platform, with its deadlines, history and
outbox; mediators' availability.

Every change of a case is one conditional single-document update: on `rev` (optimistic
concurrency, so two instances or two clerks never both win) or on `processed` (a consumed
event applied once). Only `_id` lookups are fast on FerretDB: what is found by anything else
(due timers, a platform's cases, the figures of a month) is kept in index documents
(adapters/indexes.py). The queries on other fields below (`at_platform`,
`open_with_mediators`, `received_between`) are used only until a store's older cases are
indexed (the backfill at the first start), and by the tests that compare both ways.
"""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from concord_shared.keyed_sets import documents
from concord_shared.outbox import Emit, apply_once, inserted_with_outbox, intend, with_outbox
from concord_shared.store import Document
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

CASES = "cases"
MEDIATORS = "mediators"
MEDIATOR_SETS = "mediator_sets"
UNAVAILABLE = "unavailable"
HIDDEN = {"outbox": 0, "processed": 0, "outbox_pending": 0}


class MediationRepository:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._cases = db[CASES]
        self._db = db
        self._mediators = db[MEDIATORS]
        self._mediator_sets = db[MEDIATOR_SETS]

    async def ensure_indexes(self) -> None:
        await self._cases.create_index([("platform", 1), ("status", 1)])
        await self._cases.create_index("next_timer_at", sparse=True)
        await self._cases.create_index("received_at")

    async def open_case(
        self, case_id: str, cause_id: str, case: dict[str, Any], emits: list[Emit]
    ) -> bool:
        """Insert a new case with its events; False if the case exists (nothing written)."""
        doc = {"_id": case_id, **case, "processed": [cause_id]}
        await intend(self._cases, [(case_id, emits)])
        try:
            await self._cases.insert_one(inserted_with_outbox(doc, emits))
        except DuplicateKeyError:
            return False
        return True

    async def apply_event(
        self,
        case_id: str,
        cause_id: str,
        update: dict[str, Any],
        emits: list[Emit] = (),  # type: ignore[assignment]
    ) -> bool:
        """A consumed event's effect on an existing case, once."""
        return await apply_once(self._cases, case_id, cause_id, update, emits, upsert=False)

    async def update(
        self,
        case_id: str,
        rev: int,
        update: dict[str, Any],
        emits: list[Emit],
        cause_id: str | None = None,
    ) -> bool:
        """Apply if nobody changed the case since it was read at `rev`."""
        full = with_outbox(update, emits)
        full.setdefault("$inc", {})["rev"] = 1
        query: dict[str, Any] = {"_id": case_id, "rev": rev}
        if cause_id is not None:
            query["processed"] = {"$ne": cause_id}
            full.setdefault("$push", {})["processed"] = cause_id
        await intend(self._cases, [(case_id, emits)])
        result = await self._cases.update_one(query, full)
        return result.matched_count == 1

    async def get(self, case_id: str) -> dict[str, Any] | None:
        return await self._cases.find_one({"_id": case_id}, HIDDEN)

    async def by_ids(
        self, ids: list[str], fields: Sequence[str] | None = None
    ) -> list[dict[str, Any]]:
        """The cases with these ids (an `$in` on `_id` per hundred), without their outbox
        and processed events, or only these fields: the store sends no more than is read."""
        projection = dict.fromkeys(fields, 1) if fields else HIDDEN
        return await documents(self._cases, ids, projection=projection)

    async def at_platform(self, platform: str, limit: int = 100) -> list[dict[str, Any]]:
        cursor = self._cases.find({"platform": platform}, HIDDEN, limit=limit).sort("opened_at", -1)
        return await cursor.to_list()

    async def open_with_mediators(self, platform: str, statuses: list[str]) -> list[dict[str, Any]]:
        cursor = self._cases.find(
            {"platform": platform, "status": {"$in": statuses}},
            {"mediator": 1, "status": 1, "rev": 1},
        )
        return await cursor.to_list()

    async def received_between(
        self, start: datetime, end: datetime, fields: list[str]
    ) -> list[dict[str, Any]]:
        cursor = self._cases.find(
            {"received_at": {"$gte": start, "$lt": end}}, {f: 1 for f in fields}
        )
        return await cursor.to_list()

    async def unavailable_mediators(self) -> set[str]:
        """Kept as one `_id`-keyed set; a store from before it has one document per
        mediator, read (a handful of documents, the roster) until the set is made."""
        found = await self._mediator_sets.find_one({"_id": UNAVAILABLE})
        if found is None:
            return await self.ensure_mediator_set()
        return {str(m) for m in found.get("members", [])}

    async def ensure_mediator_set(self) -> set[str]:
        """Make the set of unavailable mediators from the per-mediator documents, once."""
        found = await self._mediator_sets.find_one({"_id": UNAVAILABLE})
        if found is not None:
            return {str(m) for m in found.get("members", [])}
        refs: set[str] = set()
        if MEDIATORS in await self._db.list_collection_names():
            docs = await self._mediators.find({"available": False}, {"_id": 1}).to_list()
            refs = {str(d["_id"]) for d in docs}
        await self._mediator_sets.update_one(
            {"_id": UNAVAILABLE}, {"$addToSet": {"members": {"$each": sorted(refs)}}}, upsert=True
        )
        return refs

    async def set_availability(self, ref: str, available: bool) -> None:
        await self.ensure_mediator_set()  # the set exists before it changes
        await self._mediators.update_one(
            {"_id": ref}, {"$set": {"available": available}}, upsert=True
        )
        change = "$pull" if available else "$addToSet"
        await self._mediator_sets.update_one(
            {"_id": UNAVAILABLE}, {change: {"members": ref}}, upsert=True
        )
