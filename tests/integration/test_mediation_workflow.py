"""Every transition of the mediation workflow on the real broker and store: what staff see
over HTTP, what goes on the case log, and what citizens are told."""

from datetime import datetime, timedelta, timezone

import httpx
import pytest

from tests.support.kafka import events_on, send
from tests.support.mediation import (
    STAFF_KEY,
    SUPERVISOR,
    MediationStack,
    act,
    get_case,
    of_type,
)
from tests.support.wait import eventually

pytestmark = pytest.mark.real

CST = timezone(timedelta(hours=8))
VILLAGE = "339901001001"
SUBDISTRICT = "339901001"


async def opened(stack: MediationStack, case_id: str) -> dict:
    return await eventually(lambda: get_case(stack, case_id), within=30)


async def test_a_case_goes_through_every_step_and_the_log_shows_each(
    mediation: MediationStack,
) -> None:
    mediation.set_clock(datetime(2026, 3, 2, 9, tzinfo=CST))
    case_id, applicant = await mediation.assign(
        platform=VILLAGE, level="village", received_at=datetime(2026, 3, 2, 8, tzinfo=CST)
    )
    await opened(mediation, case_id)
    async with httpx.AsyncClient(timeout=10, headers=SUPERVISOR) as http:

        async def step(action: str, **fields: object) -> dict:
            r = await act(http, mediation, case_id, action, **fields)
            assert r.status_code == 200, (action, r.text)
            return r.json()

        # A refused transition: 409 and what is allowed instead.
        refused = await act(http, mediation, case_id, "close")
        assert refused.status_code == 409
        assert refused.json()["detail"] == (
            "cannot close a case that is received; allowed from received: "
            "accept, await_citizen, escalate, not_accept"
        )
        # Bad input: 422 naming the field.
        bad = await act(http, mediation, case_id, "not_accept")
        assert bad.status_code == 422
        assert bad.json()["detail"][0]["loc"][-1] == "reason"

        await step("accept")
        case = await step("assign_mediator")
        # The neighbour dispute goes to the least loaded village mediator with the skill.
        assert case["mediator"] in {"med-v001001-1", "med-v001001-2"}
        case = await step("schedule_session", starts_at="2026-03-05T10:00:00+08:00")
        session_id = case["sessions"][0]["session_id"]
        record = await http.post(
            f"{mediation.url}/cases/{case_id}/sessions/{session_id}/record",
            json={"attended": [applicant], "minutes": "双方同意协商"},
        )
        assert record.status_code == 200, record.text
        assert "minutes" not in str(record.json()["sessions"])  # internal: not in the case view
        minutes = await http.get(f"{mediation.url}/cases/{case_id}/sessions")
        assert minutes.json()[0]["minutes"] == "双方同意协商"
        await step("await_citizen", reason="补充材料")
        case = await step("resume")
        assert case["status"] == "in_session"
        await step("reach_agreement", terms=["归还工具", "赔偿200元"], follow_up_on="2026-04-01")
        await step("resolve", outcome="agreement fulfilled")
        case = await step("close")
        assert case["status"] == "closed"
        case = await step("request_review", reason="party asks for review")
        # The review is decided one level up, under the same case number.
        assert case["platform"] == SUBDISTRICT and case["case_id"] == case_id
        await step("start_review")
        await step("assign_mediator")
        await step("schedule_session", starts_at="2026-03-20T10:00:00+08:00")
        case = await step("fail", reason="the parties did not agree")
        assert case["status"] == "mediation_failed"
        case = await step("close")

    async def logged() -> list | None:
        events = await mediation.events({case_id})
        return events if len(of_type(events, "CaseStatusChanged")) >= 14 else None

    events = await eventually(logged, within=30)
    moves = [
        (e["payload"]["from_status"], e["payload"]["to_status"])
        for e in of_type(events, "CaseStatusChanged")
    ]
    assert (
        moves
        == [
            ("received", "accepted"),
            ("accepted", "in_progress"),
            ("in_progress", "in_session"),
            ("in_session", "awaiting_citizen"),
            ("awaiting_citizen", "in_session"),
            ("in_session", "agreement_reached"),
            ("agreement_reached", "resolved"),
            ("resolved", "closed"),
            ("closed", "review_requested"),
            ("review_requested", "under_review"),
            ("under_review", "in_progress"),
            ("in_progress", "in_session"),
            ("in_session", "mediation_failed"),
            ("mediation_failed", "closed"),
        ][: len(moves)]
    )
    assert len(moves) == 14
    assert [e["payload"]["terms_summary"] for e in of_type(events, "AgreementReached")] == [
        "归还工具; 赔偿200元"
    ]
    assert len(of_type(events, "SessionScheduled")) == 2
    assert of_type(events, "CaseResolved")[0]["payload"]["outcome"] == "agreement fulfilled"
    assert len(of_type(events, "CaseClosed")) == 2
    assert of_type(events, "ReviewRequested")[0]["payload"]["review_platform"] == SUBDISTRICT
    assert of_type(events, "MediationFailed")[0]["payload"]["reason"] == "the parties did not agree"

    def told(ref: str) -> list[str]:
        return [
            e["payload"]["notice"]
            for e in of_type(events, "NotificationRequested")
            if e["payload"]["recipient_kind"] == "citizen" and e["payload"]["recipient_ref"] == ref
        ]

    assert told(applicant) == [
        "receipt",
        "acceptance_decision",
        "session_scheduled",
        "outcome",
        "closure",
        "feedback_request",
        "session_scheduled",  # the review's session, one level up
        "closure",
        "feedback_request",
    ]
    # The other side hears when to attend and how it ended; the receipt, the decision and
    # the feedback form are the applicant's.
    others = {
        e["payload"]["recipient_ref"]
        for e in of_type(events, "NotificationRequested")
        if e["payload"]["recipient_kind"] == "citizen"
    } - {applicant}
    assert len(others) == 1
    assert told(others.pop()) == [
        "session_scheduled",
        "outcome",
        "closure",
        "session_scheduled",
        "closure",
    ]
    mediators = [
        e["payload"]["recipient_ref"]
        for e in of_type(events, "NotificationRequested")
        if e["payload"]["notice"] == "assignment"
    ]
    assert mediators[1].startswith("med-t001-")  # the subdistrict's mediator for the review


