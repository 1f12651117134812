"""Consuming events: decode, dispatch by type, retry, dead-letter; commit only after the work.

FastStream's Kafka default acknowledges before the handler runs (at-most-once). Here every
subscriber uses ``AckPolicy.NACK_ON_ERROR`` on a batch: offsets are committed after the whole
batch was handled and stored; if the store or the broker is away the batch is rewound and
delivered again (handlers deduplicate on event id). A message that can never be handled --
not JSON, the wrong schema, a handler that keeps failing -- goes to ``<ns>.dlq.<service>``
with the reason and the original bytes, and the partition moves on.
"""

import asyncio
import dataclasses
from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from typing import Any, TypeAlias

import structlog
from aiokafka import ConsumerRecord
from aiokafka.errors import KafkaError
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from faststream.message import StreamMessage

from concord_shared.codec import Undecodable, UnknownType, decode
from concord_shared.envelope import Envelope, envelope
from concord_shared.events import DeadLettered
from concord_shared.letter_seal import LetterSeal
from concord_shared.metrics import DEAD_LETTERS, HANDLER_SECONDS, MESSAGES
from concord_shared.outbox import Emit
from concord_shared.publisher import Publisher
from concord_shared.redaction import redact
from concord_shared.store import TRANSIENT_STORE_ERRORS, is_store_busy
from concord_shared.tracing import span_from

log = structlog.get_logger(__name__)

Record: TypeAlias = ConsumerRecord[bytes, bytes]
# What a record's bytes turned out to be.
Decoded: TypeAlias = Envelope[Any] | UnknownType | Undecodable
Handler = Callable[[Envelope[Any]], Awaitable[None]]
# Handles many events of one type at once (one store round trip for all, not one each) and
# says, for each in order, None or why it is Unprocessable. Only for events whose order
# among others does not matter: commands that each start a case of their own.
BatchHandler = Callable[[list[Envelope[Any]]], Awaitable[list["Unprocessable | None"]]]
# Told of each record dead-lettered (with the reason and the redacted error): the events to
# publish because of it, e.g. telling the sender its message was refused. Published right
# after the dead letter, before the offset is committed.
DeadLetterHook = Callable[[Record, str, str], Awaitable[Sequence[Emit]]]
BATCH_CHUNK = 100  # events handed to a batch handler at once

# Failures that say "try again later", never "this message is bad".
TRANSIENT_ERRORS = (*TRANSIENT_STORE_ERRORS, KafkaError, ConnectionError, asyncio.TimeoutError)
DLQ_MAX_ORIGINAL_BYTES = 256 * 1024


def is_transient(exc: BaseException) -> bool:
    """A failure that says "try again later", never "this message is bad"."""
    return isinstance(exc, TRANSIENT_ERRORS) or (isinstance(exc, Exception) and is_store_busy(exc))


