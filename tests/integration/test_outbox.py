"""The outbox on the real store and broker: one atomic write, published once, deduplicated."""

import uuid

import pytest
from aiokafka import AIOKafkaConsumer
from concord_shared.envelope import envelope
from concord_shared.events import FeedbackReceived
from concord_shared.outbox import Emit, OutboxRelay, apply_once
from concord_shared.provision import provision
from concord_shared.publisher import Publisher
from concord_shared.topics import TopicSpec
from pymongo import AsyncMongoClient

from tests.support.stack import KAFKA, MONGO

pytestmark = pytest.mark.real


async def test_a_change_and_its_events_are_written_once_and_published(namespace: str) -> None:
    spec = TopicSpec(f"outbox-check.{uuid.uuid4().hex[:6]}", "outbox test", partitions=1)
    await provision(KAFKA, namespace, [spec])
    topic = spec.full_name(namespace)
    client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(MONGO)
    collection = client[f"{namespace}_outboxtest"]["docs"]
    publisher = Publisher(KAFKA, client_id="outbox-test")
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

        consumer = AIOKafkaConsumer(topic, bootstrap_servers=KAFKA, auto_offset_reset="earliest")
        await consumer.start()
        try:
            batch = await consumer.getmany(timeout_ms=5000)
        finally:
            await consumer.stop()
        records = [r for rs in batch.values() for r in rs]
        assert [r.value for r in records] == [event.to_bytes()]
        assert records[0].key == b"c1"
        assert dict(records[0].headers)["event_type"] == b"FeedbackReceived"
    finally:
        await publisher.stop()
        await client.drop_database(f"{namespace}_outboxtest")
        await client.close()
