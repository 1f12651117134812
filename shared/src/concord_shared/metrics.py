"""Operators' metrics in Prometheus' text format, on every service's GET /metrics.

Named by Prometheus' conventions (`concord_` prefix, `_total` counters, base units: seconds),
each labelled with its service: a service is one process, scraped on its own, and
replicas are told apart by the scrape's instance label. What is counted:

- messages consumed, by event type and outcome (handled, dead_lettered), and the handler's
  duration; dead letters by reason;
- the outbox: events published per topic, the latency from the write that queued an event to
  its publication, the documents a sweep found still queued (the backlog);
- each consumer partition's lag (set when scraped);
- HTTP requests by route template, method and status, and their duration (rate, errors,
  duration);
- notification's delivery attempts by channel and result.
"""

import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest
from starlette.requests import Request
from starlette.responses import Response

MESSAGES = Counter(
    "concord_messages_consumed_total",
    "Messages consumed, by event type and outcome (handled or dead_lettered).",
    ["service", "event_type", "outcome"],
)
HANDLER_SECONDS = Histogram(
    "concord_handler_duration_seconds",
    "Time a handler took for one message (a batch handler: for its whole batch).",
    ["service", "event_type"],
)
DEAD_LETTERS = Counter(
    "concord_dead_letters_total", "Messages dead-lettered, by reason.", ["service", "reason"]
)
PUBLISHED = Counter(
    "concord_outbox_published_total", "Events published by the outbox relay.", ["service", "topic"]
)
PUBLISH_LATENCY = Histogram(
    "concord_outbox_publish_latency_seconds",
    "From the event's time (its write) to its publication by the relay.",
    ["service"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
)
OUTBOX_BACKLOG = Gauge(
    "concord_outbox_backlog_documents",
    "Documents with events still to publish that the last sweep found (past the grace period).",
    ["service"],
)
CONSUMER_LAG = Gauge(
    "concord_consumer_lag_records",
    "Records waiting on a partition this instance consumes (end offset minus position).",
    ["service", "topic", "partition"],
)
HTTP_REQUESTS = Counter(
    "concord_http_requests_total",
    "HTTP requests, by route template, method and status.",
    ["service", "method", "route", "status"],
)
HTTP_SECONDS = Histogram(
    "concord_http_request_duration_seconds",
    "HTTP request duration, by route template and method.",
    ["service", "method", "route"],
)
DELIVERIES = Counter(
    "concord_notification_deliveries_total",
    "Notification delivery attempts, by channel and result (delivered, retry, failed).",
    ["channel", "result"],
)


def since(moment: datetime) -> float:
    """Seconds from `moment` (naive: UTC, as the store gives it back) until now."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return max(0.0, (datetime.now(UTC) - aware).total_seconds())


Next = Callable[[Request], Awaitable[Response]]


def http_metrics(service: str) -> Callable[[Request, Next], Awaitable[Response]]:
    """Middleware: every request counted and timed under its route template (never its
    path: a case id in a label would make one series per case)."""

    async def middleware(request: Request, call_next: Next) -> Response:
        started = time.perf_counter()
        status = 500
        try:
            response = await call_next(request)
            status = response.status_code
            return response
        finally:
            route = request.scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            HTTP_REQUESTS.labels(service, request.method, template, str(status)).inc()
            HTTP_SECONDS.labels(service, request.method, template).observe(
                time.perf_counter() - started
            )

    return middleware


def exposition() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