class Unprocessable(Exception):
    """Raised by a handler for a message that is wrong in itself (retrying cannot help):
    it is dead-lettered at once with this reason and detail."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


class EventConsumer:
    """One service's subscriptions: a table from event type to handler."""

    def __init__(
        self,
        broker: KafkaBroker,
        *,
        service: str,
        dead_letter_topic: str,
        handlers: Mapping[str, Handler],
        batch_handlers: Mapping[str, BatchHandler] | None = None,
        publisher: Publisher,
        seal: LetterSeal,
        attempts: int = 3,
        backoff_s: float = 0.2,
        concurrency: int = 32,
        on_dead_letter: DeadLetterHook | None = None,
    ) -> None:
        self._broker = broker
        self._on_dead_letter = on_dead_letter
        self._publisher = publisher
        self._service = service
        self._dead_letter_topic = dead_letter_topic
        self._seal = seal  # a dead letter's original bytes are never kept in clear
        self._handlers = dict(handlers)
        self._batch_handlers = dict(batch_handlers or {})
        # A batch that fails for a reason other than an outage is handled one by one.
        assert set(self._batch_handlers) <= set(self._handlers), (
            "a batch handler needs a single one"
        )
        self._attempts = attempts
        self._backoff_s = backoff_s
        self.dead_lettered = 0
        self._subscribers: list[Any] = []
        # Cases handled at once within a batch; bounded so as not to exhaust the store's
        # connection pool.
        self._concurrency = asyncio.Semaphore(concurrency)

    def subscribe(
        self, topics: list[str], *, group_id: str, max_records: int = 200, poll_ms: int = 20
    ) -> None:
        """A Kafka consumer for `topics` in the service's group. Called again with other
        topics, another consumer: a lane of its own, so a backlog on one (the busy case log,
        say) never holds up the other (new submissions)."""
        subscriber = self._broker.subscriber(
            *topics,
            group_id=group_id,
            batch=True,
            max_records=max_records,
            batch_timeout_ms=poll_ms,
            auto_offset_reset="earliest",
            ack_policy=AckPolicy.NACK_ON_ERROR,
            parser=_tolerant_parser,
            decoder=_no_decoding,
        )

        async def on_batch(message: KafkaMessage) -> None:
            await self.on_batch(message)

        subscriber(on_batch)
        self._subscribers.append(subscriber)

    async def lag(self) -> dict[str, int] | None:
        """Records waiting on this instance's partitions (end offset minus position), or
        None before the consumer has joined its group and fetched."""
        consumers = self._consumers()
        if any(c is None for c in consumers):
            return None
        partitions = await _waiting(consumers)
        return {"records": sum(w for _, _, w in partitions), "partitions": len(partitions)}

    async def lag_by_partition(self) -> list[tuple[str, int, int]]:
        """(topic, partition, records waiting) of each partition this instance holds."""
        return await _waiting([c for c in self._consumers() if c is not None])

    def _consumers(self) -> list[Any]:
        """Each lane's Kafka consumer; None for a lane not started yet."""
        return [getattr(s, "consumer", None) for s in self._subscribers]

    async def on_batch(self, message: KafkaMessage) -> None:
        """Handle a batch: the records of one key (one case) in order, different cases side
        by side -- the store's round trips of one case overlap with another's; events with a
        batch handler together, in chunks (one bulk write for many, not a write each)."""
        records: tuple[ConsumerRecord[bytes, bytes], ...] = message.raw_message
        by_key: dict[bytes | None, list[tuple[Record, Decoded]]] = {}
        together: dict[str, list[tuple[Record, Envelope[Any]]]] = {}
        for record in records:
            decoded = _decode(record)
            if isinstance(decoded, Envelope) and decoded.type in self._batch_handlers:
                together.setdefault(decoded.type, []).append((record, decoded))
            else:
                by_key.setdefault(record.key, []).append((record, decoded))
        try:
            results = await asyncio.gather(
                *(
                    self._together(kind[i : i + BATCH_CHUNK])
                    for kind in together.values()
                    for i in range(0, len(kind), BATCH_CHUNK)
                ),
                *(self._in_order(keyed) for keyed in by_key.values()),
                return_exceptions=True,
            )
            failures = [r for r in results if isinstance(r, BaseException)]
            if failures:
                # A transient failure anywhere rewinds the whole batch (what was stored is
                # deduplicated when it comes again); any other failure is raised as it is.
                raise next((f for f in failures if not is_transient(f)), failures[0])
        except Exception as exc:
            if not is_transient(exc):
                raise
            # Rewind and try the batch again; pause first so an outage is not a hot loop.
            log.warning("transient failure, batch will be redelivered", error=repr(exc))
            await asyncio.sleep(1.0)
            raise

    async def _together(self, items: list[tuple[Record, Envelope[Any]]]) -> None:
        """Events of one type through their batch handler; if it fails for a reason other
        than an outage, each goes the single way, with its retries and dead letter."""
        event_type = items[0][1].type
        handler = self._batch_handlers[event_type]
        with span_from(f"handle {event_type} batch", record_headers(items[0][0]), size=len(items)):
            await self._together_traced(handler, event_type, items)

    async def _together_traced(
        self, handler: BatchHandler, event_type: str, items: list[tuple[Record, Envelope[Any]]]
    ) -> None:
        try:
            with HANDLER_SECONDS.labels(self._service, event_type).time():
                outcomes = await handler([event for _, event in items])
        except Exception as exc:
            if is_transient(exc):
                raise
            log.warning("batch handler failed, handling one by one", error=repr(exc))
            for record, event in items:
                await self.process(record, event)
            return
        handled = sum(1 for outcome in outcomes if outcome is None)
        MESSAGES.labels(self._service, event_type, "handled").inc(handled)
        for (record, event), outcome in zip(items, outcomes, strict=True):
            if outcome is not None:
                with about(event):
                    await self.dead_letter(record, outcome.reason, outcome.detail, attempts=1)

    async def _in_order(self, items: list[tuple[Record, Decoded]]) -> None:
        async with self._concurrency:
            for record, decoded in items:
                await self.process(record, decoded)

    async def process(self, record: Record, decoded: Decoded | None = None) -> None:
        if decoded is None:
            decoded = _decode(record)
        if isinstance(decoded, Undecodable):
            await self.dead_letter(record, decoded.reason, decoded.error, attempts=0)
            return
        if isinstance(decoded, UnknownType):
            log.info("skipped unknown event type", event_type=decoded.type, topic=record.topic)
            return
        handler = self._handlers.get(decoded.type)
        if handler is None:
            return  # a known event that this service does not act on
        with (
            about(decoded),
            span_from(
                f"handle {decoded.type}",
                record_headers(record),
                **{"messaging.destination.name": record.topic, "concord.case_id": decoded.case_id},
            ),
        ):
            await self._handle_with_retries(handler, decoded, record)

    async def _handle_with_retries(
        self, handler: Handler, event: Envelope[Any], record: ConsumerRecord[bytes, bytes]
    ) -> None:
        for attempt in range(1, self._attempts + 1):
            try:
                with HANDLER_SECONDS.labels(self._service, event.type).time():
                    await handler(event)
                MESSAGES.labels(self._service, event.type, "handled").inc()
                return
            except Unprocessable as exc:
                await self.dead_letter(record, exc.reason, exc.detail, attempts=attempt)
                return
            except Exception as exc:
                if is_transient(exc):
                    raise  # the store or broker is away, or busy: the batch is tried again
                if attempt == self._attempts:
                    log.error("handler failed, dead-lettering", error=repr(exc), attempts=attempt)
                    await self.dead_letter(record, "handler_failed", repr(exc), attempts=attempt)
                    return
                log.warning("handler failed, retrying", error=repr(exc), attempt=attempt)
                await asyncio.sleep(self._backoff_s * 2 ** (attempt - 1))

    async def dead_letter(
        self, record: ConsumerRecord[bytes, bytes], reason: str, error: str, *, attempts: int
    ) -> None:
        value = record.value or b""
        key = _text(record.key)
        error = redact(error[:4000])
        payload = DeadLettered(
            service=self._service,
            reason=reason,
            error=error,
            original_topic=record.topic,
            original_partition=record.partition,
            original_offset=record.offset,
            original_key=key,
            original_headers=record_headers(record),
            original_value_sealed=self._seal.seal(value[:DLQ_MAX_ORIGINAL_BYTES]),
            original_size=len(value),
            truncated=len(value) > DLQ_MAX_ORIGINAL_BYTES,
            attempts=attempts,
        )
        event = envelope(payload, source=self._service, case_id=key or "unknown")
        told = await self._on_dead_letter(record, reason, error) if self._on_dead_letter else []
        try:
            outgoing = [(self._dead_letter_topic, event), *((t.topic, t.event) for t in told)]
            for topic, out in outgoing:
                await (
                    await self._publisher.send(
                        topic, out.to_bytes(), key=out.case_id.encode(), headers=out.headers()
                    )
                )
        except KafkaError as exc:
            await self._publisher.reset(exc)
            raise
        self.dead_lettered += 1
        event_type = payload.original_headers.get("event_type") or "unknown"
        MESSAGES.labels(self._service, event_type, "dead_lettered").inc()
        DEAD_LETTERS.labels(self._service, reason).inc()
        log.warning(
            "dead-lettered",
            reason=reason,
            topic=record.topic,
            partition=record.partition,
            offset=record.offset,
        )


