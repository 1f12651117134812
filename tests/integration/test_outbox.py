"""The outbox on the real store and broker: one atomic write, published once, deduplicated."""

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, cast

import pytest
from aiokafka import AIOKafkaConsumer, ConsumerRecord
from concord_shared.envelope import envelope
from concord_shared.events import FeedbackReceived
from concord_shared.outbox import (
    Emit,
    OutboxRelay,
    apply_once,
    inserted_with_outbox,
    intend,
    with_outbox,
)
from concord_shared.provision import provision
from concord_shared.publisher import Publisher
from concord_shared.store import _filters
from concord_shared.topics import TopicSpec
from pymongo import AsyncMongoClient, monitoring
from pymongo.asynchronous.collection import AsyncCollection

from tests.support.stack import ADMIN_AUTH, KAFKA, MONGO, kafka_client_options

pytestmark = pytest.mark.real


async def published(topic: str) -> list[ConsumerRecord[bytes, bytes]]:
    """What the relay put on the (one-partition) topic, in order."""
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=KAFKA, **kafka_client_options(), auto_offset_reset="earliest"
    )
    await consumer.start()
    try:
        batch = await consumer.getmany(timeout_ms=5000)
    finally:
        await consumer.stop()
    return [r for rs in batch.values() for r in rs]


async def test_a_change_and_its_events_are_written_once_and_published(namespace: str) -> None:
    spec = TopicSpec(f"outbox-check.{uuid.uuid4().hex[:6]}", "outbox test", partitions=1)
    await provision(KAFKA, namespace, [spec], auth=ADMIN_AUTH)
    topic = spec.full_name(namespace)
    client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(MONGO)
    collection = client[f"{namespace}_outboxtest"]["docs"]
    publisher = Publisher(KAFKA, client_id="outbox-test", auth=ADMIN_AUTH)
    relay = OutboxRelay(publisher, collection)
    await relay.ensure_indexes()
    event = envelope(FeedbackReceived(platform="339901", satisfied=True), source="t", case_id="c1")
    try:
        first = await apply_once(
            collection, "c1", "cause-1", {"$inc": {"n": 1}}, [Emit(topic, event)]
        )
        again = await apply_once(
            collection, "c1", "cause-1", {"$inc": {"n": 1}}, [Emit(topic, event)]
        )
        assert (first, again) == (True, False)
        doc = await collection.find_one({"_id": "c1"})
        assert doc is not None and doc["n"] == 1 and len(doc["outbox"]) == 1  # type: ignore[arg-type]

        relay.notify(["c1"])
        assert await relay.publish_pending() == 1
        relay.notify(["c1"])
        assert await relay.publish_pending() == 0  # nothing left, nothing published twice
        assert await relay.sweep() == 0
        doc = await collection.find_one({"_id": "c1"})
        assert doc is not None and doc["outbox"] == [] and "outbox_pending" not in doc

        records = await published(topic)
        assert [r.value for r in records] == [event.to_bytes()]
        assert records[0].key == b"c1"
        assert dict(records[0].headers)["event_type"] == b"FeedbackReceived"
    finally:
        await publisher.stop()
        await client.drop_database(f"{namespace}_outboxtest")
        await client.close()


async def test_events_handed_over_in_memory_are_published_in_order_and_a_racing_write_kept(
    namespace: str,
) -> None:
    """The relay publishes what a writer hands it without reading the document; an event
    queued meanwhile by someone it did not hear from (another instance) stays queued and
    goes out in the next round -- nothing lost, nothing cleared that was not published."""
    spec = TopicSpec(f"outbox-mem.{uuid.uuid4().hex[:6]}", "outbox test", partitions=1)
    await provision(KAFKA, namespace, [spec], auth=ADMIN_AUTH)
    topic = spec.full_name(namespace)
    client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(MONGO)
    collection = client[f"{namespace}_outboxmem"]["docs"]
    publisher = Publisher(KAFKA, client_id="outbox-mem-test", auth=ADMIN_AUTH)
    relay = OutboxRelay(publisher, collection)

    def event(n: int) -> Emit:
        payload = FeedbackReceived(platform="339901", satisfied=True, comment=f"#{n}")
        return Emit(topic, envelope(payload, source="t", case_id="c1"))

    first, second, stranger = event(1), event(2), event(3)
    try:
        for cause, emit in (("cause-1", first), ("cause-2", second)):
            assert await apply_once(collection, "c1", cause, {"$inc": {"n": 1}}, [emit])
            relay.written("c1", [emit])
        # Another instance queues an event on the same document; this relay is not told.
        assert await apply_once(collection, "c1", "cause-3", {"$inc": {"n": 1}}, [stranger])

        assert await relay.publish_pending() == 2  # from memory, in the order written
        doc = await collection.find_one({"_id": "c1"})
        assert doc is not None
        outbox = cast(list[dict[str, Any]], doc["outbox"])
        assert [e["event_id"] for e in outbox] == [stranger.event.event_id]
        assert doc["outbox_pending"] is True

        assert await relay.publish_pending() == 1  # the stranger's, read from the store
        doc = await collection.find_one({"_id": "c1"})
        assert doc is not None and doc["outbox"] == [] and "outbox_pending" not in doc

        values = [r.value for r in await published(topic)]
        assert values == [e.event.to_bytes() for e in (first, second, stranger)]
    finally:
        await publisher.stop()
        await client.drop_database(f"{namespace}_outboxmem")
        await client.close()


async def markers_left(collection: AsyncCollection[dict[str, Any]]) -> list[str]:
    """The document ids still marked as written and not yet published (the test reads the
    small markers collection whole; a service never does)."""
    pending = collection.database[f"{collection.name}_pending"]
    docs = await pending.find({}).to_list()
    return sorted(m.partition("|")[2] for doc in docs for m in doc.get("members", []))


