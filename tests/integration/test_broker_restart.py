"""The local broker keeps its messages across a restart: its data directory persists."""

import asyncio
import subprocess
import uuid

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from concord_shared.provision import provision
from concord_shared.topics import TopicSpec

from tests.support.stack import ADMIN_AUTH, KAFKA, STACK_SH, kafka_client_options, port_open

pytestmark = pytest.mark.real


async def _read_all(topic: str, expected: int) -> list[bytes]:
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=KAFKA,
        **kafka_client_options(),
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    values: list[bytes] = []
    try:
        for _ in range(100):
            batch = await consumer.getmany(timeout_ms=500)
            values += [r.value for records in batch.values() for r in records if r.value]
            if len(values) >= expected:
                break
    finally:
        await consumer.stop()
    return values


async def test_messages_survive_a_broker_restart(namespace: str) -> None:
    status = await asyncio.to_thread(
        subprocess.run, [str(STACK_SH), "status"], capture_output=True, text=True
    )
    if "kafka     running" not in status.stdout:
        pytest.skip("the broker was not started by deploy/local/stack.sh; cannot restart it")
    topic_spec = TopicSpec(f"restart-check.{uuid.uuid4().hex[:6]}", "restart test", partitions=2)
    await provision(KAFKA, namespace, [topic_spec], auth=ADMIN_AUTH)
    topic = topic_spec.full_name(namespace)
    sent = [f"message {i} 消息".encode() for i in range(50)]
    producer = AIOKafkaProducer(
        bootstrap_servers=KAFKA, **kafka_client_options(), acks="all", enable_idempotence=True
    )
    await producer.start()
    try:
        for value in sent:
            await producer.send_and_wait(topic, value, key=value[-4:])
    finally:
        await producer.stop()

    await asyncio.to_thread(subprocess.run, [str(STACK_SH), "stop-kafka"], check=True)
    assert not port_open(9092)
    await asyncio.to_thread(subprocess.run, [str(STACK_SH), "start-kafka"], check=True)

    received = await _read_all(topic, len(sent))
    assert sorted(received) == sorted(sent)
