"""Reading and writing the real broker's topics from tests."""

import base64
import json
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from concord_shared.topics import dead_letter_topic

from tests.support.stack import KAFKA


async def send(topic: str, values: list[bytes], key: bytes = b"test", **kw: Any) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=KAFKA, acks="all")
    await producer.start()
    try:
        for value in values:
            await producer.send_and_wait(topic, value, key=key, **kw)
    finally:
        await producer.stop()


async def dead_letters_for(
    namespace: str, service: str, originals: list[bytes], polls: int = 60
) -> dict[bytes, dict[str, Any]]:
    """The dead-letter payloads of `service` whose original bytes are among `originals`."""
    consumer = AIOKafkaConsumer(
        dead_letter_topic(service).full_name(namespace),
        bootstrap_servers=KAFKA,
        auto_offset_reset="earliest",
    )
    await consumer.start()
    found: dict[bytes, dict[str, Any]] = {}
    try:
        for _ in range(polls):
            batch = await consumer.getmany(timeout_ms=500)
            for record in (r for rs in batch.values() for r in rs):
                letter = json.loads(record.value)["payload"]
                original = base64.b64decode(letter["original_value_b64"])
                if original in originals:
                    found[original] = letter
            if len(found) == len(set(originals)):
                break
    finally:
        await consumer.stop()
    return found
