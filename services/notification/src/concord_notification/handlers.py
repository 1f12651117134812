"""Notification's service layer, the planning half: who is told what, over which channel.

Every request or case event becomes planned deliveries, written to the per-case log once
per event (a redelivered event plans nothing new) and queued for the dispatcher, which
sends them (dispatcher.py). Quiet hours hold non-urgent notices to citizens until morning.
"""

import asyncio
import base64
import json
from dataclasses import dataclass, replace
from datetime import UTC, datetime, time, timedelta
from typing import Any, Protocol

import structlog
from concord_shared.clock import Clock
from concord_shared.consumer import Unprocessable, about
from concord_shared.enums import Language, NoticeKind, NotificationChannel, RecipientKind
from concord_shared.envelope import Envelope
from concord_shared.events import (
    EVENT_TYPES,
    CaseRouted,
    CoordinationAnswered,
    CoordinationDeclined,
    CoordinationReplyRefused,
    CoordinationRequested,
    CoordinationWithdrawn,
    NotificationRequested,
)
from concord_shared.outbox import Outbox
from concord_shared.service import BatchTable, HandlerTable
from concord_shared.topics import CASE_EVENTS, NOTIFY_REQUESTS, department_topic
from concord_shared.tracing import current_trace_headers
from jinja2 import UndefinedError

from concord_notification.adapters.contacts import CitizenContact, Directory, KnownContacts
from concord_notification.adapters.delivery_log import DeliveryLog
from concord_notification.adapters.schedule import DeliverySchedule
from concord_notification.adapters.subscriptions import Subscriptions
from concord_notification.delivery_queue import DeliveryQueue
from concord_notification.domain.deliveries import Delivery, Status, delivery_id
from concord_notification.domain.quiet_hours import QuietHours
from concord_notification.domain.rendering import CASE_CODE_MARKS, Renderer
from concord_notification.domain.targets import (
    Target,
    citizen_target,
    on_record,
    staff_target,
    webhook_target,
)

log = structlog.get_logger(__name__)
SERVICE = "notification"
PLAN_CONCURRENCY = 32  # requests of a batch planned side by side

# Events a department may subscribe to with a webhook, and the notice each one is.
SUBSCRIBABLE: dict[str, NoticeKind | None] = {
    "CoordinationRequested": NoticeKind.COORDINATION_REQUEST,
    "CoordinationReplyRefused": NoticeKind.REPLY_REFUSED,
    "CoordinationWithdrawn": NoticeKind.REQUEST_WITHDRAWN,
    "DeadlineWarning": NoticeKind.DEADLINE_REMINDER,
    "DeadlineBreached": NoticeKind.DEADLINE_BREACH,
    "CaseResolved": NoticeKind.OUTCOME,
    "CaseClosed": NoticeKind.CLOSURE,
    "NotificationRequested": None,  # the notice the request names
}


# On a department's own topic: to that department, not to the departments of the case.
DEPARTMENT_CHANNEL_EVENTS = frozenset(
    {"CoordinationRequested", "CoordinationReplyRefused", "CoordinationWithdrawn"}
)


class Contacts(Protocol):
    async def contact(self, case_id: str, party_ref: str) -> CitizenContact | None: ...

    async def contacts(self, parties: list[tuple[str, str]]) -> KnownContacts: ...


def _facts(payload: Any) -> dict[str, str]:
    """A case event's fields as template facts: plain values only."""
    return {
        k: str(v)
        for k, v in payload.model_dump(mode="json").items()
        if isinstance(v, str | int | float) and not isinstance(v, bool)
    }


