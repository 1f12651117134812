"""Index documents that a document store answers by `_id`, whatever it holds.

FerretDB on SQLite finds a document through an index only by `_id`; any other filter reads
the whole collection, so a query over cases costs time in proportion to every case ever
stored. What a service looks up by something else -- a platform's open cases, what falls
due in an hour, the documents whose events wait to be published -- is kept in small
documents keyed by that something:

- `KeyedSets`: `{_id: key, members: [id, ...]}`, e.g. the open cases of one platform;
  a set written often and possibly large spread over a few documents (`<key>#<n>`).
- `DueBuckets`: what falls due, bucketed by hour (and spread over a few documents per
  hour): `{_id: "2026-12-02T07#3", members: ["2026-12-02T07:15:00+00:00|<id>", ...]}`; the
  watcher reads the buckets of the hours listed in its cursor up to now.
- `KeyedRows`: per key, a versioned row per member (a day's public rows of cases), kept
  as strings in a few shard documents, so a listing reads a day's rows in a few documents.
- `Tallies`: per key, the sums of many members' 0/1 counts (a month's ratings), each
  member's counts set idempotently in one of a few shard documents, the sums kept per shard.

FerretDB applies an update by rewriting the whole document, so an update costs in
proportion to the document's size: a document that gains an entry per case (every case of a
month in one counter) makes each write slower as cases pile up. So nothing here keeps all of
an unbounded set in one document that is written often.

The store has no transaction across documents, so an index document and the document it
points at are written one after the other, in the order that leaves the index a superset of
the truth: a member is added *before* the write that makes it belong, and removed *after*
the write that makes it not. A reader therefore checks each member against its document and
treats one that no longer belongs as stale (and may remove it); it never misses one.
"""

import asyncio
import zlib
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime

from pymongo import UpdateOne
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from concord_shared.store import Document, bulk_update


class KeyedSets:
    """Sets of member ids, one small document per key; or, with `shards` above 1, each key's
    members spread over that many documents (`<key>#<n>`, by a hash of the member), for a
    set that is written often and may grow large (FerretDB rewrites a whole document on each
    update). With `only`, just the keys starting with one of those prefixes are sharded (a
    day's or a month's entries), the others stay one document (a short list read often).
    A sharded key also reads and updates a document named just `<key>`, should one be left
    from before it was sharded, so an older store's entries are still found.

    `shard_on` names what of a member chooses its shard (the whole member unless given):
    members that stand for one thing in several forms (a case's bare id and its entry
    `<sort value>|<id>`) then share a document, and one update removes them all."""

    def __init__(
        self,
        collection: AsyncCollection[Document],
        shards: int = 1,
        only: tuple[str, ...] | None = None,
        shard_on: Callable[[str], str] = str,
    ) -> None:
        self.collection = collection
        self.shards = shards
        self.only = only
        self.shard_on = shard_on

    def _sharded(self, key: str) -> bool:
        return self.shards > 1 and (self.only is None or key.startswith(self.only))

    def _docs(self, key: str) -> list[str]:
        if not self._sharded(key):
            return [key]
        return [key, *(f"{key}#{n}" for n in range(self.shards))]

    def _by_doc(self, key: str, members: Iterable[str]) -> dict[str, list[str]]:
        by_doc: dict[str, list[str]] = {}
        sharded = self._sharded(key)
        for member in dict.fromkeys(members):
            doc = shard_key(key, self.shard_on(member), self.shards) if sharded else key
            by_doc.setdefault(doc, []).append(member)
        return by_doc

    async def add_many(self, pairs: Iterable[tuple[str, str]]) -> None:
        """Members under several keys at once (key, member): one bulk write of an update per
        document they fall in (a registration's batch, a backfill's thousand entries)."""
        by_key: dict[str, list[str]] = {}
        for key, member in pairs:
            by_key.setdefault(key, []).append(member)
        await bulk_update(
            self.collection,
            [
                UpdateOne({"_id": doc}, {"$addToSet": {"members": {"$each": group}}}, upsert=True)
                for key, members in by_key.items()
                for doc, group in self._by_doc(key, members).items()
            ],
        )

    async def add(self, key: str, *members: str) -> None:
        await asyncio.gather(
            *(
                self.collection.update_one(
                    {"_id": doc}, {"$addToSet": {"members": {"$each": group}}}, upsert=True
                )
                for doc, group in self._by_doc(key, members).items()
            )
        )

    async def remove(self, key: str, *members: str) -> None:
        if not members:
            return
        by_doc = self._by_doc(key, members)
        if self._sharded(key):
            by_doc[key] = list(members)  # the document from before sharding, if any
        await asyncio.gather(
            *(
                self.collection.update_one({"_id": doc}, {"$pullAll": {"members": group}})
                for doc, group in by_doc.items()
            )
        )

    async def members(self, key: str) -> list[str]:
        return (await self.members_of([key]))[key]

    async def members_of(self, keys: Iterable[str]) -> dict[str, list[str]]:
        """Several keys at once (their documents in one `$in` on `_id`)."""
        wanted = list(dict.fromkeys(keys))
        docs = [doc for key in wanted for doc in self._docs(key)]
        found = {str(d["_id"]): d for d in await documents(self.collection, docs)}
        return {
            key: list(
                dict.fromkeys(
                    m for doc in self._docs(key) for m in found.get(doc, {}).get("members", [])
                )
            )
            for key in wanted
        }


