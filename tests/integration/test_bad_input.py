"""Bad input on every topic a service consumes: garbage bytes, JSON that is not an object,
a known event type with the wrong schema and an oversized message are dead-lettered with
their reason; an unknown event type is skipped. No crash loop, no stuck partition: the
service's consumer lag returns to zero and it still handles good messages afterwards."""

import json
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from concord_shared.catalog import FLOWS
from concord_shared.codec import MAX_MESSAGE_BYTES
from concord_shared.topics import TopicSpec, all_topics
from pymongo import AsyncMongoClient

from tests.support.cases import neighbour_dispute
from tests.support.kafka import dead_letters_for, send
from tests.support.security import SECURITY
from tests.support.stack import (
    AUTH,
    MONGO,
    RECEPTION_KEY,
    ROUTING_ADMIN_KEY,
    SERVICES,
    Services,
)
from tests.support.wait import eventually

pytestmark = pytest.mark.real

TOPICS = {t.name: t for t in all_topics([])}


def consumed() -> list[tuple[str, TopicSpec]]:
    pairs = {
        (service, flow.channel)
        for flow in FLOWS
        for service in flow.subscribers
        if service in SERVICES and flow.channel in TOPICS
    }
    return [(service, TOPICS[channel]) for service, channel in sorted(pairs)]


def bad_messages(tag: str) -> dict[bytes, str]:
    wrong_schema = {
        "event_id": f"bad-{tag}",
        "type": "CaseReceived",
        "schema_version": 1,
        "source": "tests",
        "case_id": f"bad-{tag}",
        "correlation_id": "c",
        "payload": {"kind": "not a kind"},
    }
    return {
        b"\x00\xff" + tag.encode() + b" garbage": "not_json",
        json.dumps([tag, "not", "an", "object"]).encode(): "not_an_object",
        json.dumps(wrong_schema).encode(): "invalid",
        b'{"pad": "' + tag.encode() + b"x" * (MAX_MESSAGE_BYTES + 10) + b'"}': "oversized",
    }


@pytest.mark.parametrize(
    ("service", "topic"), consumed(), ids=[f"{s}-{t.name}" for s, t in consumed()]
)
async def test_bad_messages_are_dead_lettered_and_the_partition_moves_on(
    services: Services, service: str, topic: TopicSpec
) -> None:
    name = topic.full_name(services.namespace)
    tag = f"{service}.{topic.name}"
    bad = bad_messages(tag)
    unknown = json.dumps({"type": "FromTheFuture", "event_id": f"u-{tag}"}).encode()
    for partition in range(topic.partitions):
        await send(name, [*bad, unknown], key=b"poison", partition=partition)
    found = await dead_letters_for(services.namespace, service, list(bad))
    assert {v: found[v]["reason"] for v in found} == bad
    assert all(found[v]["original_topic"] == name for v in found)
    oversized = next(v for v, reason in bad.items() if reason == "oversized")
    assert found[oversized]["truncated"] is True
    assert found[oversized]["original_size"] == len(oversized)

    async def caught_up() -> bool:
        async with httpx.AsyncClient(timeout=5) as http:
            ready = (await http.get(f"{services[service].url}/ready")).json()
        lag = ready.get("consumer_lag")
        return ready["status"] == "ready" and lag is not None and lag["records"] == 0

    assert await eventually(caught_up, within=60)


# --- bad input over HTTP ----------------------------------------------------------------

HTTP_KEYS = {"intake": AUTH, "routing": {"X-API-Key": ROUTING_ADMIN_KEY}}
# A route of each service that reads a JSON body.
BODY_ROUTES = {
    "intake": ("POST", "/cases"),
    "routing": ("POST", "/cases/no-such-case/recategorise"),
    "mediation": ("POST", "/cases/no-such-case/feedback"),
    "notification": ("POST", "/subscriptions"),
}
MAX_BODY = 1024 * 1024


def raw_case(description: str = '"Upstairs leaks into my kitchen"', lat: str = "30.1") -> bytes:
    """A case as raw JSON text, so a test can put in what a JSON library would not write
    (a lone surrogate escape, NaN, Infinity)."""
    case = neighbour_dispute()
    case["description"] = "@DESCRIPTION@"
    case["location"]["lat"] = "@LAT@"
    case["location"]["lon"] = 120.5
    text = json.dumps(case)
    return text.replace('"@DESCRIPTION@"', description).replace('"@LAT@"', lat).encode()


async def receipts_stored(services: Services) -> int:
    client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(MONGO)
    try:
        return await client[f"{services.namespace}_intake"]["receipts"].count_documents({})
    finally:
        await client.close()


