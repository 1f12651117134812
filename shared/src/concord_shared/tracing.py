"""Traces across HTTP and Kafka: one trace from a request through every hop to the notice
delivered (OpenTelemetry, W3C trace context).

- An HTTP request is a server span, the child of the caller's `traceparent` if it sent one
  (FastAPI makes it, with spans of its own for the endpoint, once a provider is set).
- An event carries the span that wrote it: `Emit` captures the current `traceparent` when it
  is made (inside the request's or the handler's span) and it goes into the outbox entry and
  the Kafka headers, so the span of its handling, in the next service, is that span's child.
- Every log line names the trace and span it was written in (`trace_id`, `span_id`).

Export is off by default: no spans are recorded, the trace context is still passed on.
`OTLP_ENDPOINT` sends spans to a collector (OTLP over HTTP); `TRACE_FILE` appends each
finished span as a JSON line (the tests read it; no collector needed).
"""

import json
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from opentelemetry import context, propagate, trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    SimpleSpanProcessor,
    SpanExporter,
    SpanExportResult,
)
from opentelemetry.trace import Span, SpanKind

TRACER = "concord"


class JsonLinesExporter(SpanExporter):
    """Each finished span as one JSON line: ids, parent, name, service, attributes."""

    def __init__(self, path: Path) -> None:
        self._path = path

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        with self._path.open("a", encoding="utf-8") as out:
            for span in spans:
                ctx = span.get_span_context()
                if ctx is None:
                    continue
                out.write(
                    json.dumps(
                        {
                            "trace_id": f"{ctx.trace_id:032x}",
                            "span_id": f"{ctx.span_id:016x}",
                            "parent_id": f"{span.parent.span_id:016x}" if span.parent else None,
                            "name": span.name,
                            "service": span.resource.attributes.get("service.name"),
                            "kind": span.kind.name,
                            "attributes": dict(span.attributes or {}),
                        },
                        ensure_ascii=False,
                        default=str,
                    )
                    + "\n"
                )
        return SpanExportResult.SUCCESS


def configure_tracing(
    service: str, otlp_endpoint: str | None = None, trace_file: Path | None = None
) -> None:
    """The process's tracer provider where spans go somewhere; else none: OpenTelemetry's
    no-op tracer still passes each traceparent on from hop to hop, at no cost."""
    if not otlp_endpoint and trace_file is None:
        return
    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    if otlp_endpoint:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=otlp_endpoint)))
    if trace_file is not None:
        provider.add_span_processor(SimpleSpanProcessor(JsonLinesExporter(trace_file)))
    trace.set_tracer_provider(provider)


def tracer() -> trace.Tracer:
    return trace.get_tracer(TRACER)


def current_trace_headers() -> dict[str, str]:
    """The current span as W3C headers (`traceparent`), for what is written now."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier


def _from(headers: Mapping[str, str] | None) -> context.Context:
    return propagate.extract(dict(headers or {}))


@contextmanager
def span_from(
    name: str,
    headers: Mapping[str, str] | None,
    kind: SpanKind = SpanKind.CONSUMER,
    **attributes: Any,
) -> Iterator[Span]:
    """A span, the child of the one `headers` carry (a message's, a request's, a stored
    delivery's), current while the block runs."""
    with tracer().start_as_current_span(
        name, context=_from(headers), kind=kind, attributes=attributes
    ) as span:
        yield span


def log_ids(_logger: Any, _method: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    """structlog processor: the trace and span a line was written in."""
    ctx = trace.get_current_span().get_span_context()
    if ctx.is_valid:
        event_dict.setdefault("trace_id", f"{ctx.trace_id:032x}")
        event_dict.setdefault("span_id", f"{ctx.span_id:016x}")
    return event_dict
