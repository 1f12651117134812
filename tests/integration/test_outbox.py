"""The outbox on the real store and broker: one atomic write, published once, deduplicated."""

import uuid

import pytest
from aiokafka import AIOKafkaConsumer, ConsumerRecord
from concord_shared.envelope import envelope
from concord_shared.events import FeedbackReceived
from concord_shared.outbox import Emit, OutboxRelay, apply_once
from concord_shared.provision import provision
from concord_shared.publisher import Publisher
from concord_shared.topics import TopicSpec
from pymongo import AsyncMongoClient

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
        assert [e["event_id"] for e in doc["outbox"]] == [stranger.event.event_id]  # type: ignore[union-attr]
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
