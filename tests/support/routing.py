"""Driving routing directly on the real broker: received cases and department replies as
the other services and departments would put them on the topics."""

import uuid
from typing import Any

import httpx
from concord_shared.envelope import envelope
from concord_shared.events import (
    CaseEscalated,
    CaseReceived,
    CoordinationDeclined,
    PartyRef,
)
from concord_shared.topics import CASE_EVENTS, HORIZONTAL_REPLIES, VERTICAL_ESCALATE

from tests.support.kafka import send
from tests.support.stack import ROUTING_ADMIN_KEY
from tests.support.wait import eventually

# Routing's explanation of a case needs a key; the administrator's sees every case in full.
ROUTING_READER = {"X-API-Key": ROUTING_ADMIN_KEY}


def received(case_id: str, **facts: Any) -> bytes:
    """A CaseReceived as intake emits it, with the facts routing decides on."""
    party_count = int(facts.pop("party_count", 2))
    repeat = facts.pop("repeat", False)
    payload = CaseReceived(
        receipt_number=f"T{case_id[-8:]}",
        kind=facts.pop("kind", "dispute"),
        channel="visit",
        category=facts.pop("category", "neighbour"),
        received_at_platform="339901001",
        area_code=facts.pop("area_code", "339901001001"),
        severity=facts.pop("severity", "low"),
        summary="测试案件",
        parties=[PartyRef(ref=f"p-{case_id}-{n}", role="applicant") for n in range(party_count)],
        party_count=party_count,
        collective=facts.pop("collective", False),
        repeat_of=f"earlier-{case_id}" if repeat else None,
        **facts,
    )
    return envelope(payload, source="intake", case_id=case_id).to_bytes()


def new_case_id() -> str:
    return f"case-{uuid.uuid4().hex[:12]}"


async def send_received(namespace: str, cases: dict[str, bytes]) -> None:
    topic = CASE_EVENTS.full_name(namespace)
    for case_id, value in cases.items():
        await send(topic, [value], key=case_id.encode())


async def decline(namespace: str, case_id: str, department: str, **kw: Any) -> bytes:
    value = envelope(
        CoordinationDeclined(
            department=department,
            declined_by=kw.pop("declined_by", f"{department}-officer-1"),
            reason=kw.pop("reason", "not within our remit"),
            **kw,
        ),
        source="departments",
        case_id=case_id,
    ).to_bytes()
    await send(HORIZONTAL_REPLIES.full_name(namespace), [value], key=case_id.encode())
    return value


async def escalate(namespace: str, case_id: str, **payload: Any) -> None:
    value = envelope(CaseEscalated(**payload), source="mediation", case_id=case_id).to_bytes()
    await send(VERTICAL_ESCALATE.full_name(namespace), [value], key=case_id.encode())


async def route_of(
    http: httpx.AsyncClient, base: str, case_id: str, *, decisions: int = 1
) -> dict[str, Any]:
    """The case's routing once it has at least `decisions` decisions."""

    async def probe() -> dict[str, Any] | None:
        r = await http.get(f"{base}/cases/{case_id}/routing", headers=ROUTING_READER)
        if r.status_code != 200:
            return None
        body: dict[str, Any] = r.json()
        return body if len(body["decisions"]) >= decisions else None

    return await eventually(probe)


async def all_routed(http: httpx.AsyncClient, routing_url: str, case_ids: list[str]) -> bool:
    """Whether routing has decided on every one of the cases (a probe for `eventually`)."""
    for case_id in case_ids:
        r = await http.get(f"{routing_url}/cases/{case_id}/routing", headers=ROUTING_READER)
        if r.status_code != 200:
            return False
    return True
