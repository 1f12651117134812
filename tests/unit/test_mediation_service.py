"""Mediation's service layer (workflow.py) without a stack: load the case, let its rules
decide, save the change and its events in one write, and load again on a race -- on the
in-memory store and outbox of tests/support/fakes.py."""

from datetime import UTC, datetime, timedelta
from typing import Any, cast

import pytest
from concord_mediation.adapters.indexes import CaseIndexes
from concord_mediation.adapters.locks import CaseLocks
from concord_mediation.adapters.repository import MediationRepository
from concord_mediation.bootstrap import deadline_policy
from concord_mediation.domain import commands as c
from concord_mediation.domain.access import ApiKey, Role
from concord_mediation.domain.assignment import load_mediators
from concord_mediation.domain.workflow import Action, TransitionRefused
from concord_mediation.settings import MediationSettings
from concord_mediation.workflow import Workflow
from concord_shared.clock import SystemClock
from concord_shared.enums import CaseStatus, NoticeKind
from concord_shared.events import CaseStatusChanged, NotificationRequested
from concord_shared.registry import load_registry

from tests.support.fakes import MemoryCases, NoIndexes, OneProcessLocks, Sent, memory_outbox

VILLAGE = "339901001001"
STAFF = ApiKey(role=Role.STAFF, platform=VILLAGE, holder="r-01")
SETTINGS = MediationSettings()
POLICY = deadline_policy(SETTINGS)


def received_case(case_id: str = "case-1") -> dict[str, Any]:
    received = datetime.now(UTC) - timedelta(hours=1)
    span = POLICY.spans("dispute", "village", "low")[0]  # type: ignore[arg-type]
    acceptance = POLICY.start("acceptance", span, received)
    return {
        "_id": case_id,
        "rev": 0,
        "platform": VILLAGE,
        "level": "village",
        "status": CaseStatus.RECEIVED.value,
        "kind": "dispute",
        "category": "neighbour",
        "severity": "low",
        "language": "zh",
        "correlation_id": "corr-1",
        "parties": [{"ref": "p-1", "role": "applicant"}, {"ref": "p-2", "role": "respondent"}],
        "deadlines": {"acceptance": acceptance.to_doc()},
        "history": [],
    }


def workflow(repo: MemoryCases) -> tuple[Workflow, Sent]:
    outbox, sent = memory_outbox("unit", "mediation")
    return (
        Workflow(
            repo=cast(MediationRepository, repo),
            registry=load_registry(),
            policy=POLICY,
            mediators=load_mediators(SETTINGS.mediators_path),
            clock=SystemClock(),
            outbox=outbox,
            locks=cast(CaseLocks, OneProcessLocks()),
            indexes=cast(CaseIndexes, NoIndexes()),
        ),
        sent,
    )


def accept() -> c.Command:
    return c.Accept(action=Action.ACCEPT)


async def test_an_accepted_case_is_written_once_with_what_it_tells() -> None:
    repo = MemoryCases(received_case())
    service, sent = workflow(repo)
    result = await service.act("case-1", accept(), STAFF)

    assert result["status"] == CaseStatus.ACCEPTED and result["rev"] == 1
    assert result["deadlines"]["handling"]["active"] is True
    # What the relay was handed is what the write queued, in the case's correlation.
    assert [e.event.event_id for e in sent.emits] == [
        e.event.event_id for e in repo.outbox["case-1"]
    ]
    assert {e.event.correlation_id for e in sent.emits} == {"corr-1"}
    [changed] = [e.event.payload for e in sent.emits if e.event.type == "CaseStatusChanged"]
    assert isinstance(changed, CaseStatusChanged)
    assert (changed.from_status, changed.to_status) == (CaseStatus.RECEIVED, CaseStatus.ACCEPTED)
    assert changed.handling_due is not None  # stamped with where the case stands once written
    told = [e.event.payload for e in sent.emits if e.event.type == "NotificationRequested"]
    assert all(isinstance(n, NotificationRequested) for n in told)
    # The applicant hears the decision; the respondent is no party to an acceptance.
    assert [(n.notice, n.recipient_ref) for n in told] == [(NoticeKind.ACCEPTANCE_DECISION, "p-1")]


async def test_staff_of_another_platform_change_nothing() -> None:
    repo = MemoryCases(received_case())
    service, sent = workflow(repo)
    other = ApiKey(role=Role.STAFF, platform="339901002001", holder="r-02")
    with pytest.raises(c.Forbidden):
        await service.act("case-1", accept(), other)
    assert repo.docs["case-1"]["rev"] == 0 and not sent.emits and not repo.outbox


async def test_an_action_the_status_does_not_allow_is_refused_and_nothing_written() -> None:
    repo = MemoryCases(received_case())
    service, sent = workflow(repo)
    with pytest.raises(TransitionRefused):
        await service.act("case-1", c.Close(action=Action.CLOSE), STAFF)
    assert repo.docs["case-1"]["status"] == CaseStatus.RECEIVED and not sent.emits


class Racing(MemoryCases):
    """Someone else writes the case right after its first read."""

    raced = False

    async def get(self, case_id: str) -> dict[str, Any] | None:
        doc = await super().get(case_id)
        if not self.raced:
            self.raced = True
            self.docs[case_id]["rev"] += 1
        return doc


async def test_a_case_changed_since_it_was_read_is_read_again_and_changed_once() -> None:
    repo = Racing(received_case())
    service, sent = workflow(repo)
    result = await service.act("case-1", accept(), STAFF)
    assert result["status"] == CaseStatus.ACCEPTED and result["rev"] == 2
    changes = [e for e in sent.emits if e.event.type == "CaseStatusChanged"]
    assert len(changes) == 1  # the attempt on the stale read left nothing behind
