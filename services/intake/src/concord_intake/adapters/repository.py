"""Intake's store: cases with their personal data and their outbox, in one document each."""

from typing import Any

from concord_shared.outbox import Emit, apply_once
from concord_shared.store import Document
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from concord_intake.domain.cases import CaseRecord

CASES = "cases"


class ReceiptTaken(Exception):
    """Another case already has this receipt number (astronomically rare): draw another."""


class CaseRepository:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._cases = db[CASES]

    async def ensure_indexes(self) -> None:
        await self._cases.create_index("receipt_number", unique=True)

    async def insert(self, record: CaseRecord, emits: list[Emit]) -> bool:
        """Store a new case and its events atomically. False if the case id exists already
        (an idempotent retry): nothing is written."""
        doc: dict[str, Any] = {"_id": record.case_id, **record.model_dump(mode="json")}
        if emits:
            doc["outbox"] = [e.as_entry() for e in emits]
            doc["outbox_pending"] = True
        try:
            await self._cases.insert_one(doc)
        except DuplicateKeyError as exc:
            # FerretDB does not say which index refused the write, so look.
            if await self._cases.find_one({"_id": record.case_id}, {"_id": 1}) is None:
                raise ReceiptTaken from exc
            return False
        return True

    async def get(self, case_id: str) -> CaseRecord | None:
        doc = await self._cases.find_one({"_id": case_id}, {"outbox": 0, "processed": 0})
        return CaseRecord.model_validate(doc) if doc else None

    async def by_receipt(self, receipt_number: str) -> CaseRecord | None:
        doc = await self._cases.find_one(
            {"receipt_number": receipt_number}, {"outbox": 0, "processed": 0}
        )
        return CaseRecord.model_validate(doc) if doc else None

    async def update_public_status(
        self, case_id: str, event_id: str, fields: dict[str, Any]
    ) -> bool:
        return await apply_once(
            self._cases,
            case_id,
            event_id,
            {"$set": {f"public.{k}": v for k, v in fields.items()}},
            upsert=False,
        )
