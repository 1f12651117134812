"""Helpers for notification's tests: a case with a reachable citizen, a notice request on
the real topic, the delivery log, and the case log as a subscriber reads it."""

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from aiokafka import AIOKafkaConsumer
from concord_shared.enums import Language, NoticeKind, RecipientKind
from concord_shared.envelope import envelope
from concord_shared.events import NotificationRequested
from concord_shared.topics import CASE_EVENTS, NOTIFY_REQUESTS

from tests.support.cases import neighbour_dispute
from tests.support.kafka import original_of, send
from tests.support.stack import (
    AUDITOR_KEY,
    AUTH,
    KAFKA,
    OPERATOR_KEY,
    Services,
    kafka_client_options,
)
from tests.support.wait import eventually

SHANGHAI = ZoneInfo("Asia/Shanghai")


async def register_case(services: Services, party: dict[str, Any], **overrides: Any) -> str:
    """A case whose applicant is `party`; returns its case id."""
    case = neighbour_dispute(**overrides)
    case["parties"][0] = {"name": "王秀英", "role": "applicant", **party}
    async with httpx.AsyncClient(timeout=10, headers=AUTH) as http:
        response = await http.post(f"{services['intake'].url}/cases", json=case)
    assert response.status_code == 201, response.text
    return str(response.json()["case_id"])


async def applicant_ref(services: Services, case_id: str) -> str:
    async with httpx.AsyncClient(timeout=10, headers={"X-API-Key": AUDITOR_KEY}) as http:
        response = await http.get(f"{services['intake'].url}/cases/{case_id}")
    assert response.status_code == 200, response.text
    return str(response.json()["parties"][0]["ref"])


def notice_request(
    case_id: str,
    notice: NoticeKind,
    recipient_kind: RecipientKind,
    recipient_ref: str,
    *,
    language: Language = Language.ZH,
    urgent: bool = False,
    facts: dict[str, str] | None = None,
) -> bytes:
    """A NotificationRequested as mediation would publish it."""
    payload = NotificationRequested(
        notice=notice,
        recipient_kind=recipient_kind,
        recipient_ref=recipient_ref,
        language=language,
        urgent=urgent,
        facts=facts or {},
    )
    return envelope(payload, source="mediation", case_id=case_id).to_bytes()


async def request_notice(services: Services, case_id: str, raw: bytes, times: int = 1) -> None:
    topic = NOTIFY_REQUESTS.full_name(services.namespace)
    await send(topic, [raw] * times, key=case_id.encode())


async def deliveries(
    services: Services, case_id: str, key: str = OPERATOR_KEY
) -> list[dict[str, Any]]:
    """The case's delivery log as a key sees it (an operator's by default)."""
    async with httpx.AsyncClient(timeout=10, headers={"X-API-Key": key}) as http:
        response = await http.get(f"{services['notification'].url}/cases/{case_id}/deliveries")
    assert response.status_code == 200, response.text
    return list(response.json())


async def delivery_for(
    services: Services, case_id: str, request_event_id: str, status: str | None = None
) -> dict[str, Any]:
    """The log entry of one request, once it has (the given) status."""

    async def probe() -> dict[str, Any] | None:
        for d in await deliveries(services, case_id):
            if d["request_event_id"] == request_event_id and status in (None, d["status"]):
                return d
        return None

    return await eventually(probe, within=30)


async def case_log(namespace: str, case_id: str, types: set[str], polls: int = 40) -> list[Any]:
    """Events of one case on the case log, as any entitled subscriber reads them."""
    consumer = AIOKafkaConsumer(
        CASE_EVENTS.full_name(namespace),
        bootstrap_servers=KAFKA,
        **kafka_client_options(),
        auto_offset_reset="earliest",
    )
    await consumer.start()
    found: list[Any] = []
    try:
        for _ in range(polls):
            batch = await consumer.getmany(timeout_ms=500)
            for record in (r for rs in batch.values() for r in rs):
                event = _json(record.value)  # other tests put garbage on the topic
                if event.get("case_id") == case_id and event.get("type") in types:
                    found.append(event)
            if found and not batch:
                break
    finally:
        await consumer.stop()
    return found


@pytest.fixture(autouse=True)
def daytime(services: Services) -> Iterator[None]:
    """Ten in the morning in Shanghai: no quiet hours in the way (autouse where imported)."""
    set_clock(services, shanghai_today(10))
    yield
    services.clock_file.unlink(missing_ok=True)


def set_clock(services: Services, local: datetime) -> None:
    """Move notification's "now" to a Shanghai local time (it runs on from there)."""
    path: Path = services.clock_file
    path.write_text(local.replace(tzinfo=SHANGHAI).astimezone(UTC).isoformat())


def shanghai_today(hour: int, minute: int = 0, days: int = 0) -> datetime:
    today = datetime.now(SHANGHAI).date() + timedelta(days=days)
    return datetime(today.year, today.month, today.day, hour, minute)


def request_id(raw: bytes) -> str:
    return str(json.loads(raw)["event_id"])


async def dead_letters_of(namespace: str, event_id: str, polls: int = 40) -> list[dict[str, Any]]:
    """notification's dead letters whose original event is `event_id`."""
    from concord_shared.topics import dead_letter_topic

    consumer = AIOKafkaConsumer(
        dead_letter_topic("notification").full_name(namespace),
        bootstrap_servers=KAFKA,
        **kafka_client_options(),
        auto_offset_reset="earliest",
    )
    await consumer.start()
    found: list[dict[str, Any]] = []
    try:
        for _ in range(polls):
            batch = await consumer.getmany(timeout_ms=500)
            for record in (r for rs in batch.values() for r in rs):
                letter = _json(record.value).get("payload") or {}
                original = _json(original_of(letter)) if "original_value_sealed" in letter else {}
                if original.get("event_id") == event_id:
                    found.append(letter)
            if found and not batch:
                break
    finally:
        await consumer.stop()
    return found


def _json(raw: bytes | None) -> dict[str, Any]:
    try:
        value = json.loads(raw or b"")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