@pytest.mark.parametrize("service", SERVICES)
async def test_a_body_over_1_mb_is_refused_before_it_is_read(
    services: Services, service: str
) -> None:
    method, path = BODY_ROUTES[service]
    url = f"{services[service].url}{path}"
    big = b'{"pad": "' + b"x" * MAX_BODY + b'"}'

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(big), 64 * 1024):
            yield big[start : start + 64 * 1024]

    async with httpx.AsyncClient(timeout=30, headers=HTTP_KEYS.get(service, {})) as http:
        declared = await http.post(url, content=big, headers={"Content-Type": "application/json"})
        SECURITY.bad_input(f"POST {service} 1 MB body with Content-Length", declared.status_code)
        streamed = await http.request(
            method, url, content=chunks(), headers={"Content-Type": "application/json"}
        )
        SECURITY.bad_input(f"POST {service} 1 MB body chunked", streamed.status_code)
        small = await http.request(
            method, url, content=b"{}", headers={"Content-Type": "application/json"}
        )
    assert declared.status_code == 413 and "larger than" in declared.json()["detail"]
    assert "chunked" not in declared.request.headers.get("transfer-encoding", "")
    assert streamed.status_code == 413
    assert streamed.request.headers.get("transfer-encoding") == "chunked"
    assert small.status_code != 413


async def test_a_422_does_not_echo_a_large_input(services: Services) -> None:
    long_text = "楼上漏水" * 2000  # over the 5,000 characters a description may have
    case = neighbour_dispute(description=long_text)
    async with httpx.AsyncClient(timeout=10, headers=AUTH) as http:
        response = await http.post(f"{services['intake'].url}/cases", json=case)
    SECURITY.bad_input("POST /cases description of 8,000 characters", response.status_code)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "description"]
    assert long_text[:200] not in response.text
    assert len(response.content) < 2000


@pytest.mark.parametrize(
    ("what", "body", "field"),
    [
        ("lone surrogate", raw_case(description='"A leak \\ud800 upstairs again"'), "description"),
        (
            "lone low surrogate",
            raw_case(description='"Leak \\udc00\\udc01 upstairs"'),
            "description",
        ),
        ("NaN", raw_case(lat="NaN"), "lat"),
        ("Infinity", raw_case(lat="Infinity"), "lat"),
        ("-Infinity", raw_case(lat="-Infinity"), "lat"),
    ],
)
async def test_invalid_unicode_and_non_finite_numbers_are_422_and_store_nothing(
    services: Services, what: str, body: bytes, field: str
) -> None:
    before = await receipts_stored(services)
    async with httpx.AsyncClient(timeout=10, headers=AUTH) as http:
        response = await http.post(
            f"{services['intake'].url}/cases",
            content=body,
            headers={"Content-Type": "application/json"},
        )
    SECURITY.bad_input(f"POST /cases {what}", response.status_code)
    assert response.status_code == 422, response.text
    assert field in response.text
    assert await receipts_stored(services) == before  # no orphan receipt


@pytest.mark.parametrize(
    "params",
    [
        {"start_date": "0001-01-01T00:00:00Z"},
        {"end_date": "0001-01-05T00:00:00Z"},
        {"end_date": "0001-01-01T00:00:00+14:00"},
        {"start_date": "9999-12-31T23:59:59-12:00"},
        {"end_date": "9999-12-31T00:00:00Z", "start_date": "9999-12-01T00:00:00Z"},
    ],
)
@pytest.mark.parametrize("path", ["requests.json", "servicerequestupdates.json"])
async def test_out_of_range_dates_are_a_clear_error(
    services: Services, params: dict[str, str], path: str
) -> None:
    async with httpx.AsyncClient(timeout=10) as http:
        response = await http.get(f"{services['intake'].url}/open311/v2/{path}", params=params)
    SECURITY.bad_input(f"GET /open311/v2/{path} {params}", response.status_code)
    assert response.status_code == 400, response.text
    assert response.json()[0]["code"] == 400
    assert "date" in response.json()[0]["description"]


async def test_an_idempotency_key_belongs_to_its_caller_and_its_body(services: Services) -> None:
    url = f"{services['intake'].url}/cases"
    key = {"Idempotency-Key": f"idem-{uuid.uuid4().hex}"}
    first_case = neighbour_dispute()
    async with httpx.AsyncClient(timeout=10) as http:
        first = await http.post(url, json=first_case, headers={**AUTH, **key})
        again = await http.post(url, json=first_case, headers={**AUTH, **key})
        changed = await http.post(url, json=neighbour_dispute(), headers={**AUTH, **key})
        SECURITY.bad_input("POST /cases same Idempotency-Key, other body", changed.status_code)
        # Another caller using the same key gets a case of its own, not the first one's.
        elsewhere = await http.post(
            url, json=first_case, headers={"X-API-Key": RECEPTION_KEY, **key}
        )
        SECURITY.endpoint("POST /cases Idempotency-Key of another caller", elsewhere.status_code)
    assert first.status_code == 201 and again.status_code == 200
    assert again.json()["case_id"] == first.json()["case_id"]
    assert changed.status_code == 422
    assert "Idempotency-Key" in changed.json()["detail"][0]["msg"]
    assert elsewhere.status_code == 201
    assert elsewhere.json()["case_id"] != first.json()["case_id"]
    assert elsewhere.json()["receipt_number"] != first.json()["receipt_number"]
