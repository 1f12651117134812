"""Years of closed cases in a level's stores, written fast: copies of a template.

Filling through the pipeline runs at about 20 cases a second, so 100,000 cases would take
hours, and every case would be received today. Instead a template of cases is filled and
finished through the real services; then, with the services stopped, each of the template's
closed cases is copied into every service's store many times, each copy moved back in time
by a whole number of days (spread over `years`) and given new ids: case, event and message
ids, party references and receipt numbers. A copy is the template's documents with those
strings replaced, so it is what the services themselves wrote, only older.

The index documents that derive from the cases (intake's listings, routing's department
inboxes, mediation's lists, timers and counters) are dropped, so that at the next start each
service's own backfill builds them from everything stored, as it does for a store from
before its indexes. Documents that are themselves kept per case or per party (receipts,
repeat-detection entries, a case's deliveries) are copied with the case; those kept per
matter and month are merged. The template's open cases are not copied: a case from years
ago with its deadlines long past would set off a storm of breaches no real store has.
"""

import hashlib
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from bson import json_util
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

Doc = dict[str, Any]
BATCH = 1000

# Every string a copy must not share with its template, and every date to move.
_STRINGS = re.compile(
    r"(?P<uuid>[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})"
    r"|(?P<party>p-[0-9a-f]{24})"
    r"|(?P<receipt>QH\d{8}[0-9A-Z]{6})"
    r"|(?<![\d-])(?P<day>\d{4}-\d{2}-\d{2})"
    r"|(?<![\d-])(?P<month>\d{4}-\d{2})(?![\d-])"
)
_JSON = json_util.RELAXED_JSON_OPTIONS.with_options(tz_aware=True, tzinfo=UTC)
_RECEIPT_CHARS = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"

# Per service: the collections copied with each closed case (how a document names its case),
# and the index collections its backfill builds again.
PER_CASE_ID = "_id"
COPIED: dict[str, dict[str, str]] = {
    "intake": {"cases": PER_CASE_ID, "receipts": "case_id"},
    "routing": {"routes": PER_CASE_ID},
    "mediation": {"cases": PER_CASE_ID},
    "notification": {"case_deliveries": PER_CASE_ID, "deliveries": "case_id"},
}
# Documents listing several cases under `cases` (a party's, a matter's in a month): their
# entries of closed cases are copied, and documents of the same key merged.
LISTED: dict[str, tuple[str, ...]] = {"intake": ("party_cases", "matter_cases")}
REBUILT: dict[str, tuple[str, ...]] = {
    "intake": ("listing_index",),
    "routing": ("inbox_index",),
    "mediation": ("case_lists", "case_timers", "case_counters", "index_state"),
}
# Where each service marks its backfill done, to wait for.
BACKFILLED: dict[str, tuple[str, Doc]] = {
    "intake": ("listing_index", {"_id": "backfill"}),
    "routing": ("inbox_index", {"_id": "backfill"}),
    "mediation": ("index_state", {"_id": "backfill", "done_at": {"$exists": True}}),
}


@dataclass(frozen=True)
class Copy:
    """One copy of the template: `days` back, its own ids."""

    number: int
    days: int
    today: date

    def _hash(self, text: str) -> bytes:
        return hashlib.blake2b(f"{self.number}:{text}".encode(), digest_size=16).digest()

    def _day(self, text: str) -> str:
        return (date.fromisoformat(text) - timedelta(days=self.days)).isoformat()

    def _month(self, text: str) -> str:
        year, month = (int(p) for p in text.split("-"))
        # The template happened today: a month in it is today's (or a deadline's).
        day = self.today.day if (year, month) == (self.today.year, self.today.month) else 15
        return (date(year, month, min(day, 28)) - timedelta(days=self.days)).strftime("%Y-%m")

    def _replace(self, match: re.Match[str]) -> str:
        text = match.group(0)
        kind = match.lastgroup
        if kind == "uuid":
            return str(uuid.UUID(bytes=self._hash(text), version=4))
        if kind == "party":
            return "p-" + self._hash(text).hex()[:24]
        if kind == "receipt":
            day = self._day(f"{text[2:6]}-{text[6:8]}-{text[8:10]}").replace("-", "")
            tail = "".join(_RECEIPT_CHARS[b % len(_RECEIPT_CHARS)] for b in self._hash(text)[:6])
            return f"QH{day}{tail}"
        if kind == "day":
            return self._day(text)
        return self._month(text)

    def of(self, template: str) -> Doc:
        """A document of this copy from its template, written as extended JSON."""
        doc: Doc = json_util.loads(_STRINGS.sub(self._replace, template), json_options=_JSON)
        return doc


