"""Submissions from other systems on the integration topic (real broker and store)."""

import json
import uuid
from functools import partial
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from concord_shared.envelope import envelope
from concord_shared.events import SubmitCase
from concord_shared.submission import CaseSubmission
from concord_shared.topics import INTAKE_SUBMISSIONS
from pymongo import AsyncMongoClient

from tests.support.cases import neighbour_dispute
from tests.support.kafka import dead_letters_for, send
from tests.support.routing import ROUTING_READER, all_routed
from tests.support.stack import AUDITOR_KEY, KAFKA, MONGO, Services, kafka_client_options
from tests.support.wait import eventually

pytestmark = pytest.mark.real


def command(source_ref: str, **case: object) -> bytes:
    return envelope(
        SubmitCase(
            source_system="hotline-12345",
            source_ref=source_ref,
            case=CaseSubmission.model_validate(neighbour_dispute(channel="hotline", **case)),
        ),
        source="hotline-12345",
        case_id=source_ref,
    ).to_bytes()


async def test_a_resubmission_with_the_same_reference_makes_one_case(services: Services) -> None:
    ref = f"H-{uuid.uuid4().hex[:8]}"
    topic = INTAKE_SUBMISSIONS.full_name(services.namespace)
    producer = AIOKafkaProducer(bootstrap_servers=KAFKA, **kafka_client_options(), acks="all")
    await producer.start()
    try:
        await producer.send_and_wait(topic, command(ref), key=ref.encode())
        await producer.send_and_wait(topic, command(ref), key=ref.encode())
    finally:
        await producer.stop()
    from concord_intake.domain.identity import case_id_for

    case_id = case_id_for("source:hotline-12345", ref)
    async with httpx.AsyncClient(timeout=10, headers={"X-API-Key": AUDITOR_KEY}) as http:

        async def stored() -> dict | None:
            r = await http.get(f"{services['intake'].url}/cases/{case_id}")
            return r.json() if r.status_code == 200 else None

        case = await eventually(stored)
        assert case["source_system"] == "hotline-12345" and case["source_ref"] == ref

        async def routed() -> bool:
            r = await http.get(
                f"{services['routing'].url}/cases/{case_id}/routing", headers=ROUTING_READER
            )
            return r.status_code == 200

        await eventually(routed)


async def test_an_invalid_submission_is_dead_lettered_with_the_field(services: Services) -> None:
    topic = INTAKE_SUBMISSIONS.full_name(services.namespace)
    ref = f"H-{uuid.uuid4().hex[:8]}"
    valid = json.loads(command(ref))
    valid["payload"]["case"]["category"] = "no_such_category"
    bad = json.dumps(valid).encode()
    await send(topic, [bad], key=ref.encode())
    letter = (await dead_letters_for(services.namespace, "intake", [bad])).get(bad)
    assert letter is not None
    assert letter["reason"] == "rejected"
    assert "category: unknown category 'no_such_category'" in letter["error"]


async def test_a_burst_is_registered_together_and_only_the_bad_one_refused(
    services: Services,
) -> None:
    """Submissions that arrive together are registered together (one bulk write per
    collection): every valid one becomes a case with its own receipt, a retry inside the
    burst makes no second case and keeps the first one's receipt, and the one invalid
    submission is dead-lettered naming its field -- the others are not held up by it."""
    topic = INTAKE_SUBMISSIONS.full_name(services.namespace)
    refs = [f"B-{uuid.uuid4().hex[:8]}" for _ in range(30)]
    bad_ref = f"B-{uuid.uuid4().hex[:8]}"
    bad_doc = json.loads(command(bad_ref))
    bad_doc["payload"]["case"]["location"]["area_code"] = "000000000000"
    bad = json.dumps(bad_doc).encode()
    burst = (
        [command(r) for r in refs[:15]] + [bad, command(refs[3])] + [command(r) for r in refs[15:]]
    )
    producer = AIOKafkaProducer(
        bootstrap_servers=KAFKA, **kafka_client_options(), acks="all", linger_ms=50
    )
    await producer.start()
    try:
        sent = [await producer.send(topic, value, key=b"burst") for value in burst]
        for future in sent:
            await future
    finally:
        await producer.stop()
    from concord_intake.domain.identity import case_id_for

    case_ids = [case_id_for("source:hotline-12345", r) for r in refs]
    async with httpx.AsyncClient(timeout=10, headers={"X-API-Key": AUDITOR_KEY}) as http:
        await eventually(partial(all_routed, http, services["routing"].url, case_ids), within=60)
        cases = [(await http.get(f"{services['intake'].url}/cases/{c}")).json() for c in case_ids]
        bad_case = await http.get(
            f"{services['intake'].url}/cases/{case_id_for('source:hotline-12345', bad_ref)}"
        )
    assert bad_case.status_code == 404
    assert [c["source_ref"] for c in cases] == refs
    receipts = [c["receipt_number"] for c in cases]
    assert len(set(receipts)) == len(refs)
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(MONGO)
    try:
        stored = client[f"{services.namespace}_intake"]["receipts"]
        for case_id, receipt in zip(case_ids, receipts, strict=True):
            doc = await stored.find_one({"_id": receipt})
            assert doc is not None and doc["case_id"] == case_id, receipt
    finally:
        await client.close()
    letter = (await dead_letters_for(services.namespace, "intake", [bad])).get(bad)
    assert letter is not None and letter["reason"] == "rejected"
    assert "area_code" in letter["error"]