@dataclass
class Notification:
    deliveries: DeliveryLog
    schedule: DeliverySchedule
    subscriptions: Subscriptions
    contacts: Contacts
    directory: Directory
    renderer: Renderer
    quiet: QuietHours
    outbox: Outbox  # its topics' names (the planner emits nothing itself)
    clock: Clock
    sms_configured: bool
    queue: DeliveryQueue  # what is due now goes straight to the dispatcher
    reminder_days: int = 1

    # --- handlers -------------------------------------------------------------------

    async def on_notification_requests(
        self, events: list[Envelope[Any]]
    ) -> list[Unprocessable | None]:
        """Many requests at once: the citizens' contacts in one request to intake, then
        each planned as on its own."""
        citizens = sorted(
            {
                (e.case_id, e.payload.recipient_ref)
                for e in events
                if e.payload.recipient_kind is RecipientKind.CITIZEN
            }
        )
        known = await self.contacts.contacts(citizens) if citizens else {}
        at_once = asyncio.Semaphore(PLAN_CONCURRENCY)

        async def one(event: Envelope[Any]) -> Unprocessable | None:
            async with at_once:
                try:
                    with about(event):
                        await self.on_notification_requested(event, known)
                except Unprocessable as exc:
                    return exc
                return None

        return list(await asyncio.gather(*(one(e) for e in events)))

    async def on_notification_requested(
        self,
        event: Envelope[Any],
        known: KnownContacts | None = None,
    ) -> None:
        request: NotificationRequested = event.payload
        facts = {"case_ref": event.case_id[:8], **CASE_CODE_MARKS, **request.facts}
        targets = await self._targets(event.case_id, request, known)
        contacts = {}
        planned = []
        for target in targets:
            delivery = self._delivery(
                event,
                self.outbox.topic(NOTIFY_REQUESTS),
                target,
                request.notice,
                request.recipient_kind,
                request.recipient_ref,
                facts,
                urgent=request.urgent,
                body=self._webhook_body(event, request.notice, target.language, facts)
                if target.channel is NotificationChannel.WEBHOOK
                else None,
            )
            planned.append(delivery)
            contacts[delivery.key] = target.contact
        await self.plan(event.case_id, event.event_id, planned, contacts=contacts)

    async def on_case_routed(self, event: Envelope[Any]) -> None:
        """Remember which departments work on the case: they may subscribe to its events."""
        routed: CaseRouted = event.payload
        departments = [d for d in (routed.lead_department, *routed.co_departments) if d]
        extra = {"$addToSet": {"departments": {"$each": departments}}} if departments else None
        await self.plan(event.case_id, event.event_id, [], extra)

    async def on_coordination_requested(self, event: Envelope[Any]) -> None:
        request: CoordinationRequested = event.payload
        topic = self.outbox.topic(department_topic(request.department))
        planned = await self._to_subscribers(event, [request.department], topic)
        reminders = self._reminders(event, request, planned)
        # The reminders' keys by department: its answer or a withdrawal takes them back.
        extra = {
            "$addToSet": {
                "departments": {"$each": [request.department]},
                f"reminders.{request.department}": {"$each": [r.key for r in reminders]},
            }
        }
        await self.plan(event.case_id, event.event_id, [*planned, *reminders], extra)

    async def on_request_withdrawn(self, event: Envelope[Any]) -> None:
        """Routing no longer asks the department (the case moved on, or was closed): its
        endpoints hear so, and no reminder to answer follows."""
        withdrawn: CoordinationWithdrawn = event.payload
        topic = self.outbox.topic(department_topic(withdrawn.department))
        planned = await self._to_subscribers(event, [withdrawn.department], topic)
        if planned:
            await self.plan(event.case_id, event.event_id, planned)
        await self._no_reminders(event.case_id, withdrawn.department, "request withdrawn")

    async def on_department_replied(self, event: Envelope[Any]) -> None:
        """A department answered or declined: nothing is left for a reminder to ask. (A
        reply routing refuses takes back nothing: a department never asked has no
        reminder, and one whose request is final had its reminder taken back then.)"""
        reply: CoordinationAnswered | CoordinationDeclined = event.payload
        await self._no_reminders(event.case_id, reply.department, event.type)

    async def _no_reminders(self, case_id: str, department: str, why: str) -> None:
        now = self.clock.now()
        for key in await self.deliveries.reminders(case_id, department):
            due = await self.deliveries.withdraw(key, why, now)
            if due is not None:
                await self.schedule.remove(key, due)  # after the write: the log is the truth
                log.info("reminder withdrawn", department=department, why=why)

    async def on_reply_refused(self, event: Envelope[Any]) -> None:
        """A department's reply was refused: to that department's endpoints, whether or not
        it works on the case (it may have replied to the wrong one)."""
        refused: CoordinationReplyRefused = event.payload
        topic = self.outbox.topic(department_topic(refused.department))
        planned = await self._to_subscribers(event, [refused.department], topic)
        if planned:
            await self.plan(event.case_id, event.event_id, planned)

    async def on_case_event(self, event: Envelope[Any]) -> None:
        """A case-log event, to the departments of the case that subscribed to its type."""
        departments = await self.deliveries.departments(event.case_id)
        if not departments:
            return
        planned = await self._to_subscribers(event, departments, self.outbox.topic(CASE_EVENTS))
        if planned:
            await self.plan(event.case_id, event.event_id, planned)

    def _reminders(
        self, event: Envelope[Any], request: CoordinationRequested, sent: list[Delivery]
    ) -> list[Delivery]:
        """Before the department's answer is due: a reminder to the same endpoints, kept
        in the store until its day comes (so a restart does not lose it)."""
        if request.answer_due is None or self.reminder_days <= 0:
            return []
        day = request.answer_due - timedelta(days=self.reminder_days)
        remind_at = datetime.combine(day, time(9), tzinfo=self.quiet.timezone).astimezone(UTC)
        if remind_at <= self.clock.now():
            return []  # due that soon, the request itself is the reminder
        facts = {
            "case_ref": event.case_id[:8],
            "due_at": request.answer_due.isoformat(),
        }
        reminders = []
        for d in sent:
            language_facts = {
                **facts,
                "deadline": "答复" if d.language is Language.ZH else "answer",
            }
            text = self.renderer.render(NoticeKind.DEADLINE_REMINDER, d.language, language_facts)
            key_recipient = f"{d.recipient_ref}~{d.subscription_id}"
            reminders.append(
                d.model_copy(
                    update={
                        "key": delivery_id(f"{event.event_id}~reminder", key_recipient, d.channel),
                        "notice": NoticeKind.DEADLINE_REMINDER,
                        "subject": self.renderer.subject(NoticeKind.DEADLINE_REMINDER, d.language),
                        "text": text,
                        "not_before": remind_at,
                        "body": self._body(event, NoticeKind.DEADLINE_REMINDER, d.language, text),
                    }
                )
            )
        return reminders

    # --- planning -------------------------------------------------------------------

    async def plan(
        self,
        case_id: str,
        cause_id: str,
        planned: list[Delivery],
        extra: dict[str, Any] | None = None,
        index_id: str | None = None,
        contacts: dict[str, CitizenContact | None] | None = None,
    ) -> None:
        """Log the deliveries (once per cause); hand those due now to the dispatcher (with
        the contact just fetched, so it is not asked for again); the schedule has each one
        at its due time, so the others wait there (and those due now, should this process
        die before sending them)."""
        now = self.clock.now()
        entries: dict[str, dict[str, Any]] = {}
        at_once: list[Delivery] = []
        later: list[Delivery] = []
        due_at: dict[str, datetime] = {}
        for delivery in planned:
            due, status = now, Status.PENDING
            if delivery.not_before is not None and delivery.not_before > now:
                due = delivery.not_before
            elif self.held(delivery, now):
                due, status = self.quiet.release_at(now), Status.HELD
            entries[delivery.key] = {
                **delivery.log_entry(status, now, due),
                "spec": delivery.model_dump(mode="json"),
            }
            due_at[delivery.key] = due
            if due > now:
                later.append(delivery)
            else:
                at_once.append(delivery)
        # Scheduled before they are logged (a crash between the two leaves an entry whose
        # delivery the dispatcher does not find yet, never a delivery without one). Again
        # for a cause seen before: harmless, the dispatcher drops entries of settled ones.
        await asyncio.gather(*(self.schedule.add(key, due) for key, due in due_at.items()))
        first_time = await self.deliveries.plan(case_id, cause_id, entries, extra, index_id)
        if first_time and at_once:
            # Straight to the dispatcher; after a crash it finds them in the schedule.
            self.queue.put([(d, (contacts or {}).get(d.key)) for d in at_once])
        if first_time and planned:
            log.info("deliveries planned", count=len(planned), later=len(later))

    def held(self, delivery: Delivery, now: datetime) -> bool:
        """Quiet hours hold non-urgent notices to citizens; urgent ones go at once."""
        return delivery.citizen and not delivery.urgent and self.quiet.is_quiet(now)

    async def _targets(
        self,
        case_id: str,
        request: NotificationRequested,
        known: KnownContacts | None = None,
    ) -> list[Target]:
        kind, ref = request.recipient_kind, request.recipient_ref
        if kind is RecipientKind.CITIZEN:
            if known is not None and (case_id, ref) in known:
                contact = known[(case_id, ref)]
            else:
                contact = await self.contacts.contact(case_id, ref)
            if contact is None:
                return [on_record(ref, request.language)]
            target = citizen_target(ref, contact, sms_configured=self.sms_configured)
            return [replace(target, contact=contact)]
        if kind is RecipientKind.DEPARTMENT:
            subs = await self.subscriptions.active_for(
                ref, {"NotificationRequested", request.notice.value}
            )
            if subs:
                return [webhook_target(ref, s) for s in subs]
        return [staff_target(ref, self.directory.staff(kind, ref), request.language)]

    async def _to_subscribers(
        self, event: Envelope[Any], departments: list[str], topic: str
    ) -> list[Delivery]:
        notice = SUBSCRIBABLE.get(event.type)
        if notice is None:
            return []
        facts = {"case_ref": event.case_id[:8], **_facts(event.payload)}
        planned = []
        for department in departments:
            for sub in await self.subscriptions.active_for(department, {event.type}):
                target = webhook_target(department, sub)
                planned.append(
                    self._delivery(
                        event,
                        topic,
                        target,
                        notice,
                        RecipientKind.DEPARTMENT,
                        department,
                        facts,
                        body=self._webhook_body(event, notice, target.language, facts),
                    )
                )
        return planned

    def _delivery(
        self,
        event: Envelope[Any],
        topic: str,
        target: Target,
        notice: NoticeKind,
        recipient_kind: RecipientKind,
        recipient_ref: str,
        facts: dict[str, str],
        *,
        urgent: bool = False,
        body: str | None = None,
    ) -> Delivery:
        original = event.to_bytes()
        try:
            text = self.renderer.render(notice, target.language, facts)
        except UndefinedError as exc:
            raise Unprocessable("notice_fact_missing", f"{notice}: {exc}") from exc
        return Delivery(
            key=delivery_id(event.event_id, target.key_recipient, target.channel),
            case_id=event.case_id,
            request_event_id=event.event_id,
            correlation_id=event.correlation_id,
            event_type=event.type,
            notice=notice,
            recipient_kind=recipient_kind,
            recipient_ref=recipient_ref,
            channel=target.channel,
            language=target.language,
            urgent=urgent,
            subject=self.renderer.subject(notice, target.language),
            text=text,
            address_masked=target.address_masked,
            subscription_id=target.subscription_id,
            body=body,
            original_topic=topic,
            original_b64=base64.b64encode(original).decode(),
            trace=current_trace_headers(),
        )

    def _webhook_body(
        self, event: Envelope[Any], notice: NoticeKind, language: Language, facts: dict[str, str]
    ) -> str:
        return self._body(event, notice, language, self.renderer.render(notice, language, facts))

    @staticmethod
    def _body(event: Envelope[Any], notice: NoticeKind, language: Language, text: str) -> str:
        """What a department's endpoint receives: the event as published (its contract in
        contracts/), the notice it amounts to, and the notice's text."""
        return json.dumps(
            {
                "event": json.loads(event.to_bytes()),
                "notice": notice.value,
                "language": language.value,
                "text": text,
            },
            ensure_ascii=False,
            separators=(",", ":"),
        )


HANDLERS: HandlerTable[Notification] = {
    # The case events departments may subscribe to by webhook.
    **{
        EVENT_TYPES[t]: Notification.on_case_event
        for t, notice in SUBSCRIBABLE.items()
        if notice is not None and t not in DEPARTMENT_CHANNEL_EVENTS
    },
    NotificationRequested: Notification.on_notification_requested,
    CaseRouted: Notification.on_case_routed,
    CoordinationRequested: Notification.on_coordination_requested,
    CoordinationReplyRefused: Notification.on_reply_refused,
    CoordinationWithdrawn: Notification.on_request_withdrawn,
    CoordinationAnswered: Notification.on_department_replied,
    CoordinationDeclined: Notification.on_department_replied,
}
# Requests come in batches: the citizens' contacts in one request to intake for all.
BATCH_HANDLERS: BatchTable[Notification] = {
    NotificationRequested: Notification.on_notification_requests
}
