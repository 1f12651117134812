"""Messages captured from a real run on the real broker validate against the published JSON
Schemas, checked by an independent validator (check-jsonschema, not pydantic).

The run is the whole test session: this test goes last (``@pytest.mark.last``) and reads
every topic of the session's namespaces, so it sees what the services emitted for every test
-- and it asserts that every event type of the contracts was among them."""

import asyncio
import json
import subprocess
import uuid
from collections import defaultdict
from pathlib import Path

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from concord_shared.codec import Undecodable, UnknownType, decode
from concord_shared.contracts import CONTRACTS
from concord_shared.envelope import envelope
from concord_shared.events import EVENT_TYPES, SubmitCase
from concord_shared.submission import CaseSubmission
from concord_shared.topics import INTAKE_SUBMISSIONS

from tests.support.cases import neighbour_dispute
from tests.support.stack import (
    AUTH,
    BIN,
    KAFKA,
    OPERATOR_KEY,
    SERVICES,
    Services,
    kafka_client_options,
)
from tests.support.wait import eventually

pytestmark = [pytest.mark.real, pytest.mark.last]
OPERATOR = {"X-API-Key": OPERATOR_KEY}

EVERY_TYPE = set(EVENT_TYPES)


def _planted(value: bytes) -> bool:
    """Poison the bad-input tests put on the topics on purpose: not what anyone emitted.
    Events from the four services are all kept; commands and replies that tests send on
    behalf of integrators and departments are kept when they are well-formed."""
    try:
        event = json.loads(value)
        if event["source"] in SERVICES:
            return False
        return isinstance(decode(value), UnknownType)
    except (ValueError, KeyError, TypeError, Undecodable):
        return True


async def _capture(namespaces: list[str]) -> dict[str, list[bytes]]:
    admin = AIOKafkaAdminClient(bootstrap_servers=KAFKA, **kafka_client_options())
    await admin.start()
    topics = [
        t for t in await admin.list_topics() if any(t.startswith(f"{ns}.") for ns in namespaces)
    ]
    await admin.close()
    consumer = AIOKafkaConsumer(
        *topics,
        bootstrap_servers=KAFKA,
        **kafka_client_options(),
        auto_offset_reset="earliest",
        group_id=f"capture-{uuid.uuid4().hex[:6]}",
    )
    await consumer.start()
    captured: dict[str, list[bytes]] = defaultdict(list)
    try:
        idle = 0
        while idle < 4:
            batch = await consumer.getmany(timeout_ms=500)
            records = [r for rs in batch.values() for r in rs]
            idle = 0 if records else idle + 1
            for record in records:
                if _planted(record.value):
                    continue
                captured[json.loads(record.value)["type"]].append(record.value)
    finally:
        await consumer.stop()
    return captured


async def test_captured_messages_validate_against_the_published_schemas(
    services: Services, mediation_namespace: str, tmp_path: Path
) -> None:
    ns = services.namespace
    async with httpx.AsyncClient(timeout=10, headers=AUTH) as http:
        case_id = (
            await http.post(f"{services['intake'].url}/cases", json=neighbour_dispute())
        ).json()["case_id"]
        producer = AIOKafkaProducer(bootstrap_servers=KAFKA, **kafka_client_options(), acks="all")
        await producer.start()
        try:
            command = envelope(
                SubmitCase(
                    source_system="hotline-12345",
                    source_ref=f"R-{uuid.uuid4().hex[:8]}",
                    case=CaseSubmission.model_validate(neighbour_dispute(channel="hotline")),
                ),
                source="hotline-12345",
                case_id="R-1",
            )
            await producer.send_and_wait(
                INTAKE_SUBMISSIONS.full_name(ns), command.to_bytes(), key=b"R-1"
            )
            await producer.send_and_wait(
                INTAKE_SUBMISSIONS.full_name(ns), b"\x00poison", key=b"R-2"
            )
        finally:
            await producer.stop()

        async def delivered() -> bool:
            r = await http.get(
                f"{services['notification'].url}/cases/{case_id}/deliveries", headers=OPERATOR
            )
            return bool(r.json())

        # Within 120 s: this runs right after test_bulk_import, whose 1,500 receipts
        # notification is still sending (a contact lookup and a real SMS each).
        await eventually(delivered, within=120)
    captured: dict[str, list[bytes]] = {}
    for _ in range(15):  # the dead letter may come a little after the notice
        captured = await _capture([ns, mediation_namespace])
        if EVERY_TYPE <= set(captured):
            break
        await asyncio.sleep(1.0)
    missing = EVERY_TYPE - set(captured)
    assert not missing, f"no test of this session made the services emit {sorted(missing)}"

    for event_type, values in captured.items():
        # Each message against the schema of its own major version (DeadLettered is at v2).
        by_version: dict[int, list[str]] = defaultdict(list)
        for i, value in enumerate(values[:50]):
            path = tmp_path / f"{event_type}-{i}.json"
            path.write_bytes(value)
            by_version[int(json.loads(value)["schema_version"])].append(str(path))
        for version, files in by_version.items():
            schema = CONTRACTS / "schemas" / f"{event_type}.v{version}.json"
            result = await asyncio.to_thread(
                subprocess.run,
                [str(BIN / "check-jsonschema"), "--schemafile", str(schema), *files],
                capture_output=True,
                text=True,
            )
            assert result.returncode == 0, f"{event_type}: {result.stdout}{result.stderr}"
