"""What a due timer says, without infrastructure: warning, breach, escalation one level up."""

from collections.abc import MutableMapping
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, cast

from concord_mediation.bootstrap import deadline_policy
from concord_mediation.domain.change import Change
from concord_mediation.settings import MediationSettings
from concord_mediation.timers import DeadlineWatch
from concord_mediation.workflow import Workflow
from concord_shared.clock import SystemClock
from concord_shared.events import CaseEscalated
from concord_shared.outbox import Outbox
from concord_shared.registry import load_registry
from structlog.testing import capture_logs

CST = timezone(timedelta(hours=8))


def alarm(change: Change) -> list[MutableMapping[str, Any]]:
    with capture_logs() as logs:  # whatever logging an earlier test configured
        watch().alarm(change)
    return logs


def watch() -> DeadlineWatch:
    none: Any = None
    workflow = Workflow(
        repo=none,
        registry=load_registry(),
        policy=deadline_policy(MediationSettings()),
        mediators=[],
        clock=SystemClock(),
        outbox=Outbox("test", "mediation"),
        locks=none,
        indexes=none,
    )
    return DeadlineWatch(workflow)


def case(platform: str, level: str) -> dict[str, Any]:
    policy = deadline_policy(MediationSettings())
    received = datetime(2026, 11, 2, 9, tzinfo=CST)
    acceptance = policy.start("acceptance", policy.spans("dispute", level, "low")[0], received)  # type: ignore[arg-type]
    return {
        "_id": "case-1",
        "rev": 3,
        "platform": platform,
        "level": level,
        "status": "received",
        "kind": "dispute",  # as mediation opens every case (handlers.on_case_assigned)
        "category": "neighbour",
        "history": [{"at": received, "status": "received", "action": "open"}],
        "deadlines": {"acceptance": acceptance.to_doc()},
    }


def test_a_jump_past_the_due_time_warns_breaches_and_escalates_once() -> None:
    change = Change(case("339901001001", "village"), datetime(2026, 12, 1, tzinfo=UTC))
    alarm(change)
    assert [type(p).__name__ for _, p in change.payloads] == [
        "DeadlineWarning",
        "NotificationRequested",
        "DeadlineBreached",
        "DeskTaskCreated",  # the desk that holds the case has the breach on its list
        "NotificationRequested",
        "CaseStatusChanged",
        "CaseEscalated",
    ]
    escalated = cast(CaseEscalated, change.payloads[-1][1])
    assert escalated.to_platform == "339901001"
    assert change.sets["status"] == "escalated"
    timer = change.sets["deadlines"]["acceptance"]
    assert timer["warned"] and timer["breached"] and not timer["active"]
    assert change.sets["next_timer_at"] is None  # nothing left to fire


def test_at_the_county_a_breach_tells_the_leader_and_stays() -> None:
    change = Change(case("339901", "county"), datetime(2026, 12, 1, tzinfo=UTC))
    alarm(change)
    kinds = [type(p).__name__ for _, p in change.payloads]
    assert "CaseEscalated" not in kinds and "DeadlineBreached" in kinds
    assert "status" not in change.sets


def test_before_the_warning_nothing_is_said() -> None:
    change = Change(case("339901001001", "village"), datetime(2026, 11, 3, tzinfo=UTC))
    alarm(change)
    assert change.payloads == []
