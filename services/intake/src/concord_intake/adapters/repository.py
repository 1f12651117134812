"""Intake's store: cases with their personal data and their outbox, one document each.

Every lookup on a hot path is by _id, the one the local store (FerretDB on SQLite) answers
without scanning: receipts are their own collection keyed by receipt number, and the
earlier cases of a party or of a matter are kept in small documents keyed by party
reference and by (category, area), and the listings read day documents (listings.py).
"""

import asyncio
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from concord_shared.enums import CaseKind
from concord_shared.keyed_sets import documents
from concord_shared.outbox import Emit, apply_once, inserted_with_outbox, intend
from concord_shared.store import Document, bulk_update
from pymongo import UpdateOne
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError

from concord_intake.adapters.listings import CaseListings
from concord_intake.domain.cases import CaseRecord
from concord_intake.domain.grouping import EarlierCase

CASES = "cases"
FINGERPRINT = "request_fingerprint"
_HIDDEN = {"outbox": 0, "processed": 0, FINGERPRINT: 0}


def matter_key(category: str, area_code: str, moment: datetime) -> str:
    """One document per matter and month, so none grows without bound; collective matters
    look back hours or days, so one or two months are read."""
    return f"{category}|{area_code}|{moment:%Y-%m}"


def months_between(start: datetime, end: datetime) -> list[datetime]:
    months, current = [], start.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    while current <= end:
        months.append(current)
        current = (current + timedelta(days=32)).replace(day=1)
    return months


INDEXED_DESCRIPTION = 300  # characters of the description kept for similarity
MATTER_KEEP = 20  # latest cases kept per matter and month


async def bulk_push(
    collection: AsyncCollection[Document], entries: dict[str, list[dict[str, Any]]]
) -> None:
    """Append entries to documents by _id, one update per document."""
    await bulk_update(
        collection,
        [
            UpdateOne({"_id": key}, {"$push": {"cases": {"$each": values}}}, upsert=True)
            for key, values in entries.items()
        ],
    )


def _duplicates(exc: BulkWriteError) -> set[int]:
    errors = exc.details.get("writeErrors", [])
    if any(e.get("code") != 11000 for e in errors):
        raise exc
    return {e["index"] for e in errors}


