"""What every Concord service process is made of, wired the same way.

A FastAPI app serves health, readiness and the service's own API; its lifespan starts the
Kafka broker (FastStream's FastAPI plugin is deprecated since 0.7) and the outbox relay.
"""

import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Protocol, TypeVar

import structlog
import uvicorn
from fastapi import APIRouter, FastAPI
from fastapi.responses import JSONResponse, Response
from faststream.kafka import KafkaBroker
from pymongo.asynchronous.database import AsyncDatabase

from concord_shared.broker import make_broker
from concord_shared.catalog import lanes, subscribed_events
from concord_shared.consumer import (
    BatchHandler,
    DeadLetterHook,
    EventConsumer,
    Handler,
    Unprocessable,
)
from concord_shared.envelope import Envelope, EventPayload
from concord_shared.http_docs import install_local_docs
from concord_shared.http_guards import MAX_BODY_BYTES, install_http_guards
from concord_shared.kafka_auth import KafkaAuth
from concord_shared.letter_seal import DeadLetterKeyRefused, LetterSeal, letter_seal
from concord_shared.logging import configure_logging
from concord_shared.metrics import CONSUMER_LAG, exposition, http_metrics
from concord_shared.outbox import Outbox, OutboxRelay
from concord_shared.publisher import Publisher
from concord_shared.settings import ServiceSettings
from concord_shared.startup_secrets import DevelopmentSecret
from concord_shared.store import Document, connect, ping
from concord_shared.topics import TopicSpec, dead_letter_topic
from concord_shared.tracing import configure_tracing

log = structlog.get_logger(__name__)


@dataclass
class ServiceRuntime:
    """The adapters a service's handlers are given: settings, store, broker, relay."""

    service: str
    settings: ServiceSettings
    db: AsyncDatabase[Document]
    broker: KafkaBroker
    relay: OutboxRelay
    publisher: Publisher
    seal: LetterSeal  # seals dead letters' original bytes
    consumer: EventConsumer | None = None
    startup: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    shutdown: list[Callable[[], Awaitable[None]]] = field(default_factory=list)

    def topic(self, spec: TopicSpec) -> str:
        return spec.full_name(self.settings.topic_namespace)

    @property
    def outbox(self) -> Outbox:
        """The service's one way to emit: its namespace, its name, this relay."""
        return Outbox(self.settings.topic_namespace, self.service, self.relay.written)

    @property
    def group_id(self) -> str:
        return f"{self.settings.topic_namespace}.{self.service}"


def build_runtime(
    service: str,
    settings: ServiceSettings,
    outbox_collection: str,
) -> ServiceRuntime:
    db = connect(settings, service)
    broker = make_broker(settings, service)
    publisher = Publisher(
        settings.kafka_bootstrap_servers,
        client_id=f"concord-{service}",
        auth=KafkaAuth.of(settings),
    )
    relay = OutboxRelay(
        publisher,
        db[outbox_collection],
        sweep_interval_s=settings.outbox_sweep_interval_s,
        service=service,
    )
    return ServiceRuntime(
        service=service,
        settings=settings,
        db=db,
        broker=broker,
        relay=relay,
        publisher=publisher,
        seal=letter_seal(development=settings.development),
    )


Target = TypeVar("Target")
# A service's handlers, one module-level table: the payload class -> the method handling it.
HandlerTable = Mapping[type[EventPayload], Callable[[Target, Envelope[Any]], Awaitable[None]]]
BatchTable = Mapping[
    type[EventPayload],
    Callable[[Target, list[Envelope[Any]]], Awaitable[list[Unprocessable | None]]],
]


def bound(table: Mapping[type[EventPayload], Any], target: object) -> dict[str, Any]:
    """A table's methods bound to the service object, by event type."""
    return {cls.event_type: partial(method, target) for cls, method in table.items()}


def subscribe(
    runtime: ServiceRuntime,
    handlers: Mapping[str, Handler],
    batch_handlers: Mapping[str, BatchHandler] | None = None,
    *,
    departments: Iterable[str] = (),
    on_dead_letter: DeadLetterHook | None = None,
) -> EventConsumer:
    """Consume what the catalog says the service subscribes to, one Kafka consumer per lane
    (catalog.lanes), each with these handlers (`bound` tables). The handlers and the
    catalog's subscriptions must be the same events (the catalog is what the contracts, the
    ACLs and the chart are made of): a difference fails at start-up, naming it."""
    routed = subscribed_events(runtime.service)
    stray, unhandled = set(handlers) - routed, routed - set(handlers)
    if stray:
        raise ValueError(
            f"{runtime.service} handles {sorted(stray)}, which catalog.FLOWS does not route to it"
        )
    if unhandled:
        raise ValueError(
            f"catalog.FLOWS routes {sorted(unhandled)} to {runtime.service}, which has no handler"
        )
    if runtime.consumer is None:
        runtime.consumer = EventConsumer(
            runtime.broker,
            service=runtime.service,
            dead_letter_topic=runtime.topic(dead_letter_topic(runtime.service)),
            handlers=handlers,
            batch_handlers=batch_handlers,
            publisher=runtime.publisher,
            seal=runtime.seal,
            attempts=runtime.settings.handler_attempts,
            backoff_s=runtime.settings.handler_backoff_s,
            concurrency=runtime.settings.consume_concurrency,
            on_dead_letter=on_dead_letter,
        )
    for lane in lanes(runtime.service, departments):
        runtime.consumer.subscribe(
            [runtime.topic(t) for t in lane],
            group_id=runtime.group_id,
            max_records=runtime.settings.consume_max_records,
            poll_ms=runtime.settings.consume_poll_ms,
        )
    return runtime.consumer


