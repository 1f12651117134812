"""Submissions from other systems on the integration topic (real broker and store)."""

import json
import uuid

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from concord_shared.envelope import envelope
from concord_shared.events import SubmitCase
from concord_shared.submission import CaseSubmission
from concord_shared.topics import INTAKE_SUBMISSIONS

from tests.support.cases import neighbour_dispute
from tests.support.kafka import dead_letters_for, send
from tests.support.stack import AUDITOR_KEY, KAFKA, Services
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
    producer = AIOKafkaProducer(bootstrap_servers=KAFKA, acks="all")
    await producer.start()
    try:
        await producer.send_and_wait(topic, command(ref), key=ref.encode())
        await producer.send_and_wait(topic, command(ref), key=ref.encode())
    finally:
        await producer.stop()
    from concord_intake.domain.identity import case_id_for

    case_id = case_id_for("source:hotline-12345", ref)
    async with httpx.AsyncClient(timeout=10, headers={"X-API-Key": AUDITOR_KEY}) as http:

        async def stored() -> dict | None:  # type: ignore[type-arg]
            r = await http.get(f"{services['intake'].url}/cases/{case_id}")
            return r.json() if r.status_code == 200 else None

        case = await eventually(stored)
        assert case["source_system"] == "hotline-12345" and case["source_ref"] == ref

        async def routed() -> bool:
            r = await http.get(f"{services['routing'].url}/cases/{case_id}/routing")
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