class CaseRepository:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._cases = db[CASES]
        self._receipts = db["receipts"]
        self._by_party = db["party_cases"]
        self._by_matter = db["matter_cases"]
        self.listings = CaseListings(db)

    async def ensure_indexes(self) -> None:
        """Index documents for cases stored before they existed (once; see listings.py)."""
        await self.listings.backfill()

    async def claim_receipts(self, records: Sequence[CaseRecord]) -> set[str]:
        """Reserve the receipt numbers; returns the case ids whose number was taken."""
        docs = [
            {"_id": r.receipt_number, "case_id": r.case_id, "code": r.verification_code}
            for r in records
        ]
        if not docs:
            return set()
        try:
            await self._receipts.insert_many(docs, ordered=False)
        except BulkWriteError as exc:
            return {records[i].case_id for i in _duplicates(exc)}
        return set()

    async def insert_many(
        self,
        records: Sequence[tuple[CaseRecord, list[Emit]]],
        fingerprints: Mapping[str, str] | None = None,
    ) -> list[bool]:
        """Store new cases, each with its events in the same document (one atomic write
        each). Per case: True if new; False if the case id existed (an idempotent retry),
        in which case nothing was written and its freshly claimed receipt is released.
        `fingerprints` (by case id) are kept with the case, for telling a retry from a
        different request under the same idempotency key."""
        prints = fingerprints or {}
        docs = [
            inserted_with_outbox(
                {
                    "_id": record.case_id,
                    **record.model_dump(),
                    **({FINGERPRINT: prints[record.case_id]} if record.case_id in prints else {}),
                },
                emits,
            )
            for record, emits in records
        ]
        created = [True] * len(docs)
        if not docs:
            return created
        await intend(self._cases, [(record.case_id, emits) for record, emits in records])
        try:
            await self._cases.insert_many(docs, ordered=False)
        except BulkWriteError as exc:
            existing = _duplicates(exc)
            for i in existing:
                created[i] = False
            if existing:
                await self._receipts.delete_many(
                    {"_id": {"$in": [records[i][0].receipt_number for i in existing]}}
                )
        return created

    async def remember_for_grouping(self, records: Sequence[CaseRecord]) -> None:
        """Index new cases by party and by matter, for later repeat and collective checks."""
        by_party: dict[str, list[dict[str, Any]]] = defaultdict(list)
        by_matter: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for r in records:
            early_warning = r.kind is CaseKind.EARLY_WARNING
            # An early warning is never indexed by person.
            refs = [] if early_warning else [p.ref for p in r.parties]
            entry = {
                "case_id": r.case_id,
                "party_refs": refs,
                "category": r.category,
                "area_code": r.location.area_code or "",
                "description": r.description[:INDEXED_DESCRIPTION],
                "received_at": r.received_at,
                "collective_group": r.collective_group,
                "early_warning": early_warning,
                "situation_group": r.situation_group,
            }
            for ref in set(refs):
                by_party[ref].append(entry)
            key = matter_key(r.category, r.location.area_code or "", r.received_at)
            by_matter[key].append(entry)
        await bulk_push(self._by_party, by_party)
        # A matter's document keeps only its latest entries: enough to see a crowd forming
        # (each entry carries its group), and small enough to stay fast to rewrite.
        kept = {
            d["_id"]: d.get("cases", []) for d in await documents(self._by_matter, list(by_matter))
        }
        await bulk_update(
            self._by_matter,
            [
                UpdateOne(
                    {"_id": key},
                    {"$set": {"cases": (kept.get(key, []) + entries)[-MATTER_KEEP:]}},
                    upsert=True,
                )
                for key, entries in by_matter.items()
            ],
        )

    async def earlier_cases(
        self,
        party_refs: set[str],
        matters: set[tuple[str, str]],
        party_since: datetime,
        matter_since: datetime,
        now: datetime,
    ) -> list[EarlierCase]:
        """Cases of the same parties since `party_since`, and cases on the same (category,
        area) since `matter_since`."""
        months = months_between(matter_since, now)
        by_party, by_matter = await asyncio.gather(
            documents(self._by_party, sorted(party_refs)),
            documents(
                self._by_matter,
                [matter_key(c, a, month) for c, a in sorted(matters) for month in months],
            ),
        )
        docs = [*by_party, *by_matter]
        since = min(party_since, matter_since)
        seen: dict[str, EarlierCase] = {}
        for doc in docs:
            for e in (doc or {}).get("cases", []):
                if e["received_at"] >= since and e["case_id"] not in seen:
                    seen[e["case_id"]] = EarlierCase(
                        case_id=e["case_id"],
                        party_refs=frozenset(e["party_refs"]),
                        category=e["category"],
                        area_code=e["area_code"],
                        description=e["description"],
                        received_at=e["received_at"],
                        collective_group=e.get("collective_group"),
                        early_warning=e.get("early_warning", False),
                        situation_group=e.get("situation_group"),
                    )
        return list(seen.values())

    async def get(self, case_id: str) -> CaseRecord | None:
        doc = await self._cases.find_one({"_id": case_id}, _HIDDEN)
        return CaseRecord.model_validate(doc) if doc else None

    async def fingerprints(self, case_ids: Iterable[str]) -> dict[str, str]:
        """The request fingerprints stored with these cases (where one was)."""
        docs = await asyncio.gather(
            *(self._cases.find_one({"_id": i}, {FINGERPRINT: 1}) for i in case_ids)
        )
        return {d["_id"]: d[FINGERPRINT] for d in docs if d and FINGERPRINT in d}

    async def get_many(self, case_ids: Iterable[str]) -> dict[str, CaseRecord]:
        found = await asyncio.gather(*(self.get(i) for i in case_ids))
        return {r.case_id: r for r in found if r is not None}

    async def by_receipt(self, receipt_number: str) -> CaseRecord | None:
        receipt = await self._receipts.find_one({"_id": receipt_number})
        return await self.get(receipt["case_id"]) if receipt else None

    async def by_receipts(self, receipt_numbers: list[str]) -> list[CaseRecord]:
        found = await asyncio.gather(*(self.by_receipt(n) for n in receipt_numbers))
        return [r for r in found if r is not None]

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

    async def apply_review(self, case_id: str, event_id: str, sets: dict[str, Any]) -> bool:
        """What staff said of a probable repeat, once per event."""
        return await apply_once(self._cases, case_id, event_id, {"$set": sets}, upsert=False)
