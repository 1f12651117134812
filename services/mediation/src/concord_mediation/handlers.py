"""Mediation's event handlers: open (or re-open) a case at the platform it was assigned to;
attach departments' answers to the case."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import structlog
from concord_shared.consumer import Unprocessable
from concord_shared.enums import CaseStatus, NoticeKind, PartyRole, RecipientKind
from concord_shared.envelope import Envelope
from concord_shared.events import CaseAssigned, MediationOpened, NotificationRequested
from concord_shared.outbox import Emit, Written, caused
from concord_shared.topics import CASE_EVENTS, NOTIFY_REQUESTS, TopicSpec

from concord_mediation.adapters.repository import MediationRepository
from concord_mediation.change import Change
from concord_mediation.domain.workflow import Action
from concord_mediation.workflow import SERVICE, Workflow

log = structlog.get_logger(__name__)

__all__ = ["SERVICE", "Mediation"]


@dataclass
class Mediation:
    repo: MediationRepository
    workflow: Workflow
    topic: Callable[[TopicSpec], str]
    on_written: Written

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
            "language": assigned.language,
            "repeat_of": assigned.repeat_of,
            "collective": assigned.collective,
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

        def emit(topic: str, payload: Any) -> Emit:
            return caused(topic, payload, event, SERVICE)

        emits = [
            emit(
                self.topic(CASE_EVENTS),
                MediationOpened(
                    platform=assigned.platform,
                    level=assigned.level,
                    status=CaseStatus.RECEIVED,
                    acceptance_due=acceptance.due_at,
                ),
            ),
            *(
                emit(
                    self.topic(NOTIFY_REQUESTS),
                    NotificationRequested(
                        notice=NoticeKind.RECEIPT,
                        recipient_kind=RecipientKind.CITIZEN,
                        recipient_ref=party.ref,
                        language=assigned.language,
                        facts={
                            "platform": assigned.platform,
                            "acceptance_due": acceptance.due_at.astimezone(policy.calendar.tz)
                            .date()
                            .isoformat(),
                        },
                    ),
                )
                for party in assigned.parties
                if party.role is PartyRole.APPLICANT
            ),
        ]
        # A known case is an escalated case come back, or a redelivery.
        indexes = self.workflow.indexes
        if await self.repo.get(event.case_id) is None:
            new = {"_id": event.case_id, **case}
            # Its counters first: nobody can change the case before it exists, so nothing
            # newer is overwritten; its lists and timer once it exists.
            await indexes.set_counters(new)
            if await self.repo.open_case(event.case_id, event.event_id, case, emits):
                self.on_written(event.case_id, emits)
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
                await self._reopen(fresh, event)

    async def _reopen(self, doc: dict[str, Any], event: Envelope[Any]) -> None:
        """An escalated case assigned to the parent platform starts there again, with its
        history; any other assignment of a known case is a redelivery and changes nothing."""
        assigned: CaseAssigned = event.payload
        if doc["status"] != CaseStatus.ESCALATED or doc["platform"] == assigned.platform:
            return
        for _ in range(8):
            change = Change(doc, self.workflow.clock.now())
            change.sets.update(platform=assigned.platform, level=assigned.level, desk=assigned.desk)
            change.add("platforms", assigned.platform)
            change.unset.update({"mediator", "paused_from"})
            self.workflow.transition(
                change, Action.REOPEN, reason="assigned after escalation", actor="routing"
            )
            span, _ = self.workflow.policy.spans(assigned.kind, assigned.level, assigned.severity)
            timers = change.timers()
            timers["acceptance"] = self.workflow.policy.start("acceptance", span, change.now)
            timers.pop("handling", None)
            change.set_timers(timers)
            change.sets["acceptance_due"] = timers["acceptance"].due_at
            if await self.workflow.write(change, cause_id=event.event_id):
                log.info("escalated case re-opened", platform=assigned.platform)
                return
            fresh = await self.repo.get(event.case_id)
            if fresh is None or fresh["status"] != CaseStatus.ESCALATED:
                return
            doc = fresh

    async def on_department_reply(self, event: Envelope[Any]) -> None:
        """Accepted, declined or answered: the department's reply goes on the case."""
        reply = {
            "type": event.type,
            "at": event.occurred_at,
            "event_id": event.event_id,
            **event.payload.model_dump(mode="json"),
        }
        if await self.repo.get(event.case_id) is None:
            raise Unprocessable("unknown_case", f"mediation has no case {event.case_id}")
        await self.repo.apply_event(
            event.case_id, event.event_id, {"$push": {"department_replies": reply}}
        )

    def handlers(self) -> dict[str, Any]:
        return {
            "CaseAssigned": self.on_case_assigned,
            "CoordinationAccepted": self.on_department_reply,
            "CoordinationDeclined": self.on_department_reply,
            "CoordinationAnswered": self.on_department_reply,
        }