async def test_not_accepted_referred_and_escalated_cases(mediation: MediationStack) -> None:
    mediation.set_clock(datetime(2026, 3, 2, 9, tzinfo=CST))
    received = datetime(2026, 3, 2, 8, tzinfo=CST)
    rejected, applicant = await mediation.assign(
        platform=VILLAGE, level="village", received_at=received
    )
    referred, _ = await mediation.assign(platform=VILLAGE, level="village", received_at=received)
    escalated, _ = await mediation.assign(platform=VILLAGE, level="village", received_at=received)
    for case_id in (rejected, referred, escalated):
        await opened(mediation, case_id)
    async with httpx.AsyncClient(timeout=10, headers=SUPERVISOR) as http:
        r = await act(http, mediation, rejected, "not_accept", reason="不属于受理范围")
        assert r.json()["status"] == "not_accepted"
        assert (await act(http, mediation, rejected, "close")).json()["status"] == "closed"
        await act(http, mediation, referred, "accept")
        await act(http, mediation, referred, "assign_mediator", mediator_ref="med-v001001-3")
        unknown = await act(http, mediation, referred, "assign_mediator", mediator_ref="nobody")
        assert unknown.status_code == 409  # in_progress: assigning again is not a transition
        bad = await act(http, mediation, referred, "refer", referred_to="heaven", reason="x")
        assert bad.status_code == 422 and bad.json()["detail"][0]["loc"][-1] == "referred_to"
        r = await act(http, mediation, referred, "refer", referred_to="court", reason="诉讼")
        assert r.json()["status"] == "referred"
        r = await act(http, mediation, escalated, "escalate", reason="涉及多个村")
        assert r.json()["status"] == "escalated"
        # Staff of another platform may not act; no key is 401.
        other = await http.post(
            f"{mediation.url}/cases/{escalated}/transitions",
            json={"action": "accept"},
            headers={"X-API-Key": "nope"},
        )
        assert other.status_code == 401

    events = await eventually(
        lambda: _with(mediation, {rejected, referred, escalated}, "CaseEscalated"), within=30
    )
    decision = [
        e["payload"]
        for e in of_type(events, "NotificationRequested")
        if e["case_id"] == rejected and e["payload"]["notice"] == "acceptance_decision"
    ]
    assert decision == [
        {
            "notice": "acceptance_decision",
            "recipient_kind": "citizen",
            "recipient_ref": applicant,
            "language": "zh",
            "urgent": False,
            "facts": {
                "platform": VILLAGE,
                "filer": "yes",  # the applicant, who holds the receipt and code
                "accepted": "no",
                "reason": "不属于受理范围",
            },
        }
    ]
    up = of_type(events, "CaseEscalated")[0]
    assert up["topic"] == "vertical.escalate"
    assert up["payload"]["from_platform"] == VILLAGE
    assert up["payload"]["to_platform"] == SUBDISTRICT and up["payload"]["to_level"] == "township"
    assert "received->escalated (escalate: 涉及多个村)" in up["payload"]["history"][-1]
    assert "referred_to" in str(of_type(events, "NotificationRequested"))

    # Routing assigns the escalated case to the parent: it starts again there, with history.
    await mediation.assign(
        platform=SUBDISTRICT, level="township", received_at=received, case_id=escalated
    )

    async def reopened() -> dict | None:
        case = await get_case(mediation, escalated)
        return case if case and case["platform"] == SUBDISTRICT else None

    case = await eventually(reopened, within=30)
    assert case["status"] == "received"
    assert case["platforms"] == [VILLAGE, SUBDISTRICT]
    assert [h.get("action") for h in case["history"]] == ["open", "escalate", "reopen"]


