"""Intake's store: cases with their personal data and their outbox, in one document each."""

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from concord_shared.outbox import Emit, apply_once
from concord_shared.store import Document
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError

from concord_intake.domain.cases import CaseRecord
from concord_intake.domain.grouping import EarlierCase

CASES = "cases"
_HIDDEN = {"outbox": 0, "processed": 0}


def _record(doc: dict[str, Any]) -> CaseRecord:
    return CaseRecord.model_validate(doc)


class CaseRepository:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._cases = db[CASES]

    async def ensure_indexes(self) -> None:
        await self._cases.create_index("receipt_number", unique=True)
        await self._cases.create_index("parties.ref")
        await self._cases.create_index([("category", 1), ("location.area_code", 1)])
        await self._cases.create_index("received_at")
        await self._cases.create_index("public.updated_at")

    async def insert_many(self, records: Sequence[tuple[CaseRecord, list[Emit]]]) -> list[bool]:
        """Store new cases, each with its events in the same document (one atomic write
        each). Returns per case whether it was new; False means the case id existed
        already (an idempotent retry) and nothing was written for it."""
        docs = []
        for record, emits in records:
            doc: dict[str, Any] = {"_id": record.case_id, **record.model_dump()}
            if emits:
                doc["outbox"] = [e.as_entry() for e in emits]
                doc["outbox_pending"] = True
            docs.append(doc)
        created = [True] * len(docs)
        if not docs:
            return created
        try:
            await self._cases.insert_many(docs, ordered=False)
        except BulkWriteError as exc:
            failed = {e["index"] for e in exc.details.get("writeErrors", [])}
            others = [e for e in exc.details.get("writeErrors", []) if e.get("code") != 11000]
            if others:
                raise
            existing = await self.existing_ids(docs[i]["_id"] for i in failed)
            for i in failed:
                if docs[i]["_id"] not in existing:
                    # Not the case id: the receipt number collided. Let the caller redraw.
                    raise ReceiptTaken(docs[i]["_id"]) from exc
                created[i] = False
        return created

    async def existing_ids(self, ids: Iterable[str]) -> set[str]:
        cursor = self._cases.find({"_id": {"$in": list(ids)}}, {"_id": 1})
        return {str(d["_id"]) async for d in cursor}

    async def get(self, case_id: str) -> CaseRecord | None:
        doc = await self._cases.find_one({"_id": case_id}, _HIDDEN)
        return _record(doc) if doc else None

    async def get_many(self, case_ids: Iterable[str]) -> dict[str, CaseRecord]:
        cursor = self._cases.find({"_id": {"$in": list(case_ids)}}, _HIDDEN)
        return {str(d["_id"]): _record(d) async for d in cursor}

    async def by_receipt(self, receipt_number: str) -> CaseRecord | None:
        doc = await self._cases.find_one({"receipt_number": receipt_number}, _HIDDEN)
        return _record(doc) if doc else None

    async def by_receipts(self, receipt_numbers: list[str]) -> list[CaseRecord]:
        cursor = self._cases.find({"receipt_number": {"$in": receipt_numbers}}, _HIDDEN)
        return [_record(d) async for d in cursor]

    async def earlier_cases(
        self,
        party_refs: set[str],
        matters: set[tuple[str, str]],
        since: datetime,
    ) -> list[EarlierCase]:
        """Cases since `since` that share a party or a (category, area) with the new ones."""
        alternatives: list[dict[str, Any]] = [{"parties.ref": {"$in": sorted(party_refs)}}]
        alternatives += [{"category": c, "location.area_code": a} for c, a in sorted(matters)]
        cursor = self._cases.find(
            {"received_at": {"$gte": since}, "$or": alternatives},
            {
                "parties.ref": 1,
                "category": 1,
                "location.area_code": 1,
                "description": 1,
                "received_at": 1,
                "collective_group": 1,
            },
        )
        return [
            EarlierCase(
                case_id=str(d["_id"]),
                party_refs=frozenset(p["ref"] for p in d.get("parties", [])),
                category=d["category"],
                area_code=d.get("location", {}).get("area_code") or "",
                description=d["description"],
                received_at=d["received_at"],
                collective_group=d.get("collective_group"),
            )
            async for d in cursor
        ]

    async def search(
        self, query: dict[str, Any], limit: int, sort: str = "received_at"
    ) -> list[CaseRecord]:
        cursor = self._cases.find(query, _HIDDEN, limit=limit).sort(sort, -1)
        return [_record(d) async for d in cursor]

    async def updated_between(self, start: datetime, end: datetime) -> list[dict[str, Any]]:
        cursor = self._cases.find(
            {"public.updated_at": {"$gte": start, "$lte": end}},
            {"receipt_number": 1, "public_updates": 1, "kind": 1},
        )
        return await cursor.to_list()

    async def update_public_status(
        self, case_id: str, event_id: str, fields: dict[str, Any], note: str
    ) -> bool:
        update = {
            "update_id": event_id,
            "status": fields.get("status"),
            "at": fields["updated_at"],
            "description": note,
        }
        return await apply_once(
            self._cases,
            case_id,
            event_id,
            {
                "$set": {f"public.{k}": v for k, v in fields.items()},
                "$push": {"public_updates": update},
            },
            upsert=False,
        )


class ReceiptTaken(Exception):
    """Another case already has this receipt number (astronomically rare): draw another."""
