"""Notification's consumer: the shared one, with a batch's cases handled side by side.

Planning a notice waits on intake (the citizen's contact) and on the store; one record
after another, a burst (a bulk import of letters means a receipt each) would queue for
minutes. Records of one case (one Kafka key) still run in order, one at a time -- the
case's index document has a single writer (see adapters/delivery_log.py) -- while
different cases run concurrently. As in the shared consumer, offsets are committed only
after the whole batch; a transient failure rewinds the batch (handlers deduplicate).
"""

import asyncio
from collections import defaultdict
from collections.abc import Mapping, Sequence

import structlog
from aiokafka import ConsumerRecord
from concord_shared.consumer import EventConsumer, Handler, is_transient
from concord_shared.service import ServiceRuntime
from concord_shared.topics import TopicSpec, dead_letter_topic
from faststream.kafka.annotations import KafkaMessage

log = structlog.get_logger(__name__)


class CaseParallelConsumer(EventConsumer):
    concurrency = 32

    async def on_batch(self, message: KafkaMessage) -> None:
        records: tuple[ConsumerRecord[bytes, bytes], ...] = message.raw_message
        by_case: dict[bytes | None, list[ConsumerRecord[bytes, bytes]]] = defaultdict(list)
        for record in records:
            by_case[record.key].append(record)
        slots = asyncio.Semaphore(self.concurrency)

        async def in_order(group: list[ConsumerRecord[bytes, bytes]]) -> None:
            async with slots:
                for record in group:
                    await self.process(record)

        outcomes = await asyncio.gather(
            *(in_order(g) for g in by_case.values()), return_exceptions=True
        )
        failures = [o for o in outcomes if isinstance(o, BaseException)]
        if not failures:
            return
        if not all(is_transient(f) for f in failures):
            raise next(f for f in failures if not is_transient(f))
        log.warning("transient failure, batch will be redelivered", error=repr(failures[0]))
        await asyncio.sleep(1.0)
        raise failures[0]


def subscribe_by_case(
    runtime: ServiceRuntime, topics: Sequence[TopicSpec], handlers: Mapping[str, Handler]
) -> CaseParallelConsumer:
    """Like concord_shared.service.subscribe, with the case-parallel consumer."""
    consumer = CaseParallelConsumer(
        runtime.broker,
        service=runtime.service,
        dead_letter_topic=runtime.topic(dead_letter_topic(runtime.service)),
        handlers=handlers,
        attempts=runtime.settings.handler_attempts,
        backoff_s=runtime.settings.handler_backoff_s,
    )
    consumer.subscribe(
        [runtime.topic(t) for t in topics],
        group_id=runtime.group_id,
        max_records=runtime.settings.consume_max_records,
    )
    runtime.consumer = consumer
    return consumer
