"""The transactional outbox: a state change and the events it causes, in one document write.

The store has no multi-document transactions, so each state document carries its own
``outbox`` array. ``apply_once`` writes the change, queues the events and records the cause
event's id in one atomic single-document update; ``OutboxRelay`` publishes what is queued and
removes it. A crash in between leaves the events queued: they are published after restart,
and consumers deduplicate on event id.

Finding what a crash left without reading the whole collection: before every write that
queues events, the writer calls ``intend``, which records the document's id and the time in
``<collection>_pending`` (``DueBuckets``: a few small documents per hour, read by ``_id``). The
relay removes a marker once the events of that write are published; the sweep reads only the
markers older than a grace period, looks up each document by ``_id`` and publishes what is
still queued there (a marker whose document is clean is stale: a write that failed, or whose
marker's removal was lost -- it is dropped). So the markers hold work in flight only, and the
sweep costs what was written lately, not what is stored. Markers are written *before* the
write (the order rule of keyed_sets.py): a crash between the two leaves a stale marker,
never queued events nobody knows of.
"""

import asyncio
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cached_property
from typing import Any

import structlog
from pymongo import UpdateOne
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from concord_shared.background import Background, every
from concord_shared.envelope import Envelope, EventPayload, envelope
from concord_shared.keyed_sets import DueBuckets, documents
from concord_shared.metrics import OUTBOX_BACKLOG, PUBLISH_LATENCY, PUBLISHED, since
from concord_shared.publisher import Publisher
from concord_shared.store import TRANSIENT_STORE_ERRORS, Document, bulk_update
from concord_shared.topics import TopicSpec
from concord_shared.tracing import current_trace_headers

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Emit:
    """An event to publish on a topic once the state change that caused it is stored."""

    topic: str
    event: Envelope[Any]
    # The span it was written in (W3C traceparent), taken when it is made: its handling,
    # wherever that is, continues the same trace.
    trace: dict[str, str] = field(default_factory=current_trace_headers, compare=False)

    @cached_property
    def entry(self) -> dict[str, Any]:
        """The outbox entry as stored -- built once, since the relay publishes and clears
        the very entries the writer stored."""
        return {
            "event_id": self.event.event_id,
            "topic": self.topic,
            "key": self.event.case_id,
            "value": self.event.to_bytes(),
            "headers": {**self.event.headers(), **self.trace},
        }


# What a writer calls once a write is stored: the document and the events it queued there
# (the relay's `written`).
Written = Callable[[str, Sequence[Emit]], None]


def _ignore(_doc_id: str, _emits: Sequence[Emit]) -> None:
    """No relay in this process (a CLI, the bulk import): the sweep publishes."""


@dataclass(frozen=True)
class Outbox:
    """How a service emits, the one way: `change` opens the events of one state change,
    `Change.emit` makes each an envelope of the service on a topic of its namespace, and
    `Change.stored` hands them to the relay once the repository has written the change and
    its events in one atomic document update (with_outbox, inserted_with_outbox)."""

    namespace: str
    source: str
    written: Written = _ignore  # the relay's `written`

    def topic(self, spec: TopicSpec) -> str:
        return spec.full_name(self.namespace)

    def change(
        self,
        doc_id: str,
        cause: Envelope[Any] | None = None,
        *,
        case_id: str | None = None,
        correlation_id: str | None = None,
        causation_id: str | None = None,
    ) -> "Change":
        """The events the change of document `doc_id` causes. Each is about `case_id`
        (default: the cause's case, else the document); with a cause event it shares its
        correlation and names it as causation, else `correlation_id` and `causation_id`."""
        return Change(
            self,
            doc_id,
            case_id or (cause.case_id if cause is not None else doc_id),
            cause,
            correlation_id,
            causation_id,
        )


