"""The service's producer for what it emits: the outbox relay's events and dead letters.

Idempotent with acks=all: a retried send never duplicates or reorders within a partition,
and nothing counts as published before every replica has it. aiokafka's idempotent
producer can stay unusable after a broker restart (every send fails with
OutOfOrderSequenceNumber), so after a failed send the producer is replaced by a new one --
a new producer id, fresh sequence numbers -- before anything is sent again.
"""

import asyncio
from typing import Any

import structlog
from aiokafka import AIOKafkaProducer

from concord_shared.kafka_auth import NO_AUTH, KafkaAuth

log = structlog.get_logger(__name__)


class Publisher:
    def __init__(self, bootstrap_servers: str, client_id: str, auth: KafkaAuth = NO_AUTH) -> None:
        self._settings: dict[str, Any] = {
            **auth.aiokafka(),
            "bootstrap_servers": bootstrap_servers,
            "client_id": client_id,
            "acks": "all",
            "enable_idempotence": True,
            "linger_ms": 2,
            "request_timeout_ms": 15_000,
        }
        self._producer: AIOKafkaProducer | None = None
        self._lock = asyncio.Lock()

    async def _started(self) -> AIOKafkaProducer:
        async with self._lock:
            if self._producer is None:
                producer = AIOKafkaProducer(**self._settings)
                try:
                    await producer.start()
                except Exception:
                    await producer.stop()
                    raise
                self._producer = producer
            return self._producer

    async def send(
        self, topic: str, value: bytes, *, key: bytes | None, headers: dict[str, str]
    ) -> "asyncio.Future[Any]":
        """Queue one record; the returned future completes when the broker has it."""
        producer = await self._started()
        future: asyncio.Future[Any] = await producer.send(
            topic, value, key=key, headers=[(k, v.encode()) for k, v in headers.items()]
        )
        return future

    async def reset(self, reason: BaseException) -> None:
        """Replace the producer after a failed send (see the module's docstring)."""
        async with self._lock:
            producer, self._producer = self._producer, None
        if producer is not None:
            log.warning("producer replaced after a failed send", error=repr(reason))
            try:
                await producer.stop()
            except Exception as exc:  # it is being thrown away; its state does not matter
                log.debug("old producer did not stop cleanly", error=repr(exc))

    async def stop(self) -> None:
        async with self._lock:
            producer, self._producer = self._producer, None
        if producer is not None:
            await producer.stop()
