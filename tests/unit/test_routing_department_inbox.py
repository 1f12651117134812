"""Routing's department keys, the inbox's request states and the replies ACL, without a
stack."""

from typing import Any

import pytest
from concord_routing.domain.access import Action, ApiKey, may_work_inbox, permits
from concord_routing.domain.inbox import (
    Reply,
    after_routing,
    open_departments,
    refusal,
    replied,
    request_of,
)
from concord_routing.settings import RoutingSettings
from concord_shared.envelope import Envelope, envelope
from concord_shared.events import (
    CoordinationAccepted,
    CoordinationAnswered,
    CoordinationDeclined,
    CoordinationRequested,
    CoordinationWithdrawn,
)
from concord_shared.kafka_access import grants, service_principal
from pydantic import ValidationError


def key(**fields: str) -> ApiKey:
    return ApiKey.model_validate(fields)


def state(requests: list[dict[str, Any]], department: str) -> str:
    request = request_of(requests, department)
    assert request is not None, department
    return str(request["state"])


@pytest.mark.parametrize("department", [None, "", "  "])
def test_a_department_key_without_a_department_refuses_to_load(department: str | None) -> None:
    secret = "a-long-department-secret-0123456789"
    with pytest.raises(ValidationError) as refused:
        RoutingSettings(api_keys={secret: {"role": "department", "department": department}})
    assert "department key needs the department" in str(refused.value)
    assert secret not in str(refused.value)  # the key itself is never named


def test_a_department_key_works_its_own_inbox_only_and_an_admin_reads_any() -> None:
    land, admin = key(role="department", department="land"), key(role="admin")
    staff = key(role="staff", platform="339901001")
    assert may_work_inbox(land, Action.READ_INBOX, "land")
    assert may_work_inbox(land, Action.REPLY, "land")
    assert not may_work_inbox(land, Action.READ_INBOX, "hrss")
    assert not may_work_inbox(land, Action.REPLY, "hrss")
    assert may_work_inbox(admin, Action.READ_INBOX, "hrss")
    assert not may_work_inbox(admin, Action.REPLY, "hrss")  # a reply is a department's word
    assert not may_work_inbox(staff, Action.READ_INBOX, "land")
    # Nothing else at routing: no recategorising, no config.
    for action in (Action.RECATEGORISE, Action.READ_CONFIG, Action.CHANGE_CONFIG):
        assert not permits(land, action, "339901001")


def _requested(department: str) -> Envelope[Any]:
    payload = CoordinationRequested(
        department=department,
        role="lead",
        platform="339901001",
        kind="dispute",
        category="land_dispute",
        area_code="339901001001",
        summary="地界纠纷",
    )
    return envelope(payload, source="routing", case_id="c-1")


def test_requests_open_move_on_with_replies_and_end_final() -> None:
    asked = after_routing([], [_requested("land"), _requested("agriculture")])
    assert open_departments(asked) == ["agriculture", "land"]
    land = request_of(asked, "land")
    assert land is not None and land["state"] == "requested" and land["request_id"]

    accepted = replied(
        asked, envelope(CoordinationAccepted(department="land"), source="d", case_id="c-1")
    )
    assert state(accepted, "land") == "accepted"
    assert refusal(request_of(accepted, "land"), Reply.ACCEPT, "land") is not None  # not twice
    answer = CoordinationAnswered(department="land", answer="界址以1998年证为准")
    answered = replied(accepted, envelope(answer, source="d", case_id="c-1"))
    done = request_of(answered, "land")
    assert done is not None and (done["state"], done["answer"]) == ("answered", answer.answer)
    assert open_departments(answered) == ["agriculture"]
    for reply in Reply:
        assert refusal(done, reply, "land") is not None
    # A withdrawal ends the open request, never what a department already said.
    withdrawn = after_routing(
        answered,
        [
            envelope(CoordinationWithdrawn(department=d, reason="moved"), source="r", case_id="c")
            for d in ("land", "agriculture")
        ],
    )
    assert [state(withdrawn, d) for d in ("land", "agriculture")] == [
        "answered",
        "withdrawn",
    ]
    # A decline for a department never asked changes nothing.
    stray = CoordinationDeclined(department="water", declined_by="w-1", reason="not ours")
    assert replied(withdrawn, envelope(stray, source="d", case_id="c-1")) == withdrawn
    assert refusal(None, Reply.DECLINE, "water") is not None


def test_routing_may_write_the_replies_topic_and_mediation_may_not() -> None:
    acl = grants("ns", ["land"])
    replies = "ns.horizontal.replies"

    def writes(service: str) -> set[str]:
        principal = service_principal(service)
        return {
            g.permission
            for g in acl
            if g.principal == principal and g.name == replies and g.operation == "WRITE"
        }

    assert writes("routing") == {"ALLOW"}  # no DENY left to win over it
    assert writes("mediation") == set()
