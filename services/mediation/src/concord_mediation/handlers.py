"""Mediation's event handlers: open (or re-open) a case at the platform it was assigned to;
attach departments' answers to the case."""

from dataclasses import dataclass
from typing import Any

import structlog
from concord_shared.consumer import Unprocessable
from concord_shared.enums import FILERS, CaseStatus, Language, NoticeKind, RecipientKind, Severity
from concord_shared.envelope import Envelope
from concord_shared.events import (
    CaseAssigned,
    CoordinationAccepted,
    CoordinationAnswered,
    CoordinationDeclined,
    DeskTaskCreated,
    MediationOpened,
    NotificationRequested,
)
from concord_shared.service import HandlerTable
from concord_shared.topics import CASE_EVENTS, INTERNAL_TASKS, NOTIFY_REQUESTS
from concord_shared.wording import Lang, Names

from concord_mediation.adapters.repository import MediationRepository
from concord_mediation.domain.case import leader_of
from concord_mediation.domain.change import Change
from concord_mediation.domain.deadlines import local_due
from concord_mediation.domain.workflow import Action
from concord_mediation.workflow import SERVICE, Workflow

log = structlog.get_logger(__name__)

# The replies a citizen hears of (a decline re-routes the case: routing says so).
_NEWS = {"CoordinationAccepted": "accepted", "CoordinationAnswered": "answered"}


def _engaged(assigned: CaseAssigned) -> list[str]:
    return [d for d in (assigned.lead_department, *assigned.co_departments) if d]


def involved(doc: dict[str, Any]) -> set[str]:
    """Every department asked about the case, now or before (a case from before the list
    was kept: its lead and co-departments)."""
    now = [doc.get("lead_department"), *(doc.get("co_departments") or [])]
    return {d for d in (*now, *(doc.get("departments") or [])) if d}


__all__ = ["SERVICE", "Mediation"]