class KeyedRows:
    """Per key, a short row (a string) per member, each with a version: a row is replaced
    only by a higher version, so writers that race or come again (a redelivered event, a
    backfill beside the live writes) never put an older row back.

    A key's rows are spread over `shards` documents (`<key>#<n>`, by a hash of the member):
    `{_id, rows: {<member>: <row>}, v: {<member>: <version>}, n: <writes>}`. Rows are strings
    because the local store decodes a document of strings several times faster than one of
    sub-documents (a day's 750 rows, measured: 13 ms as strings, 53 ms as sub-documents,
    74 ms as 750 small documents of their own). Every write increments `n`, so a writer of
    many rows at once reads a document, then writes it only if `n` has not moved since."""

    ATTEMPTS = 20

    def __init__(self, collection: AsyncCollection[Document], shards: int = 8) -> None:
        self.collection = collection
        self.shards = shards

    async def set(self, key: str, member: str, row: str, version: int) -> bool:
        """The member's row, unless one of this version or higher is there; whether set."""
        return await self._set_at(shard_key(key, member, self.shards), member, row, version)

    async def _set_at(self, doc_id: str, member: str, row: str, version: int) -> bool:
        name = field_name(member)
        newer = {"$or": [{f"v.{name}": {"$exists": False}}, {f"v.{name}": {"$lt": version}}]}
        query = {"_id": doc_id, **newer}
        update = {"$set": {f"rows.{name}": row, f"v.{name}": version}, "$inc": {"n": 1}}
        try:
            result = await self.collection.update_one(query, update, upsert=True)
        except DuplicateKeyError:
            # The filter missed and the upsert found the document there: it holds this
            # version or a higher one, or another writer made it in between (the local store
            # looks, then inserts). Only the second needs the update, which now finds it.
            result = await self.collection.update_one(query, update)
            return result.matched_count > 0
        return result.matched_count > 0 or result.upserted_id is not None

    async def set_many(self, items: Iterable[tuple[str, str, str, int]]) -> None:
        """Many (key, member, row, version) at once: per document they fall in, one read and
        one write (a registration's batch, a backfill of years of cases)."""
        by_doc: dict[str, dict[str, tuple[str, int]]] = {}
        for key, member, row, version in items:
            kept = by_doc.setdefault(shard_key(key, member, self.shards), {})
            if member not in kept or kept[member][1] < version:
                kept[member] = (row, version)
        limit = asyncio.Semaphore(16)

        async def one(doc: str, rows: dict[str, tuple[str, int]]) -> None:
            async with limit:
                await self._set_in(doc, rows)

        await asyncio.gather(*(one(doc, rows) for doc, rows in by_doc.items()))

    async def _set_in(self, doc_id: str, rows: dict[str, tuple[str, int]]) -> None:
        if len(rows) == 1:  # one conditional write instead of a read and a write
            ((member, (row, version)),) = rows.items()
            await self._set_at(doc_id, member, row, version)
            return
        for _ in range(self.ATTEMPTS):
            doc = await self.collection.find_one({"_id": doc_id}, {"v": 1, "n": 1})
            stored: dict[str, int] = (doc or {}).get("v") or {}
            fresh = {
                field_name(m): (row, version)
                for m, (row, version) in rows.items()
                if stored.get(field_name(m), -1) < version
            }
            if not fresh:
                return
            sets: dict[str, str | int] = {f"rows.{name}": row for name, (row, _) in fresh.items()}
            sets.update({f"v.{name}": version for name, (_, version) in fresh.items()})
            if doc is None:
                try:
                    await self.collection.insert_one({"_id": doc_id, "rows": {}, "v": {}, "n": 0})
                except DuplicateKeyError:
                    pass  # another writer made it: read it again
                continue
            # Every writer of the document increments `n` (an insert starts it at 0).
            result = await self.collection.update_one(
                {"_id": doc_id, "n": doc["n"]}, {"$set": sets, "$inc": {"n": 1}}
            )
            if result.matched_count:
                return
        raise RuntimeError(f"rows of {doc_id} kept changing while written")

    async def rows_of(self, key: str, members: Iterable[str]) -> dict[str, str]:
        """The rows of these members under the key (those that have one): only the shard
        documents they fall in are read, in one query."""
        wanted = list(dict.fromkeys(members))
        docs = sorted({shard_key(key, m, self.shards) for m in wanted})
        rows: dict[str, str] = {}
        for doc in await documents(self.collection, docs, projection={"rows": 1}):
            rows.update({unescape(name): row for name, row in (doc.get("rows") or {}).items()})
        return {m: rows[m] for m in wanted if m in rows}


