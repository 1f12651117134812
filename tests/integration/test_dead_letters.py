"""Bad messages on a consumed topic are dead-lettered with a reason; the partition moves on."""

import base64
import json

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from concord_shared.topics import CASE_EVENTS, dead_letter_topic

from tests.support.stack import KAFKA, Services

pytestmark = pytest.mark.real


async def test_garbage_on_the_case_log_is_dead_lettered_by_routing(services: Services) -> None:
    topic = CASE_EVENTS.full_name(services.namespace)
    bad = {
        b"\x00\xffnot json at all": "not_json",
        b'["an", "array"]': "not_an_object",
        json.dumps({"type": "CaseReceived", "payload": {"kind": "nonsense"}}).encode(): "invalid",
    }
    producer = AIOKafkaProducer(bootstrap_servers=KAFKA, acks="all")
    await producer.start()
    try:
        for value in bad:
            await producer.send_and_wait(topic, value, key=b"poison", partition=0)
    finally:
        await producer.stop()

    consumer = AIOKafkaConsumer(
        dead_letter_topic("routing").full_name(services.namespace),
        bootstrap_servers=KAFKA,
        auto_offset_reset="earliest",
    )
    await consumer.start()
    found: dict[bytes, dict] = {}  # type: ignore[type-arg]
    try:
        for _ in range(60):
            batch = await consumer.getmany(timeout_ms=500)
            for record in (r for rs in batch.values() for r in rs):
                letter = json.loads(record.value)["payload"]
                original = base64.b64decode(letter["original_value_b64"])
                if original in bad:
                    found[original] = letter
            if len(found) == len(bad):
                break
    finally:
        await consumer.stop()
    assert {v: found[v]["reason"] for v in found} == bad
    letter = found[next(iter(bad))]
    assert letter["original_topic"] == topic and letter["original_partition"] == 0
    assert letter["service"] == "routing"
    assert "payload.kind" in found[list(bad)[2]]["error"]