def copies(count: int, years: float, today: date) -> Iterator[Copy]:
    """`count` copies spread evenly over the last `years`, the newest a day back."""
    span = max(int(years * 365), count)
    for n in range(1, count + 1):
        yield Copy(n, max(1, round(n * span / count)), today)


def _extended(doc: Doc) -> str:
    return json_util.dumps(doc, json_options=_JSON)


async def _template(db: AsyncDatabase[Doc], name: str, field: str, closed: set[str]) -> list[str]:
    docs = [d async for d in db[name].find({})]
    return [_extended(d) for d in docs if str(d.get(field)) in closed]


async def _insert(db: AsyncDatabase[Doc], name: str, docs: Iterator[Doc]) -> int:
    written = 0
    batch: list[Doc] = []
    for doc in docs:
        batch.append(doc)
        if len(batch) >= BATCH:
            await db[name].insert_many(batch, ordered=False)
            written += len(batch)
            batch = []
    if batch:
        await db[name].insert_many(batch, ordered=False)
        written += len(batch)
    return written


async def clone_history(
    mongo: str,
    namespace: str,
    count: int,
    years: float,
    progress: Callable[[int], None] = lambda n: None,
) -> int:
    """Copies of the namespace's closed cases until the stores hold `count` more cases;
    returns how many were written. The services must be stopped."""
    client: AsyncMongoClient[Doc] = AsyncMongoClient(mongo, tz_aware=True)
    try:
        dbs = {name: client[f"{namespace}_{name}"] for name in COPIED}
        closed = {
            str(d["_id"])
            async for d in dbs["mediation"]["cases"].find({"status": "closed"}, {"_id": 1})
        }
        if not closed:
            raise RuntimeError("the template has no closed case to copy")
        templates = {
            (service, name): await _template(dbs[service], name, field, closed)
            for service, collections in COPIED.items()
            for name, field in collections.items()
        }
        listed = {
            (service, name): [
                _extended({**d, "cases": [e for e in d["cases"] if e["case_id"] in closed]})
                async for d in dbs[service][name].find({})
                if any(e["case_id"] in closed for e in d.get("cases", []))
            ]
            for service, names in LISTED.items()
            for name in names
        }
        wanted = -(-count // len(closed))  # copies, rounded up
        today = datetime.now(UTC).date()
        made = 0
        merged: dict[tuple[str, str], dict[Any, Doc]] = {key: {} for key in listed}
        plan = list(copies(wanted, years, today))
        for start in range(0, len(plan), 10):
            group = plan[start : start + 10]
            for (service, name), docs in templates.items():
                await _insert(dbs[service], name, (c.of(t) for c in group for t in docs))
            for key, docs in listed.items():
                for doc in (c.of(t) for c in group for t in docs):
                    kept = merged[key].setdefault(doc["_id"], {**doc, "cases": []})
                    kept["cases"].extend(doc["cases"])
            made += len(closed) * len(group)
            progress(made)
        for (service, name), by_id in merged.items():
            existing = {d["_id"] async for d in dbs[service][name].find({}, {"_id": 1})}
            for doc_id in existing & set(by_id):  # the template's own month: add to it
                await dbs[service][name].update_one(
                    {"_id": doc_id}, {"$push": {"cases": {"$each": by_id.pop(doc_id)["cases"]}}}
                )
            await _insert(dbs[service], name, iter(by_id.values()))
        for service, names in REBUILT.items():
            for name in names:
                await dbs[service].drop_collection(name)
        return made
    finally:
        await client.close()


async def not_backfilled(mongo: str, namespace: str) -> list[str]:
    """The services whose backfill has not yet marked itself done."""
    client: AsyncMongoClient[Doc] = AsyncMongoClient(mongo, tz_aware=True)
    try:
        return [
            service
            for service, (name, marker) in BACKFILLED.items()
            if await client[f"{namespace}_{service}"][name].find_one(marker) is None
        ]
    finally:
        await client.close()