@dataclass
class Change:
    """The events of one state change, in the order emitted; see Outbox."""

    outbox: Outbox
    doc_id: str
    case_id: str
    cause: Envelope[Any] | None
    correlation_id: str | None
    causation_id: str | None
    emits: list[Emit] = field(default_factory=list)

    def emit(self, spec: TopicSpec, payload: EventPayload) -> Emit:
        event = envelope(
            payload,
            source=self.outbox.source,
            case_id=self.case_id,
            correlation_id=self.correlation_id,
            causation=self.cause,
        )
        if self.cause is None and self.causation_id is not None:
            event = event.model_copy(update={"causation_id": self.causation_id})
        emit = Emit(self.outbox.topic(spec), event)
        self.emits.append(emit)
        return emit

    def stored(self, written: bool) -> bool:
        """Say whether the repository wrote the change with `emits`; once written, the
        relay publishes them at once (the sweep would, later). Answers `written`."""
        if written and self.emits:
            self.outbox.written(self.doc_id, self.emits)
        return written


def markers(collection: AsyncCollection[Document]) -> DueBuckets:
    """The intent markers of an outbox collection: (document id, time of the write)."""
    return DueBuckets(collection.database[f"{collection.name}_pending"])


Marker = tuple[str, datetime]  # (document id, when the write was intended)
# The markers written in this process for an outbox collection that has a relay here, by
# event id: the relay removes a write's marker once it published that write's events.
_intended: dict[str, Marker] = {}
_relayed: set[str] = set()  # full names of the collections with a relay in this process


async def intend(
    collection: AsyncCollection[Document], writes: Iterable[tuple[str, Sequence[Emit]]]
) -> None:
    """Call before every write that queues events (`with_outbox`, `inserted_with_outbox`):
    marks each (document id, events) about to be written, so that the relay's sweep finds
    the document if this process dies before the events are published."""
    now = datetime.now(UTC)
    marked = [(doc_id, emits) for doc_id, emits in writes if emits]
    if not marked:
        return
    await markers(collection).add_many((doc_id, now) for doc_id, _ in marked)
    if collection.full_name in _relayed:
        for doc_id, emits in marked:
            for emit in emits:
                _intended[emit.event.event_id] = (doc_id, now)


def with_outbox(update: dict[str, Any], emits: Sequence[Emit]) -> dict[str, Any]:
    """Add the events to an update document, next to whatever else it changes."""
    if not emits:
        return update
    merged = {op: dict(fields) for op, fields in update.items()}
    merged.setdefault("$push", {})["outbox"] = {"$each": [e.entry for e in emits]}
    merged.setdefault("$set", {})["outbox_pending"] = True
    return merged


def inserted_with_outbox(doc: dict[str, Any], emits: Sequence[Emit]) -> dict[str, Any]:
    """A new document with its events queued: inserting it is the atomic write."""
    if not emits:
        return doc
    return {**doc, "outbox": [e.entry for e in emits], "outbox_pending": True}


async def apply_once(
    collection: AsyncCollection[Document],
    doc_id: str,
    cause_id: str | None,
    update: dict[str, Any],
    emits: Sequence[Emit] = (),
    *,
    upsert: bool = True,
) -> bool:
    """Apply `update` and queue `emits` atomically, at most once per cause event.

    Returns False when the cause was applied before (a redelivery): nothing changes.
    """
    await intend(collection, [(doc_id, emits)])
    full = with_outbox(update, emits)
    query: dict[str, Any] = {"_id": doc_id}
    if cause_id is not None:
        query["processed"] = {"$ne": cause_id}
        full.setdefault("$push", {})["processed"] = cause_id
    try:
        result = await collection.update_one(query, full, upsert=upsert)
    except DuplicateKeyError:
        # The filter missed because `processed` holds the cause, so the upsert tried to
        # insert a second document with the same _id: this event was applied already.
        return False
    return result.upserted_id is not None or result.matched_count > 0


Entries = list[dict[str, Any]]


def _occurred_at(entry: dict[str, Any]) -> datetime:
    """The event's time, from its published bytes (the entry keeps nothing else of it)."""
    try:
        return datetime.fromisoformat(json.loads(entry["value"])["occurred_at"])
    except (ValueError, KeyError, TypeError):
        return datetime.now(UTC)


