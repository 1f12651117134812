"""The baseline: how fast the raw Kafka client moves messages the size of a CaseReceived on
this machine -- a producer and a consumer in separate processes, acks=all."""

from __future__ import annotations

import asyncio
import multiprocessing as mp
import time
from multiprocessing.queues import Queue
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from tests.support.stack import kafka_client_options


async def _produce(bootstrap: str, topic: str, count: int, size: int) -> float:
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        **kafka_client_options(),
        acks="all",
        enable_idempotence=True,
        linger_ms=5,
    )
    await producer.start()
    value = b"x" * size
    started = time.time()
    try:
        pending = []
        for n in range(count):
            pending.append(await producer.send(topic, value, key=str(n % 64).encode()))
            if len(pending) >= 1000:
                await asyncio.gather(*pending)
                pending.clear()
        await asyncio.gather(*pending)
    finally:
        await producer.stop()
    return started


async def _consume(bootstrap: str, topic: str, count: int, ready: Any) -> float:
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        **kafka_client_options(),
        auto_offset_reset="earliest",
        group_id=f"{topic}.b",
    )
    await consumer.start()
    try:
        while not consumer.assignment():
            await consumer.getmany(timeout_ms=100)
        ready.set()
        seen = 0
        while seen < count:
            batch = await consumer.getmany(timeout_ms=500, max_records=5000)
            seen += sum(len(records) for records in batch.values())
        return time.time()
    finally:
        await consumer.stop()


def _producer_main(bootstrap: str, topic: str, count: int, size: int, out: Queue[Any]) -> None:
    out.put(("started", asyncio.run(_produce(bootstrap, topic, count, size))))


def _consumer_main(bootstrap: str, topic: str, count: int, ready: Any, out: Queue[Any]) -> None:
    out.put(("finished", asyncio.run(_consume(bootstrap, topic, count, ready))))


def measure(bootstrap: str, topic: str, count: int, size: int) -> dict[str, float]:
    """Messages per second from the first send to the last message consumed."""
    ctx = mp.get_context("spawn")
    out: Queue[Any] = ctx.Queue()
    ready = ctx.Event()
    consumer = ctx.Process(target=_consumer_main, args=(bootstrap, topic, count, ready, out))
    consumer.start()
    if not ready.wait(60):
        consumer.kill()
        raise RuntimeError("baseline consumer did not join its group")
    producer = ctx.Process(target=_producer_main, args=(bootstrap, topic, count, size, out))
    producer.start()
    times = dict(out.get(timeout=600) for _ in range(2))
    producer.join()
    consumer.join()
    elapsed = times["finished"] - times["started"]
    return {"messages": count, "bytes": size, "seconds": elapsed, "per_s": count / elapsed}
