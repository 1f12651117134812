"""Bad input on every topic a service consumes: garbage bytes, JSON that is not an object,
a known event type with the wrong schema and an oversized message are dead-lettered with
their reason; an unknown event type is skipped. No crash loop, no stuck partition: the
service's consumer lag returns to zero and it still handles good messages afterwards."""

import json

import httpx
import pytest
from concord_shared.catalog import FLOWS
from concord_shared.codec import MAX_MESSAGE_BYTES
from concord_shared.topics import TopicSpec, all_topics

from tests.support.kafka import dead_letters_for, send
from tests.support.stack import SERVICES, Services
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