IDS_PER_QUERY = 100  # ids in one `$in` read; the local store pushes down up to 1,000


async def documents(
    collection: AsyncCollection[Document],
    ids: Sequence[str],
    concurrency: int = 4,
    projection: dict[str, int] | None = None,
) -> list[Document]:
    """The documents with these ids, in that order, missing ones left out: one query
    `{_id: {$in: ...}}` per IDS_PER_QUERY ids, an index search per id on MongoDB and on the
    local store (deploy/local/build-ferretdb.sh narrows `$in` on `_id`). A listing's page then
    costs one round trip instead of one per document, which on FerretDB was most of it."""
    limit = asyncio.Semaphore(concurrency)
    unique = list(dict.fromkeys(ids))

    async def chunk(part: list[str]) -> list[Document]:
        async with limit:
            return await collection.find({"_id": {"$in": part}}, projection).to_list()

    parts = [unique[n : n + IDS_PER_QUERY] for n in range(0, len(unique), IDS_PER_QUERY)]
    found = {str(d["_id"]): d for part in await asyncio.gather(*map(chunk, parts)) for d in part}
    return [found[i] for i in ids if i in found]


def _hour(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H")


def _entry(member: str, due: datetime) -> str:
    return f"{due.astimezone(UTC).isoformat()}|{member}"


class DueBuckets:
    """Members due at a time, bucketed by hour; `due(now)` gives those due by now.

    An hour's members are spread over `shards` documents (`<hour>#<n>`, by a hash of the
    member), because FerretDB rewrites a whole document on every update: a burst of work
    falling due in one hour (a bulk import) must not make each write cost the whole burst.
    A bucket is removed once its hour has passed and it is empty, so the buckets that exist
    are those of work still pending: reading them costs what is due, not what is stored.
    The cursor document lists the hours that may hold something (`hours`), so `due` reads
    those buckets only, not every hour between (a watcher stopped for days, or a test's
    clock moved by months, would otherwise read one document per hour gone by).

    Races: an adder writes its bucket, then its hour into `hours` (with `v` incremented);
    `due` drops an hour from `hours` only when its buckets were empty and only if `v` is
    still what it read, so an hour added meanwhile is never dropped.
    """

    CURSOR = "cursor"

    def __init__(self, collection: AsyncCollection[Document], shards: int = 8) -> None:
        self.collection = collection
        self.shards = shards

    def _bucket(self, hour: str, member: str) -> str:
        return shard_key(hour, member, self.shards)

    def _by_bucket(self, items: Iterable[tuple[str, datetime]]) -> dict[str, list[str]]:
        by_bucket: dict[str, dict[str, None]] = {}
        for member, due in items:
            by_bucket.setdefault(self._bucket(_hour(due), member), {})[_entry(member, due)] = None
        return {bucket: list(entries) for bucket, entries in by_bucket.items()}

    async def add(self, member: str, due: datetime) -> None:
        await self.add_many([(member, due)])

    async def add_many(self, items: Iterable[tuple[str, datetime]]) -> None:
        """Several (member, due) at once: one update per bucket they fall in."""
        by_bucket = self._by_bucket(items)
        await asyncio.gather(
            *(
                self.collection.update_one(
                    {"_id": bucket}, {"$addToSet": {"members": {"$each": entries}}}, upsert=True
                )
                for bucket, entries in by_bucket.items()
            )
        )
        hours = sorted({bucket.partition("#")[0] for bucket in by_bucket})
        if hours:  # after the buckets: see the class's note on races
            await self.collection.update_one(
                {"_id": self.CURSOR},
                {"$addToSet": {"hours": {"$each": hours}}, "$inc": {"v": 1}},
                upsert=True,
            )

    async def remove(self, member: str, due: datetime) -> None:
        await self.remove_many([(member, due)])

    async def remove_many(self, items: Iterable[tuple[str, datetime]]) -> None:
        """Several (member, due) at once: one update per bucket they fall in."""
        await asyncio.gather(
            *(
                self.collection.update_one({"_id": bucket}, {"$pullAll": {"members": entries}})
                for bucket, entries in self._by_bucket(items).items()
            )
        )

    async def due(self, now: datetime) -> list[tuple[str, datetime]]:
        """(member, due time) for everything due by `now`, oldest first. Past hours found
        empty are dropped on the way."""
        cursor_doc = await self.collection.find_one({"_id": self.CURSOR})
        if cursor_doc is None:
            return []  # nothing was ever added
        current = _hour(now)
        hours = sorted(h for h in cursor_doc.get("hours", []) if h <= current)
        buckets = [f"{hour}#{n}" for hour in hours for n in range(self.shards)]
        found_docs = {str(d["_id"]): d for d in await documents(self.collection, buckets)}
        found: list[tuple[str, datetime]] = []
        emptied: list[str] = []
        for hour in hours:
            members = [
                entry
                for n in range(self.shards)
                for entry in found_docs.get(f"{hour}#{n}", {}).get("members", [])
            ]
            for entry in members:
                at, _, member = entry.partition("|")
                due = datetime.fromisoformat(at)
                if due <= now:
                    found.append((member, due))
            if not members and hour < current:
                emptied.append(hour)
        await asyncio.gather(
            *(
                self.collection.delete_one({"_id": f"{hour}#{n}", "members": {"$size": 0}})
                for hour in emptied
                for n in range(self.shards)
                if f"{hour}#{n}" in found_docs
            )
        )
        if emptied:
            await self.collection.update_one(
                {"_id": self.CURSOR, "v": cursor_doc.get("v", 0)},
                {"$pullAll": {"hours": emptied}},
            )
        return sorted(found, key=lambda item: item[1])


def shard_of(member: str, shards: int) -> int:
    """Which of `shards` documents holds a member (stable across processes)."""
    return zlib.crc32(member.encode()) % shards


def shard_key(key: str, member: str, shards: int) -> str:
    """The `_id` of the shard document of `key` that holds `member`: `<key>#<n>`."""
    return f"{key}#{shard_of(member, shards)}"


def field_name(member: str) -> str:
    """A member id as a field name (no dots or dollars in a path)."""
    return member.replace("%", "%25").replace(".", "%2E").replace("$", "%24")


def unescape(name: str) -> str:
    return name.replace("%24", "$").replace("%2E", ".").replace("%25", "%")


class Tallies:
    """Sums of many members' 0/1 counts under keys, in books (a month), where setting a
    member's counts is idempotent (set, never added: a retried write or a redelivered event
    sets the same value again) and reading costs only what changed since the last read.

    FerretDB rewrites a whole document on every update, so a book's members are spread over
    `shards` documents (`<book>#<n>`, by a hash of the member), each member with its counts
    under every key it counts in, one int per key (bit i is the i-th field of the key's
    kind, the part of the key before its first `:`). A member's counts are one update of
    its shard; then the book's head (`<book>`) increments that shard's version (`v.<n>`).
    Each shard's sums per key are kept in `<book>#<n>:sums` with the version read before
    computing them: a reader trusts them only at the current version and recomputes (and
    stores) the others; a set after the version was read moves it again, so sums are never
    trusted stale. The book's totals are kept the same way, with every shard's version
    (`<book>:totals`): a book nobody changed since is read as two documents in one query.
    """

    def __init__(
        self,
        collection: AsyncCollection[Document],
        kinds: dict[str, Sequence[str]],
        shards: int = 32,
    ) -> None:
        self.collection = collection
        self.kinds = {kind: tuple(fields) for kind, fields in kinds.items()}
        self.shards = shards

    def _fields(self, key: str) -> tuple[str, ...]:
        kind = key.partition(":")[0]
        if kind not in self.kinds:
            raise ValueError(f"no kind of tally {kind!r} (key {key!r})")
        return self.kinds[kind]

    def encode(self, key: str, counts: dict[str, int]) -> int:
        fields = self._fields(key)
        if set(counts) - set(fields) or any(v not in (0, 1) for v in counts.values()):
            raise ValueError(f"counts of {key} must be 0 or 1 of {fields}: {counts}")
        return sum(1 << i for i, name in enumerate(fields) if counts.get(name))

    async def set(self, book: str, member: str, counts: dict[str, dict[str, int]]) -> None:
        """The member's counts under each key (replacing what it had in the book)."""
        await self.set_many(book, {member: counts})

    async def set_many(self, book: str, members: dict[str, dict[str, dict[str, int]]]) -> None:
        """Several members' counts at once: one update per shard they fall in, then one of
        the head (a backfill of thousands of cases, not one round trip per case)."""
        by_shard: dict[int, dict[str, dict[str, int]]] = {}
        for member, counts in members.items():
            encoded = {field_name(key): self.encode(key, c) for key, c in counts.items()}
            by_shard.setdefault(shard_of(member, self.shards), {})[f"m.{field_name(member)}"] = (
                encoded
            )
        if not by_shard:
            return
        await asyncio.gather(
            *(
                self.collection.update_one({"_id": f"{book}#{n}"}, {"$set": fields}, upsert=True)
                for n, fields in by_shard.items()
            )
        )
        await self.collection.update_one(
            {"_id": book}, {"$inc": {f"v.{n}": 1 for n in by_shard}}, upsert=True
        )

    async def totals(self, book: str) -> dict[str, dict[str, int]]:
        """Every key of the book with the sum of each of its fields over its members."""
        got = {str(d["_id"]): d for d in await documents(self.collection, [book, f"{book}:totals"])}
        versions: dict[str, int] = got.get(book, {}).get("v") or {}
        kept_totals = got.get(f"{book}:totals", {})
        if versions and kept_totals.get("v") == versions:
            return self._named(kept_totals["t"])
        kept = {
            str(d["_id"]): d
            for d in await documents(self.collection, [f"{book}#{n}:sums" for n in versions])
        }
        stale = [n for n, v in versions.items() if kept.get(f"{book}#{n}:sums", {}).get("v") != v]
        fresh = await asyncio.gather(*(self._recompute(book, n, versions[n]) for n in stale))
        sums = [kept[f"{book}#{n}:sums"]["t"] for n in versions if n not in stale] + fresh
        result: dict[str, list[int]] = {}
        for shard_sums in sums:
            for escaped, bits in shard_sums.items():
                total = result.setdefault(escaped, [0] * len(bits))
                for i, count in enumerate(bits):
                    total[i] += int(count)
        if versions:
            # The whole book's sums at the versions read first, as one document: a month
            # nobody changed since is then one small read, not one per shard (each shard's
            # sums hold every key of the month: 32 of them were 140 kB a month at 100,000
            # stored cases). A set after that read moves a version, so these are never
            # trusted stale; of two readers' writes, either leaves sums and versions paired.
            await self.collection.update_one(
                {"_id": f"{book}:totals"}, {"$set": {"v": versions, "t": result}}, upsert=True
            )
        return self._named(result)

    def _named(self, sums: dict[str, list[int]]) -> dict[str, dict[str, int]]:
        named: dict[str, dict[str, int]] = {}
        for escaped, bits in sums.items():
            key = unescape(escaped)
            named[key] = {name: int(bits[i]) for i, name in enumerate(self._fields(key))}
        return named

    async def _recompute(self, book: str, n: str, version: int) -> dict[str, list[int]]:
        shard = await self.collection.find_one({"_id": f"{book}#{n}"}) or {}
        sums: dict[str, list[int]] = {}
        for member_counts in (shard.get("m") or {}).values():
            for escaped, value in member_counts.items():
                if escaped not in sums:
                    sums[escaped] = [0] * len(self._fields(unescape(escaped)))
                bits = sums[escaped]
                for i in range(len(bits)):
                    bits[i] += int(value) >> i & 1
        await self.collection.update_one(
            {"_id": f"{book}#{n}:sums"}, {"$set": {"v": version, "t": sums}}, upsert=True
        )
        return sums
