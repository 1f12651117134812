"""Bad messages on a consumed topic are dead-lettered with a reason; the partition moves on."""

import json
from functools import partial

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from concord_shared.topics import CASE_EVENTS, INTAKE_SUBMISSIONS, dead_letter_topic

from tests.support.cases import neighbour_dispute, unique_phone, valid_id_number
from tests.support.kafka import dead_letter_in, dead_letters_for, original_of, send
from tests.support.routing import all_routed
from tests.support.stack import AUTH, KAFKA, Services, kafka_client_options
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
    producer = AIOKafkaProducer(bootstrap_servers=KAFKA, **kafka_client_options(), acks="all")
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
        **kafka_client_options(),
        auto_offset_reset="earliest",
    )
    await consumer.start()
    try:
        batch = await consumer.getmany(timeout_ms=3000)
    finally:
        await consumer.stop()
    letters = [dead_letter_in(r.value) for rs in batch.values() for r in rs]
    originals = [original_of(letter) for letter in letters if letter is not None]
    assert unknown not in originals  # skipped, not dead-lettered


async def test_a_dead_letter_keeps_no_personal_data_in_clear_and_only_a_week(
    services: Services,
) -> None:
    """A refused submission with a name, a phone and an identity number: its letter on the
    topic holds none of them readably, the operator's key opens it, and the topic keeps
    letters 7 days."""
    ns = services.namespace
    name, phone, id_number = "欧阳死信人", unique_phone(), valid_id_number("33990119790312456")
    case = neighbour_dispute(
        description=f"联系{name}，电话{phone}，身份证{id_number}",
        parties=[{"name": name, "phone": phone, "id_number": id_number}],
    )
    case["category"] = "no_such_category"  # refused by intake: dead-lettered
    poison = json.dumps(
        {
            "type": "SubmitCase",
            "payload": {"source_system": "dlq-test", "source_ref": phone, "case": case},
        },
        ensure_ascii=False,
    ).encode()
    await send(INTAKE_SUBMISSIONS.full_name(ns), [poison], key=b"dlq-privacy")
    letter = (await dead_letters_for(ns, "intake", [poison]))[poison]
    assert original_of(letter) == poison  # the operator's key opens it, byte for byte
    raw = json.dumps(letter, ensure_ascii=False)
    for secret in (name, phone, id_number):
        assert secret not in raw, f"{secret} readable in the dead letter"
    assert "original_value_b64" not in letter

    admin = AIOKafkaAdminClient(bootstrap_servers=KAFKA, **kafka_client_options())
    await admin.start()
    try:
        [described] = await admin.describe_configs(
            [ConfigResource(ConfigResourceType.TOPIC, dead_letter_topic("intake").full_name(ns))]
        )
    finally:
        await admin.close()
    configs = {c[0]: c[1] for c in described.resources[0][4]}
    assert configs["retention.ms"] == str(7 * 24 * 60 * 60 * 1000)
