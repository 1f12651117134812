"""What a routing decision tells whom: the events a first decision or a re-route causes, on
the topics they go to. Pure: the service layer emits them in the case's outbox."""

from datetime import date
from typing import Any

from concord_shared.envelope import EventPayload
from concord_shared.events import (
    CaseAssigned,
    CaseRouted,
    CoordinationRequested,
    CoordinationWithdrawn,
    DeskTaskCreated,
)
from concord_shared.topics import (
    CASE_EVENTS,
    INTERNAL_TASKS,
    VERTICAL_ASSIGN,
    TopicSpec,
    department_topic,
)

from concord_routing.domain.decision import CaseFacts, Decision

Consequence = tuple[TopicSpec, EventPayload]


def consequences(
    facts: CaseFacts,
    case: dict[str, Any],
    before: Decision | None,
    d: Decision,
    history: list[str],
    answer_due: date | None = None,
) -> list[Consequence]:
    """The events of decision `d` for a case that was at `before` (None: just received).

    - the case log hears every decision (CaseRouted);
    - mediation is assigned the case when it moves to another platform, and told of new
      departments at the same platform too (CaseAssigned);
    - each department newly engaged is asked (to answer by `answer_due`, if there is one),
      and one that now leads is asked anew as lead;
      each no longer engaged is told its request is withdrawn;
    - the desk the case leaves is told it moved away; the desk it reaches gets a task.
    """
    engaged = [(d.lead_department, "lead")] if d.lead_department else []
    engaged += [(c, "co") for c in d.co_departments]
    was = set() if before is None else {before.lead_department, *before.co_departments}
    now = {code for code, _ in engaged}
    moved = before is None or before.platform != d.platform
    redepartmented = before is not None and (
        before.lead_department != d.lead_department
        or list(before.co_departments) != list(d.co_departments)
    )
    out: list[Consequence] = [
        (
            CASE_EVENTS,
            CaseRouted(
                level=d.level,
                platform=d.platform,
                desk=d.desk,
                lead_department=d.lead_department,
                co_departments=d.co_departments,
                rule_id=d.rule_id,
                ruleset_version=d.ruleset_version,
                reason=d.reason,
                reroute=before is not None,
            ),
        )
    ]
    if moved or redepartmented:
        out.append(
            (
                VERTICAL_ASSIGN,
                CaseAssigned(
                    platform=d.platform,
                    level=d.level,
                    desk=d.desk,
                    kind=facts.kind,
                    category=facts.category,
                    severity=facts.severity,
                    area_code=facts.area_code,
                    summary=case["summary"],
                    parties=case["parties"],
                    lead_department=d.lead_department,
                    co_departments=d.co_departments,
                    language=case["language"],
                    repeat_of=case["repeat_of"],
                    collective=case["collective"],
                    received_at=case["received_at"],
                    history=history,
                    non_reception_place=case.get("non_reception_place", False),
                    probable_repeat_of=case.get("probable_repeat_of"),
                ),
            )
        )
    out += [
        (
            department_topic(code),
            CoordinationRequested(
                department=code,
                role=role,
                platform=d.platform,
                kind=facts.kind,
                category=facts.category,
                area_code=facts.area_code,
                summary=case["summary"],
                answer_due=answer_due,
            ),
        )
        for code, role in engaged
        if code not in was
        or (role == "lead" and before is not None and before.lead_department != code)
    ]
    out += [
        (department_topic(code), CoordinationWithdrawn(department=code, reason=d.reason))
        for code in sorted(c for c in was - now if c)
    ]
    if before is not None and moved:
        out.append(
            (
                INTERNAL_TASKS,
                DeskTaskCreated(platform=before.platform, desk=before.desk, task="case_moved_away"),
            )
        )
    task = "handle_case" if moved else "case_rerouted"
    out.append((INTERNAL_TASKS, DeskTaskCreated(platform=d.platform, desk=d.desk, task=task)))
    return out
