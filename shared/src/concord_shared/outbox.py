"""The transactional outbox: a state change and the events it causes, in one document write.

The store has no multi-document transactions, so each state document carries its own
``outbox`` array. ``apply_once`` writes the change, queues the events and records the cause
event's id in one atomic single-document update; ``OutboxRelay`` publishes what is queued and
removes it. A crash in between leaves the events queued: they are published after restart,
and consumers deduplicate on event id.
"""

import asyncio
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import structlog
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from concord_shared.background import Background
from concord_shared.envelope import Envelope, EventPayload, envelope
from concord_shared.publisher import Publisher
from concord_shared.store import TRANSIENT_STORE_ERRORS, Document

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Emit:
    """An event to publish on a topic once the state change that caused it is stored."""

    topic: str
    event: Envelope[Any]

    def as_entry(self) -> dict[str, Any]:
        return {
            "event_id": self.event.event_id,
            "topic": self.topic,
            "key": self.event.case_id,
            "value": self.event.to_bytes(),
            "headers": self.event.headers(),
        }


def caused(topic: str, payload: EventPayload, cause: Envelope[Any], source: str) -> Emit:
    """An event caused by `cause`: the same case, the same correlation, cause as causation."""
    return Emit(topic, envelope(payload, source=source, case_id=cause.case_id, causation=cause))


def with_outbox(update: dict[str, Any], emits: Sequence[Emit]) -> dict[str, Any]:
    """Add the events to an update document, next to whatever else it changes."""
    if not emits:
        return update
    merged = {op: dict(fields) for op, fields in update.items()}
    merged.setdefault("$push", {})["outbox"] = {"$each": [e.as_entry() for e in emits]}
    merged.setdefault("$set", {})["outbox_pending"] = True
    return merged


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


class OutboxRelay:
    """Publishes queued events with the idempotent producer, then removes them.

    The writer tells the relay which documents it changed (``notify``), so publishing needs
    no query but reads by _id -- the one lookup every store answers fast. A sweep at start
    and then every ``sweep_interval_s`` finds what a crashed process or another instance
    left behind.
    """

    def __init__(
        self,
        publisher: Publisher,
        collection: AsyncCollection[Document],
        *,
        sweep_interval_s: float = 30.0,
        batch_size: int = 500,
    ) -> None:
        self._publisher = publisher
        self._collection = collection
        self._sweep_interval_s = sweep_interval_s
        self._batch_size = batch_size
        self._pending: set[str] = set()
        self._wake = asyncio.Event()
        self._background = Background("outbox-relay")
        self.published = 0

    async def ensure_indexes(self) -> None:
        await self._collection.create_index("outbox_pending", sparse=True)

    def notify(self, doc_ids: Iterable[str]) -> None:
        """Documents whose outbox just received events."""
        self._pending.update(doc_ids)
        self._wake.set()

    def start(self) -> None:
        self._background.start(self._run)

    async def stop(self) -> None:
        await self._background.stop()

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        next_sweep = loop.time()  # sweep at once: a crash may have left events behind
        while True:
            timeout = max(0.0, next_sweep - loop.time())
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=timeout)
            except TimeoutError:
                pass
            self._wake.clear()
            try:
                if loop.time() >= next_sweep:
                    await self.sweep()
                    next_sweep = loop.time() + self._sweep_interval_s
                while self._pending:
                    await self.publish_pending()
            except asyncio.CancelledError:
                raise
            except TRANSIENT_STORE_ERRORS as exc:
                log.warning("outbox relay: store unavailable, will retry", error=str(exc))
                await asyncio.sleep(0.5)
            except Exception as exc:  # the broker may be away; the events stay queued
                log.warning("outbox relay: publish failed, will retry", error=repr(exc))
                await asyncio.sleep(0.5)

    async def sweep(self) -> int:
        """Publish everything queued in the store, whoever queued it."""
        total = 0
        while True:
            docs = await self._collection.find(
                {"outbox_pending": True}, {"_id": 1}, limit=self._batch_size
            ).to_list()
            self._pending.update(str(d["_id"]) for d in docs)
            total += await self.publish_pending()
            if len(docs) < self._batch_size:
                return total

    async def publish_pending(self) -> int:
        """Publish the outboxes of the documents we were told about."""
        ids = list(self._pending)[: self._batch_size]
        if not ids:
            return 0
        docs = await asyncio.gather(
            *(self._collection.find_one({"_id": i}, {"outbox": 1}) for i in ids)
        )
        count = await self._publish([d for d in docs if d and d.get("outbox")])
        # Forget these ids only now: if publishing failed they are tried again.
        self._pending.difference_update(ids)
        self.published += count
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
        # One write per document (FerretDB stalls on bulks that touch a document twice).
        raced_flags = await asyncio.gather(*(self._clear(doc) for doc in docs))
        raced = [d for d, r in zip(docs, raced_flags, strict=True) if r]
        self._pending.update(str(d["_id"]) for d in raced)
        return len(futures)

    async def _clear(self, doc: dict[str, Any]) -> bool:
        """Remove what was published from one document; True if a write raced with us.
        (Each update is atomic in the store -- see deploy/local/build-ferretdb.sh for the
        local FerretDB -- so this never undoes a concurrent write of the document.)"""
        # Clear the outbox if it still holds exactly what was published...
        result = await self._collection.update_one(
            {"_id": doc["_id"], "outbox": doc["outbox"]},
            {"$set": {"outbox": []}, "$unset": {"outbox_pending": ""}},
        )
        if result.matched_count:
            return False
        # ...else a write raced with us and queued more: remove only what went out; the
        # document stays pending and its new events go in the next round.
        await self._collection.update_one(
            {"_id": doc["_id"]}, {"$pullAll": {"outbox": doc["outbox"]}}
        )
        return True
