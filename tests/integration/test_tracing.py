"""One case's trace, from the HTTP request through every hop to the notice delivered: each
service's spans (written to its span file) are children of the span that wrote the event they
handle -- on the real broker and store, the services as processes."""

import json
import secrets
from typing import Any

import httpx
import pytest

from tests.support.cases import neighbour_dispute, unique_phone
from tests.support.notifying import daytime
from tests.support.stack import AUTH, Services
from tests.support.wait import eventually

pytestmark = pytest.mark.real
__all__ = ["daytime"]  # autouse: no quiet hours holding the receipt

SERVICES = ("intake", "routing", "mediation", "notification")


def spans_of(services: Services, trace_id: str) -> list[dict[str, Any]]:
    found = []
    for name in SERVICES:
        path = services.span_file(name)
        if path.exists():
            for line in path.read_text(encoding="utf-8").splitlines():
                try:
                    span = json.loads(line)
                except ValueError:
                    continue  # the line the service is writing right now: read next time
                if span["trace_id"] == trace_id:
                    found.append(span)
    return found


def delivered_receipt(spans: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        s
        for s in spans
        if s["name"] == "deliver receipt" and s["attributes"].get("concord.outcome") == "delivered"
    ]


async def test_one_case_is_one_trace_through_all_four_services(services: Services) -> None:
    trace_id, caller_span = secrets.token_hex(16), secrets.token_hex(8)
    case = neighbour_dispute()
    case["parties"][0]["phone"] = unique_phone()
    async with httpx.AsyncClient(timeout=10) as http:
        r = await http.post(
            f"{services['intake'].url}/cases",
            json=case,
            headers={**AUTH, "traceparent": f"00-{trace_id}-{caller_span}-01"},
        )
    assert r.status_code == 201, r.text

    async def whole() -> list[dict[str, Any]] | None:
        spans = spans_of(services, trace_id)
        return spans if delivered_receipt(spans) else None

    spans = await eventually(whole, within=30)
    by_id = {s["span_id"]: s for s in spans}
    assert {s["service"] for s in spans} == set(SERVICES)

    # The request is the root here, the child of the caller's span.
    [root] = [s for s in spans if s["kind"] == "SERVER" and s["service"] == "intake"]
    assert root["name"] == "POST /cases" and root["parent_id"] == caller_span

    def chain(span: dict[str, Any]) -> list[str]:
        """The hops (server, consumer and producer spans) from the span up to the root,
        each span's parent found in the trace."""
        hops = []
        while True:
            if span["kind"] != "INTERNAL":
                hops.append(f"{span['service']}: {span['name']}")
            if span["parent_id"] == caller_span:
                return hops
            span = by_id[span["parent_id"]]  # a KeyError: a hop that broke the trace

    # Each attempt is a span (one may have been taken by another sender's sweep first); the
    # one that delivered continues the trace of the request.
    [delivery] = delivered_receipt(spans)
    assert chain(delivery) == [
        "notification: deliver receipt",
        "notification: handle NotificationRequested batch",
        "mediation: handle CaseAssigned",
        "routing: handle CaseReceived",
        "intake: POST /cases",
    ]
    # Every span of the case is in one tree under the request.
    for span in spans:
        assert chain(span)[-1] == "intake: POST /cases"