class Filters(monitoring.CommandListener):
    """The filter of every command that selects documents, by collection."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, Any]] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        for f in _filters(event.command_name, event.command) or []:
            self.seen.append((str(event.command.get(event.command_name)), f))

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


def by_id(query: dict[str, Any]) -> bool:
    """A filter the store answers from its `_id` index: an id, or ids by `$in`."""
    key = query.get("_id")
    if isinstance(key, dict):
        return set(key) == {"$in"} and all(isinstance(v, str) for v in key["$in"])
    return isinstance(key, str)


@dataclass
class Setup:
    topic: str
    collection: AsyncCollection[dict[str, Any]]
    publisher: Publisher
    filters: Filters

    def emit(self, case_id: str, n: int = 1) -> Emit:
        payload = FeedbackReceived(platform="339901", satisfied=True, comment=f"#{n}")
        return Emit(self.topic, envelope(payload, source="t", case_id=case_id))

    def relay(self, grace_s: float = 0.0) -> OutboxRelay:
        return OutboxRelay(self.publisher, self.collection, grace_s=grace_s)


@pytest.fixture
async def setup(namespace: str) -> AsyncIterator[Setup]:
    spec = TopicSpec(f"outbox-sweep.{uuid.uuid4().hex[:6]}", "outbox test", partitions=1)
    await provision(KAFKA, namespace, [spec], auth=ADMIN_AUTH)
    filters = Filters()
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(MONGO, event_listeners=[filters])
    name = f"{namespace}_outbox{uuid.uuid4().hex[:6]}"
    publisher = Publisher(KAFKA, client_id="outbox-sweep-test", auth=ADMIN_AUTH)
    try:
        yield Setup(spec.full_name(namespace), client[name]["docs"], publisher, filters)
    finally:
        await publisher.stop()
        await client.drop_database(name)
        await client.close()


async def test_a_write_whose_process_died_is_published_by_the_sweep_reading_only_by_id(
    setup: Setup,
) -> None:
    """A write marked and stored, then the process dies before its relay publishes: another
    relay's sweep finds it by the marker, publishes it once and removes the marker. A marker
    whose write never happened (the process died in between) is dropped. Every query of the
    sweep is a lookup by `_id`."""
    collection = setup.collection
    relay = setup.relay()
    await relay.ensure_indexes()  # a fresh database: nothing to backfill
    crashed, never = setup.emit("c1"), setup.emit("c2")
    # "Crashed" writer: marked and written, never handed to a relay.
    await intend(collection, [("c1", [crashed])])
    await collection.update_one(
        {"_id": "c1"}, with_outbox({"$set": {"n": 1}}, [crashed]), upsert=True
    )
    # Died between the marker and the write.
    await intend(collection, [("c2", [never])])
    await collection.insert_one({"_id": "c2", "n": 0})
    assert await markers_left(collection) == ["c1", "c2"]

    setup.filters.seen.clear()
    assert await relay.sweep() == 1
    sent = setup.filters.seen
    assert sent, "the sweep sent no query"
    scanning = [(c, f) for c, f in sent if not by_id(f)]
    assert scanning == [], "sweep queries not by _id"

    assert [r.value for r in await published(setup.topic)] == [crashed.event.to_bytes()]
    doc = await collection.find_one({"_id": "c1"})
    assert doc is not None and doc["outbox"] == [] and "outbox_pending" not in doc
    assert await markers_left(collection) == []
    assert await relay.sweep() == 0  # nothing published twice


async def test_a_relay_publishing_what_it_was_handed_removes_the_markers(setup: Setup) -> None:
    """The markers hold only work in flight: once a write's events are out, its marker goes;
    a sweep inside the grace period leaves a just-written document to its writer's relay."""
    collection = setup.collection
    relay = setup.relay(grace_s=3600)
    await relay.ensure_indexes()
    first, second = setup.emit("c1", 1), setup.emit("c3", 2)
    assert await apply_once(collection, "c1", "cause-1", {"$inc": {"n": 1}}, [first])
    await intend(collection, [("c3", [second])])
    await collection.insert_one(inserted_with_outbox({"_id": "c3"}, [second]))
    assert await markers_left(collection) == ["c1", "c3"]

    assert await relay.sweep() == 0  # younger than the grace period: not the sweep's
    assert await markers_left(collection) == ["c1", "c3"]

    relay.written("c1", [first])
    relay.written("c3", [second])
    assert await relay.publish_pending() == 2
    assert await markers_left(collection) == []
    values = [r.value for r in await published(setup.topic)]
    assert values == [first.event.to_bytes(), second.event.to_bytes()]


async def test_documents_queued_before_the_markers_existed_are_published_once(
    setup: Setup,
) -> None:
    """A store from before the markers: a document with events queued and no marker is
    found by one scan at the first sweep, published once; later sweeps do not scan."""
    collection = setup.collection
    old = setup.emit("c9")
    await collection.insert_one(inserted_with_outbox({"_id": "c9"}, [old]))
    relay = setup.relay()
    await relay.ensure_indexes()  # the collection exists: older data may be queued
    assert await relay.sweep() == 1
    assert [r.value for r in await published(setup.topic)] == [old.event.to_bytes()]
    assert await markers_left(collection) == []

    later = setup.relay()  # a restart: the backfill is recorded as done in the store
    await later.ensure_indexes()
    setup.filters.seen.clear()
    assert await later.sweep() == 0
    assert all(by_id(f) for _, f in setup.filters.seen)
    assert len(await published(setup.topic)) == 1