def health_router(runtime: ServiceRuntime) -> APIRouter:
    router = APIRouter(tags=["health"])

    @router.get("/health")
    async def health() -> dict[str, str]:
        """Liveness: the process answers."""
        return {"status": "ok", "service": runtime.service}

    @router.get("/metrics", include_in_schema=False)
    async def metrics() -> Response:
        """Prometheus' text format (concord_shared/metrics.py says what is counted)."""
        if runtime.consumer is not None:
            try:
                for topic, partition, lag in await runtime.consumer.lag_by_partition():
                    CONSUMER_LAG.labels(runtime.service, topic, str(partition)).set(lag)
            except Exception as exc:  # the broker away: the other metrics still answer
                log.warning("consumer lag not read", error=repr(exc))
        return exposition()

    @router.get("/ready")
    async def ready() -> JSONResponse:
        """Readiness: the store and the broker both answer, and the consumer keeps up
        (its lag is shown; above ``ready_max_lag`` records, if set, it is not ready)."""
        checks: dict[str, Any] = {
            "store": await ping(runtime.db),
            "broker": await runtime.broker.ping(timeout=2.0),
        }
        ok = all(checks.values())
        if runtime.consumer is not None:
            lag = await runtime.consumer.lag() if checks["broker"] else None
            limit = runtime.settings.ready_max_lag
            checks["consumer_lag"] = lag
            if limit is not None and lag is not None and lag["records"] > limit:
                ok = False
        return JSONResponse(
            {"status": "ready" if ok else "not_ready", "service": runtime.service, **checks},
            status_code=200 if ok else 503,
        )

    return router


def create_app(
    runtime: ServiceRuntime,
    routers: Sequence[APIRouter] = (),
    max_body_bytes: int = MAX_BODY_BYTES,
    **fastapi_kwargs: Any,
) -> FastAPI:
    """The service's app: health, its routers, and the guards every API has (body size
    limit, 422s that do not echo large inputs)."""

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        configure_logging(runtime.service, runtime.settings.log_level, runtime.settings.log_format)
        configure_tracing(
            runtime.service, runtime.settings.otlp_endpoint, runtime.settings.trace_file
        )
        await runtime.relay.ensure_indexes()
        for step in runtime.startup:
            await step()
        await runtime.broker.start()
        runtime.relay.start()
        log.info("service started", port=runtime.settings.http_port)
        try:
            yield
        finally:
            for step in runtime.shutdown:
                await step()
            await runtime.relay.stop()
            await runtime.publisher.stop()
            await runtime.broker.stop()
            await runtime.db.client.close()
            log.info("service stopped")

    # API docs from the service's own files, not a CDN (blank on an intranet otherwise).
    docs_url = fastapi_kwargs.pop("docs_url", "/docs")
    redoc_url = fastapi_kwargs.pop("redoc_url", "/redoc")
    app = FastAPI(lifespan=lifespan, docs_url=None, redoc_url=None, **fastapi_kwargs)
    install_local_docs(app, docs_url, redoc_url)
    install_http_guards(app, max_body_bytes)
    app.middleware("http")(http_metrics(runtime.service))
    app.include_router(health_router(runtime))
    for router in routers:
        app.include_router(router)
    return app


class HttpSettings(Protocol):
    http_host: str
    http_port: int


def serve(build_app: Callable[[Any], FastAPI], settings: HttpSettings) -> None:
    """Run one process (a service, the console): its app on its own HTTP port. A development
    secret outside development mode ends the process at once with the reason (exit 1)."""
    try:
        app = build_app(settings)
    except (DevelopmentSecret, DeadLetterKeyRefused) as exc:
        sys.exit(f"{sys.argv[0].rsplit('/', 1)[-1]}: {exc}")
    uvicorn.run(
        app,
        host=settings.http_host,
        port=settings.http_port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=5,
    )