class OutboxRelay:
    """Publishes queued events with the idempotent producer, then removes them.

    A writer hands the relay the events it just stored (``written``): they are published
    from memory, with no read of the document, and removed in one bulk update per round;
    then the markers of those writes (``intend``) are removed. ``notify`` names documents
    whose outbox must be read first (what a sweep finds). A sweep at start and then every
    ``sweep_interval_s`` reads the markers older than ``grace_s`` (default: the interval):
    what a crashed process, another instance or the bulk importer left behind.
    """

    BACKFILLED = "backfilled"  # in the markers' collection: the one scan for older data ran

    def __init__(
        self,
        publisher: Publisher,
        collection: AsyncCollection[Document],
        *,
        sweep_interval_s: float = 30.0,
        grace_s: float | None = None,
        batch_size: int = 500,
        service: str = "",
    ) -> None:
        self._service = service
        self._publisher = publisher
        self._collection = collection
        self._markers = markers(collection)
        self._sweep_interval_s = sweep_interval_s
        self._grace = timedelta(seconds=sweep_interval_s if grace_s is None else grace_s)
        self._batch_size = batch_size
        # Per document: the entries to publish, or None when they must be read from it.
        self._pending: dict[str, Entries | None] = {}
        # The markers a sweep found on documents still queued, removed once published.
        self._swept: dict[str, set[Marker]] = {}
        self._backfilled = False
        self._wake = asyncio.Event()
        self._background = Background("outbox-relay")
        self.published = 0
        _relayed.add(collection.full_name)

    async def ensure_indexes(self) -> None:
        """On a database without the outbox collection yet, nothing was written before the
        markers existed: record that no backfill is needed (no scan at all)."""
        existing = await self._collection.database.list_collection_names(
            filter={"name": self._collection.name}
        )
        if not existing:
            await self._mark_backfilled()

    async def _mark_backfilled(self) -> None:
        await self._markers.collection.update_one(
            {"_id": self.BACKFILLED}, {"$set": {"at": datetime.now(UTC)}}, upsert=True
        )
        self._backfilled = True

    async def _backfill(self) -> None:
        """Documents queued before the markers existed (a store from an earlier version):
        one scan per database, its finds marked as due at once, then never again."""
        if self._backfilled:
            return
        if await self._markers.collection.find_one({"_id": self.BACKFILLED}) is None:
            docs = await self._collection.find({"outbox_pending": True}, {"_id": 1}).to_list()
            due = datetime.now(UTC) - self._grace - timedelta(seconds=1)
            await self._markers.add_many((str(d["_id"]), due) for d in docs)
            log.info("outbox relay: backfilled markers", documents=len(docs))
        await self._mark_backfilled()

    def written(self, doc_id: str, emits: Sequence[Emit]) -> None:
        """These events were just queued on the document (the write is stored)."""
        if not emits:
            return
        self._merge(doc_id, [e.entry for e in emits], earlier=False)
        self._wake.set()

    def notify(self, doc_ids: Iterable[str]) -> None:
        """Documents whose outbox holds events this process has not seen: read them."""
        for doc_id in doc_ids:
            self._pending[doc_id] = None
        self._wake.set()

    def _merge(self, doc_id: str, entries: Entries | None, *, earlier: bool) -> None:
        """Add entries queued `earlier` (or later) than those already pending for the
        document: a case's events go out in the order they were queued."""
        if doc_id not in self._pending:
            self._pending[doc_id] = entries
            return
        queued = self._pending[doc_id]
        if queued is None or entries is None:
            self._pending[doc_id] = None
        else:
            self._pending[doc_id] = entries + queued if earlier else queued + entries

    def start(self) -> None:
        # The sweep runs beside publishing: events just written never wait for it.
        # At once first: a crash may have left events behind.
        sweep = every(
            self._sweep_interval_s, self.find_queued, "outbox relay: sweep failed, will retry"
        )
        self._background.start(self._publish_loop, sweep)

    async def stop(self) -> None:
        await self._background.stop()

    async def _publish_loop(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            try:
                while self._pending:
                    await self.publish_pending()
            except asyncio.CancelledError:
                raise
            except TRANSIENT_STORE_ERRORS as exc:
                log.warning("outbox relay: store unavailable, will retry", error=str(exc))
                await asyncio.sleep(0.5)
                self._wake.set()
            except Exception as exc:  # the broker may be away; the events stay queued
                log.warning("outbox relay: publish failed, will retry", error=repr(exc))
                await asyncio.sleep(0.5)
                self._wake.set()

    async def find_queued(self) -> int:
        """Hand the publishing loop every document whose write was marked more than the
        grace period ago and which still has events queued, whoever queued them; drop the
        markers of documents found clean. Every read is by `_id`."""
        await self._backfill()
        before = datetime.now(UTC) - self._grace
        for event_id in [e for e, (_, at) in _intended.items() if at <= before]:
            del _intended[event_id]  # this sweep sees its marker now, if still there
        found: dict[str, set[Marker]] = {}
        for doc_id, at in await self._markers.due(before):
            found.setdefault(doc_id, set()).add((doc_id, at))
        docs = await documents(self._collection, list(found), projection={"outbox_pending": 1})
        queued = {str(d["_id"]) for d in docs if d.get("outbox_pending")}
        stale: list[Marker] = []
        waiting: list[str] = []
        for doc_id, marks in found.items():
            if doc_id in queued:
                self._swept.setdefault(doc_id, set()).update(marks)
                waiting.append(doc_id)
            else:
                stale.extend(marks)
        await self._markers.remove_many(stale)
        OUTBOX_BACKLOG.labels(self._service).set(len(waiting))
        if waiting:
            self.notify(waiting)
        return len(waiting)

    async def sweep(self) -> int:
        """Publish everything queued in the store, whoever queued it."""
        await self.find_queued()
        total = 0
        while self._pending:
            total += await self.publish_pending()
        return total

    async def publish_pending(self) -> int:
        """Publish what was queued on the documents we know of."""
        taken = {i: self._pending.pop(i) for i in list(self._pending)[: self._batch_size]}
        if not taken:
            return 0
        try:
            unread = [i for i, entries in taken.items() if entries is None]
            read = await documents(self._collection, unread, projection={"outbox": 1})
            docs: list[dict[str, Any]] = [
                {"_id": i, "outbox": e} for i, e in taken.items() if e is not None
            ]
            docs += [d for d in read if d.get("outbox")]
            count = await self._publish(docs)
        except BaseException:
            # Put them back: they are tried again (before anything queued since).
            for doc_id, entries in taken.items():
                self._merge(doc_id, entries, earlier=True)
            raise
        self.published += count
        # The published events are out of the store's outbox: their writes' markers go.
        done = [
            _intended.pop(entry["event_id"])
            for doc in docs
            for entry in doc["outbox"]
            if entry["event_id"] in _intended
        ]
        done += [m for i in unread for m in self._swept.pop(i, ())]
        await self._markers.remove_many(done)
        return count

    async def _publish(self, docs: list[dict[str, Any]]) -> int:
        if not docs:
            return 0
        futures = []
        for doc in docs:
            for entry in doc["outbox"]:
                futures.append(
                    await self._publisher.send(
                        entry["topic"],
                        entry["value"],
                        key=entry["key"].encode(),
                        headers=entry["headers"],
                    )
                )
        try:
            await asyncio.gather(*futures)
        except Exception as exc:
            await self._publisher.reset(exc)
            raise
        for doc in docs:
            for entry in doc["outbox"]:
                PUBLISHED.labels(self._service, entry["topic"]).inc()
                PUBLISH_LATENCY.labels(self._service).observe(since(_occurred_at(entry)))
        await self._clear(docs)
        return len(futures)

    async def _clear(self, docs: list[dict[str, Any]]) -> None:
        """Remove what was published. (Each update is atomic in the store -- see
        deploy/local/build-ferretdb.sh for the local FerretDB -- so this never undoes a
        concurrent write of the document.)"""
        # Clear each outbox that still holds exactly what was published, all in one bulk...
        cleared = await bulk_update(
            self._collection,
            [
                UpdateOne(
                    {"_id": d["_id"], "outbox": d["outbox"]},
                    {"$set": {"outbox": []}, "$unset": {"outbox_pending": ""}},
                )
                for d in docs
            ],
        )
        if cleared == len(docs):
            return
        # ...else a write raced with us and queued more: remove only what went out (a no-op
        # where the bulk cleared it); the document stays pending with its new events.
        pulled = await asyncio.gather(
            *(
                self._collection.update_one(
                    {"_id": d["_id"]}, {"$pullAll": {"outbox": d["outbox"]}}
                )
                for d in docs
            )
        )
        for doc, result in zip(docs, pulled, strict=True):
            if result.modified_count and doc["_id"] not in self._pending:
                self._pending[str(doc["_id"])] = None  # queued by someone we did not hear