async def test_staff_act_only_at_their_own_platform_and_the_county_is_the_top(
    mediation: MediationStack,
) -> None:
    mediation.set_clock(datetime(2026, 3, 2, 9, tzinfo=CST))
    here, _ = await mediation.assign(
        platform=VILLAGE, level="village", received_at=datetime(2026, 3, 2, 8, tzinfo=CST)
    )
    elsewhere, _ = await mediation.assign(
        platform="339901001002", level="village", received_at=datetime(2026, 3, 2, 8, tzinfo=CST)
    )
    await opened(mediation, here)
    await opened(mediation, elsewhere)
    top, _ = await mediation.assign(
        platform="339901", level="county", received_at=datetime(2026, 3, 2, 8, tzinfo=CST)
    )
    await opened(mediation, top)
    async with httpx.AsyncClient(timeout=10, headers=SUPERVISOR) as http:
        refused = await act(http, mediation, top, "escalate", reason="上级")
        assert refused.status_code == 409
        assert refused.json()["detail"] == "the case is at the top level; it cannot go higher"
    async with httpx.AsyncClient(timeout=10, headers={"X-API-Key": STAFF_KEY}) as http:
        assert (await act(http, mediation, here, "accept")).status_code == 200
        assert (await act(http, mediation, elsewhere, "accept")).status_code == 403
        case = await get_case(mediation, here)
        assert case is not None
        assert case["history"][-1]["by"] == "clerk-7"


async def test_replies_of_the_case_s_departments_reach_its_desk_and_its_citizen(
    mediation: MediationStack,
) -> None:
    """Answers and acceptances of the departments asked are attached to the case, are a
    task for the platform's desk and news for the applicant; a reply from a department
    never asked about the case is not attached."""
    from concord_shared.envelope import EventPayload, envelope
    from concord_shared.events import (
        CoordinationAccepted,
        CoordinationAnswered,
        CoordinationDeclined,
    )
    from concord_shared.registry import DEFAULT_REGISTRY, load_registry

    mediation.set_clock(datetime(2026, 3, 2, 9, tzinfo=CST))
    case_id, applicant = await mediation.assign(
        platform=VILLAGE,
        level="village",
        received_at=datetime(2026, 3, 2, 8, tzinfo=CST),
        lead_department="land",
        co_departments=("police",),
    )
    await opened(mediation, case_id)

    def reply(payload: EventPayload, source: str) -> bytes:
        return envelope(payload, source=source, case_id=case_id).to_bytes()

    answer = CoordinationAnswered(department="land", answer="界址以1998年确权图为准")
    answered = reply(answer, "land-system")
    declined = reply(
        CoordinationDeclined(department="police", declined_by="officer-3", reason="非治安案件"),
        "police-system",
    )
    stranger = reply(CoordinationAccepted(department="hrss"), "hrss-system")
    topic = mediation.topic("horizontal.replies")
    # Delivered twice: attached once.
    await send(topic, [answered, declined, stranger, answered], key=case_id.encode())

    async def attached() -> list | None:
        case = await get_case(mediation, case_id)
        replies = (case or {}).get("department_replies", [])
        return replies if len(replies) >= 2 else None

    replies = await eventually(attached, within=30)
    assert [(r["type"], r["department"]) for r in replies] == [
        ("CoordinationAnswered", "land"),
        ("CoordinationDeclined", "police"),
    ]
    assert replies[0]["answer"] == "界址以1998年确权图为准"
    assert replies[1]["reason"] == "非治安案件"

    # The answer is news for the applicant, named by the department's name...
    land = load_registry(DEFAULT_REGISTRY).departments_by_code["land"]
    events = await eventually(lambda: _with(mediation, {case_id}, "NotificationRequested"))
    [news] = [
        e["payload"]
        for e in of_type(events, "NotificationRequested")
        if e["payload"]["notice"] == "department_reply"
    ]
    assert news["recipient_ref"] == applicant and news["facts"]["reply"] == "answered"
    assert news["facts"]["department_name"] == land.name_zh
    # ... and a task for the village's desk.
    tasks = await events_on(
        [mediation.topic("internal.tasks")],
        {case_id},
        until=lambda es: any(e["payload"]["task"] == "department_answered" for e in es),
    )
    [task] = [e["payload"] for e in tasks if e["payload"]["task"] == "department_answered"]
    assert task["platform"] == VILLAGE


async def _with(stack: MediationStack, ids: set[str], event_type: str) -> list | None:
    events = await stack.events(ids)
    return events if of_type(events, event_type) else None