def about(event: Envelope[Any]) -> AbstractContextManager[None]:
    """Log lines written while handling `event` name it (a batch handler uses it per event)."""
    return structlog.contextvars.bound_contextvars(
        case_id=event.case_id,
        event_id=event.event_id,
        correlation_id=event.correlation_id,
        event_type=event.type,
    )


def _decode(record: Record) -> Decoded:
    try:
        return decode(record.value)
    except Undecodable as exc:
        return exc


async def _waiting(consumers: list[Any]) -> list[tuple[str, int, int]]:
    """(topic, partition, end offset minus position) of the consumers' partitions whose end
    offset they have fetched."""
    found = []
    for consumer in consumers:
        for tp in consumer.assignment():
            end = consumer.highwater(tp)
            if end is not None:
                found.append((tp.topic, tp.partition, max(0, end - await consumer.position(tp))))
    return found


def record_headers(record: Record) -> dict[str, str]:
    return {k: _text(v) or "" for k, v in record.headers}


def _text(raw: bytes | None) -> str | None:
    return raw.decode("utf-8", errors="replace") if raw is not None else None


async def _tolerant_parser(
    records: tuple[ConsumerRecord[bytes, bytes], ...],
    original: Callable[[Any], Awaitable[StreamMessage[Any]]],
) -> StreamMessage[Any]:
    """FastStream decodes headers as strict UTF-8; one bad header must not stall a partition."""
    try:
        return await original(records)
    except UnicodeDecodeError:
        cleaned = tuple(
            dataclasses.replace(r, headers=[(k, (_text(v) or "").encode()) for k, v in r.headers])
            for r in records
        )
        return await original(cleaned)


async def _no_decoding(message: StreamMessage[Any], original: Any) -> None:
    """Bodies are decoded per record by `decode`, with a reason for every refusal."""
    return None
