"""Bad messages on a consumed topic are dead-lettered with a reason; the partition moves on."""

import base64
import json
from functools import partial

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from concord_shared.topics import CASE_EVENTS, dead_letter_topic

from tests.support.cases import neighbour_dispute
from tests.support.kafka import dead_letters_for, send
from tests.support.routing import all_routed
from tests.support.stack import AUTH, KAFKA, Services
from tests.support.wait import eventually

pytestmark = pytest.mark.real


async def test_garbage_on_the_case_log_is_dead_lettered_by_routing(services: Services) -> None:
    topic = CASE_EVENTS.full_name(services.namespace)
    bad = {
        b"\x00\xffnot json at all": "not_json",
        b'["an", "array"]': "not_an_object",
        json.dumps({"type": "CaseReceived", "payload": {"kind": "nonsense"}}).encode(): "invalid",
    }
    await send(topic, list(bad), key=b"poison", partition=0)
    found = await dead_letters_for(services.namespace, "routing", list(bad))
    assert {v: found[v]["reason"] for v in found} == bad
    letter = found[next(iter(bad))]
    assert letter["original_topic"] == topic and letter["original_partition"] == 0
    assert letter["service"] == "routing"
    assert "payload.kind" in found[list(bad)[2]]["error"]


async def test_an_unknown_event_type_is_skipped_and_the_partition_moves_on(
    services: Services,
) -> None:
    topic = CASE_EVENTS.full_name(services.namespace)
    unknown = json.dumps({"type": "SomethingFromTheFuture", "event_id": "f-1"}).encode()
    producer = AIOKafkaProducer(bootstrap_servers=KAFKA, acks="all")
    await producer.start()
    try:
        for partition in range(CASE_EVENTS.partitions):
            await producer.send_and_wait(topic, b"\x00garbage", partition=partition)
            await producer.send_and_wait(topic, unknown, partition=partition)
    finally:
        await producer.stop()
    # Whatever partition the next case lands on, routing must get past the bad messages.
    async with httpx.AsyncClient(timeout=10, headers=AUTH) as http:
        case_ids = [
            (await http.post(f"{services['intake'].url}/cases", json=neighbour_dispute())).json()[
                "case_id"
            ]
            for _ in range(6)
        ]

        assert await eventually(partial(all_routed, http, services["routing"].url, case_ids))

    consumer = AIOKafkaConsumer(
        dead_letter_topic("routing").full_name(services.namespace),
        bootstrap_servers=KAFKA,
        auto_offset_reset="earliest",
    )
    await consumer.start()
    try:
        batch = await consumer.getmany(timeout_ms=3000)
    finally:
        await consumer.stop()
    originals = [
        base64.b64decode(json.loads(r.value)["payload"]["original_value_b64"])
        for rs in batch.values()
        for r in rs
    ]
    assert unknown not in originals  # skipped, not dead-lettered