@dataclass
class Mediation:
    repo: MediationRepository
    workflow: Workflow

    async def on_case_assigned(self, event: Envelope[Any]) -> None:
        # Opening needs no lock: it inserts, or (a redelivery) writes nothing at all.
        assigned: CaseAssigned = event.payload
        policy = self.workflow.policy
        acceptance_span, _ = policy.spans(assigned.kind, assigned.level, assigned.severity)
        acceptance = policy.start("acceptance", acceptance_span, assigned.received_at)
        case = {
            "platform": assigned.platform,
            "origin_platform": assigned.platform,
            "platforms": [assigned.platform],
            "level": assigned.level,
            "desk": assigned.desk,
            "kind": assigned.kind,
            "category": assigned.category,
            "severity": assigned.severity,
            "area_code": assigned.area_code,
            "summary": assigned.summary,
            "parties": [p.model_dump(mode="json") for p in assigned.parties],
            "lead_department": assigned.lead_department,
            "co_departments": assigned.co_departments,
            "departments": _engaged(assigned),
            "language": assigned.language,
            "repeat_of": assigned.repeat_of,
            "collective": assigned.collective,
            "non_reception_place": assigned.non_reception_place,
            "probable_repeat_of": assigned.probable_repeat_of,
            "status": CaseStatus.RECEIVED,
            "received_at": assigned.received_at,
            "opened_at": event.occurred_at,
            "correlation_id": event.correlation_id,
            "acceptance_due": acceptance.due_at,
            "deadlines": {"acceptance": acceptance.to_doc()},
            "next_timer_at": acceptance.warn_at,
            "rev": 0,
            "history": [
                {
                    "at": event.occurred_at,
                    "status": CaseStatus.RECEIVED,
                    "action": "open",
                    "platform": assigned.platform,
                }
            ],
        }

        events = self.workflow.outbox.change(event.case_id, cause=event)
        events.emit(
            CASE_EVENTS,
            MediationOpened(
                platform=assigned.platform,
                level=assigned.level,
                status=CaseStatus.RECEIVED,
                acceptance_due=acceptance.due_at,
            ),
        )
        for party in assigned.parties:
            if party.role in FILERS:  # an early warning's reporter too
                events.emit(
                    NOTIFY_REQUESTS,
                    NotificationRequested(
                        notice=NoticeKind.RECEIPT,
                        recipient_kind=RecipientKind.CITIZEN,
                        recipient_ref=party.ref,
                        language=assigned.language,
                        facts={
                            "platform": assigned.platform,
                            "acceptance_due": local_due(policy, acceptance.due_at),
                        },
                    ),
                )
        if assigned.severity is Severity.HIGH:
            events.emit(NOTIFY_REQUESTS, self._major_case(assigned))
        # A known case is an escalated case come back, or a redelivery.
        indexes = self.workflow.indexes
        if await self.repo.get(event.case_id) is None:
            new = {"_id": event.case_id, **case}
            # Its counters first: nobody can change the case before it exists, so nothing
            # newer is overwritten; its lists and timer once it exists.
            await indexes.set_counters(new)
            if events.stored(
                await self.repo.open_case(event.case_id, event.event_id, case, events.emits)
            ):
                await indexes.index_case(new, counters=False)
                log.info(
                    "mediation case opened",
                    platform=assigned.platform,
                    platform_level=assigned.level,
                )
                return
        async with self.workflow.locks.hold(event.case_id):
            fresh = await self.repo.get(event.case_id)
            if fresh is not None:
                # Index it again (a crash may have come between its insert and its indexes).
                await indexes.index_case(fresh)
                if fresh["platform"] == assigned.platform:
                    await self._departments_changed(fresh, event)
                else:
                    await self._reopen(fresh, event)

    def _major_case(self, assigned: CaseAssigned) -> NotificationRequested:
        """A high-severity case (an early warning of a brewing clash, say) is the leader on
        duty's to know of at once, not only the desk's and the departments'."""
        zh, en = Names(self.workflow.registry, "zh"), Names(self.workflow.registry, "en")
        return NotificationRequested(
            notice=NoticeKind.MAJOR_CASE,
            recipient_kind=RecipientKind.LEADER,
            recipient_ref=leader_of(assigned.platform),
            urgent=True,
            facts={
                "platform": zh.platform(assigned.platform),
                "platform_en": en.platform(assigned.platform),
                "category": zh.category(assigned.category),
                "category_en": en.category(assigned.category),
                "reason": assigned.summary[:200],
                "kind": assigned.kind.value,
            },
        )

    async def _departments_changed(self, doc: dict[str, Any], event: Envelope[Any]) -> None:
        """Re-routed at the same platform (a department declined): the case's lead and
        co-departments are routing's new ones, so the desk and the rating see who works on
        it now. A redelivery, or the same departments, changes nothing."""
        assigned: CaseAssigned = event.payload
        now = (assigned.lead_department, list(assigned.co_departments))
        for _ in range(8):
            if (doc.get("lead_department"), list(doc.get("co_departments") or [])) == now:
                return
            change = Change(doc, self.workflow.clock.now())
            change.sets.update(lead_department=now[0], co_departments=now[1])
            change.sets["departments"] = sorted({*involved(doc), *_engaged(assigned)})
            change.record("departments_changed", "routing", f"lead department now {now[0] or '-'}")
            if await self.workflow.write(change, cause_id=event.event_id):
                log.info("case departments changed", lead_department=now[0])
                return
            fresh = await self.repo.get(event.case_id)
            if fresh is None:
                return
            doc = fresh

    async def _reopen(self, doc: dict[str, Any], event: Envelope[Any]) -> None:
        """An escalated case assigned to the parent platform starts there again, with its
        history; any other assignment of a known case is a redelivery and changes nothing."""
        assigned: CaseAssigned = event.payload
        if doc["status"] != CaseStatus.ESCALATED or doc["platform"] == assigned.platform:
            return
        for _ in range(8):
            change = Change(doc, self.workflow.clock.now())
            change.sets.update(
                platform=assigned.platform,
                level=assigned.level,
                desk=assigned.desk,
                lead_department=assigned.lead_department,
                co_departments=assigned.co_departments,
                departments=sorted({*involved(doc), *_engaged(assigned)}),
            )
            change.add("platforms", assigned.platform)
            change.unset.update({"mediator", "paused_from"})
            self.workflow.rules.transition(
                change, Action.REOPEN, reason="assigned after escalation", actor="routing"
            )
            span, _ = self.workflow.policy.spans(assigned.kind, assigned.level, assigned.severity)
            timers = change.timers()
            timers["acceptance"] = self.workflow.policy.start("acceptance", span, change.now)
            timers.pop("handling", None)
            change.set_timers(timers)
            change.sets["acceptance_due"] = timers["acceptance"].due_at
            self.workflow.rules.hand_over(change, doc["platform"], "escalation")
            if await self.workflow.write(change, cause_id=event.event_id):
                log.info("escalated case re-opened", platform=assigned.platform)
                return
            fresh = await self.repo.get(event.case_id)
            if fresh is None or fresh["status"] != CaseStatus.ESCALATED:
                return
            doc = fresh

    async def on_department_reply(self, event: Envelope[Any]) -> None:
        """Accepted, declined or answered: the reply goes on the case if its department is
        or was asked about it (routing tells any other department its reply is refused).
        An acceptance or an answer is a task for the platform's desk and news for the
        citizen, in the same write."""
        reply = {
            "type": event.type,
            "at": event.occurred_at,
            "event_id": event.event_id,
            **event.payload.model_dump(mode="json"),
        }
        department = event.payload.department
        for _ in range(8):
            async with self.workflow.locks.hold(event.case_id):
                doc = await self.repo.get(event.case_id)
                if doc is None:
                    raise Unprocessable("unknown_case", f"mediation has no case {event.case_id}")
                if department not in involved(doc):
                    log.warning("reply of a department not asked: not attached")
                    return
                attached = doc.get("department_replies", [])
                if any(r.get("event_id") == event.event_id for r in attached):
                    return  # a redelivery
                change = Change(doc, self.workflow.clock.now())
                change.add("department_replies", reply)
                news = _NEWS.get(event.type)
                if news is not None:
                    self._tell_of_reply(change, department, news)
                if await self.workflow.write(change, cause_id=event.event_id):
                    log.info("department reply attached", department=department)
                    return
        raise RuntimeError(f"case {event.case_id} kept changing; the reply is tried again")

    def _tell_of_reply(self, change: Change, department: str, news: str) -> None:
        change.emit(
            INTERNAL_TASKS,
            DeskTaskCreated(
                platform=change.platform, desk=change.case.desk, task=f"department_{news}"
            ),
        )
        language: Lang = "en" if change.case.language is Language.EN else "zh"
        name = Names(self.workflow.registry, language).department(department)
        self.workflow.rules.notify_parties(
            change, NoticeKind.DEPARTMENT_REPLY, {"department_name": name, "reply": news}
        )


HANDLERS: HandlerTable[Mediation] = {
    CaseAssigned: Mediation.on_case_assigned,
    CoordinationAccepted: Mediation.on_department_reply,
    CoordinationDeclined: Mediation.on_department_reply,
    CoordinationAnswered: Mediation.on_department_reply,
}
