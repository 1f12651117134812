"""Reading and writing the real broker's topics from tests."""

import asyncio
import json
from collections.abc import Callable
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from concord_shared.letter_seal import cli_seal
from concord_shared.topics import dead_letter_topic

from tests.support.stack import KAFKA, kafka_client_options


async def send(topic: str, values: list[bytes], key: bytes = b"test", **kw: Any) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=KAFKA, **kafka_client_options(), acks="all")
    await producer.start()
    try:
        for value in values:
            await producer.send_and_wait(topic, value, key=key, **kw)
    finally:
        await producer.stop()


def original_of(letter: dict[str, Any]) -> bytes:
    """A dead letter's original bytes, opened as an operator opens them (the services of a
    test session seal with the development key)."""
    return cli_seal().open(letter["original_value_sealed"])


def dead_letter_in(value: bytes | None) -> dict[str, Any] | None:
    """The payload of a dead letter; None for another record on a dead-letter topic (the
    access tests plant markers there to see who may read it)."""
    try:
        payload = json.loads(value or b"")["payload"]
    except (ValueError, KeyError, TypeError):
        return None
    return payload if isinstance(payload, dict) else None


async def dead_letters_for(
    namespace: str, service: str, originals: list[bytes], polls: int = 60
) -> dict[bytes, dict[str, Any]]:
    """The dead-letter payloads of `service` whose original bytes are among `originals`."""
    consumer = AIOKafkaConsumer(
        dead_letter_topic(service).full_name(namespace),
        bootstrap_servers=KAFKA,
        **kafka_client_options(),
        auto_offset_reset="earliest",
    )
    await consumer.start()
    found: dict[bytes, dict[str, Any]] = {}
    try:
        for _ in range(polls):
            batch = await consumer.getmany(timeout_ms=500)
            for record in (r for rs in batch.values() for r in rs):
                letter = dead_letter_in(record.value)
                if letter is None:
                    continue
                original = original_of(letter)
                if letter.get("truncated"):  # only the head of a huge message is kept
                    original = next((o for o in originals if o.startswith(original)), original)
                if original in originals:
                    found[original] = letter
            if len(found) == len(set(originals)):
                break
    finally:
        await consumer.stop()
    return found


async def events_on(
    topics: list[str],
    case_ids: set[str],
    *,
    until: Callable[[list[dict[str, Any]]], bool],
    within: float = 30.0,
) -> list[dict[str, Any]]:
    """Every event on `topics` (from the start) for the given cases, read until `until`
    holds for them or `within` seconds passed; the caller asserts on what came. Delivery is
    at least once, so like every subscriber this deduplicates on the event id."""
    consumer = AIOKafkaConsumer(
        *topics, bootstrap_servers=KAFKA, **kafka_client_options(), auto_offset_reset="earliest"
    )
    await consumer.start()
    found: list[dict[str, Any]] = []
    seen: set[str] = set()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    try:
        while loop.time() < deadline:
            batch = await consumer.getmany(timeout_ms=300)
            for record in (r for rs in batch.values() for r in rs):
                try:
                    event = json.loads(record.value)
                except ValueError:
                    continue  # garbage other tests planted on purpose
                if not isinstance(event, dict) or "event_id" not in event:
                    continue
                if event.get("case_id") in case_ids and event["event_id"] not in seen:
                    seen.add(event["event_id"])
                    found.append({**event, "topic": record.topic})
            if until(found):
                break
    finally:
        await consumer.stop()
    return found


async def group_members(group_id: str) -> int:
    """Members of a stable consumer group (0 while it rebalances)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=KAFKA, **kafka_client_options())
    await admin.start()
    try:
        [response] = await admin.describe_consumer_groups([group_id])
        _error, _group, state, _ptype, _protocol, members, *_ = response.groups[0]
        return len(members) if state == "Stable" else 0
    finally:
        await admin.close()
