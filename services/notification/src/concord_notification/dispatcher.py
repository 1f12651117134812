"""Notification's service layer, the sending half: the dispatcher.

It takes deliveries that came due (new ones at once, retries after their backoff, held
ones when quiet hours end), claims each in the delivery log, sends it over its channel, and
settles it: delivered (NotificationDelivered on the case log), retried later with
exponential backoff and full jitter, or given up (NotificationFailed on the case log and a
dead letter on <ns>.dlq.notification). A webhook endpoint that keeps failing is paused and
its department told. Everything it needs is in the store, so a restart loses nothing.
"""

import asyncio
import base64
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import structlog
from concord_shared.background import Background, every
from concord_shared.enums import NoticeKind, NotificationChannel, RecipientKind
from concord_shared.envelope import EventPayload, envelope
from concord_shared.events import DeadLettered, NotificationDelivered, NotificationFailed
from concord_shared.letter_seal import LetterSeal
from concord_shared.outbox import Emit, Written
from concord_shared.topics import CASE_EVENTS, TopicSpec, dead_letter_topic

from concord_notification.adapters.channels import Mailer, SendFailed, SmsGateway, Webhooks
from concord_notification.adapters.contacts import CitizenContact, ContactUnavailable, Directory
from concord_notification.adapters.delivery_log import DeliveryLog
from concord_notification.adapters.pending import PendingDeliveries
from concord_notification.adapters.subscriptions import PAUSED, Subscriptions
from concord_notification.domain.clock import Clock
from concord_notification.domain.deliveries import Delivery, Status, delivery_id
from concord_notification.domain.masking import mask_email, mask_url
from concord_notification.domain.retries import backoff_delay
from concord_notification.handlers import SERVICE, Contacts, Notification

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 5
    base_delay_s: float = 2.0
    max_delay_s: float = 600.0
    pause_after_failures: int = 3
    lease: timedelta = timedelta(seconds=60)


@dataclass
class Dispatcher:
    planner: Notification
    deliveries: DeliveryLog
    pending: PendingDeliveries
    subscriptions: Subscriptions
    contacts: Contacts
    directory: Directory
    webhooks: Webhooks
    mailer: Mailer
    sms: SmsGateway
    clock: Clock
    topic: Callable[[TopicSpec], str]
    on_written: Written
    policy: RetryPolicy
    seal: LetterSeal  # a dead letter's original bytes are never kept in clear
    interval_s: float = 1.0
    sweep_interval_s: float = 30.0
    batch_size: int = 50  # deliveries attempted side by side
    _wake: asyncio.Event = field(default_factory=asyncio.Event)
    _ready: dict[str, tuple[Delivery, CitizenContact | None]] = field(default_factory=dict)
    # Handed over by the planner and never queued in the store: nothing there to move.
    _unqueued: set[str] = field(default_factory=set)
    _background: Background = field(default_factory=lambda: Background("notification-dispatcher"))
    _in_flight: set[str] = field(default_factory=set)

    def submit(self, deliveries: list[tuple[Delivery, CitizenContact | None]]) -> None:
        """Deliveries due now, straight from the planner (with a citizen's contact, used for
        the first attempt and then forgotten)."""
        self._ready.update((d.key, (d, contact)) for d, contact in deliveries)
        self._unqueued.update(d.key for d, _ in deliveries)
        self._wake.set()

    def start(self) -> None:
        # The sweep, a scan of the log on FerretDB, runs beside dispatching: a notice just
        # planned never waits for it.
        # At once first: a crash may have left deliveries behind; if the store is away they
        # wait in it for the next turn.
        sweep = every(self.sweep_interval_s, self.sweep, "dispatcher: sweep will retry")
        self._background.start(self._run, sweep)

    async def stop(self) -> None:
        await self._background.stop()

    async def _run(self) -> None:
        while True:
            self._wake.clear()
            try:
                found = await self.dispatch_due()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the store may be away: the deliveries wait in it
                log.warning("dispatcher: will retry", error=repr(exc))
                found = 0
                await asyncio.sleep(self.interval_s)
            if found < self.batch_size and not self._ready:
                try:
                    await asyncio.wait_for(self._wake.wait(), timeout=self.interval_s)
                except TimeoutError:
                    pass

    async def sweep(self) -> None:
        """Deliveries due that nobody is on (the process that planned them died)."""
        for d in await self.deliveries.open_due(self.clock(), 500):
            if d.key not in self._in_flight:
                self._ready.setdefault(d.key, (d, None))
        if self._ready:
            self._wake.set()

    async def dispatch_due(self) -> int:
        keys = list(self._ready)[: self.batch_size]
        ready = [self._ready.pop(k) for k in keys]
        due = await self.pending.due(self.clock(), self.batch_size)
        work = {d.key: (d, contact) for d, contact in ready}
        for d in due:
            work.setdefault(d.key, (d, None))
        fresh = [(d, c) for k, (d, c) in work.items() if k not in self._in_flight]
        await asyncio.gather(*(self._attempt_once(d, c) for d, c in fresh))
        return len(fresh)

    async def _attempt_once(self, delivery: Delivery, contact: CitizenContact | None) -> None:
        # Within this process, one attempt at a time per delivery; across processes the
        # claim in the log decides.
        self._in_flight.add(delivery.key)
        try:
            await self.attempt(delivery, contact)
        finally:
            self._in_flight.discard(delivery.key)
            self._unqueued.discard(delivery.key)

    async def _unqueue(self, key: str) -> None:
        if key not in self._unqueued:
            await self.pending.remove(key)

    async def attempt(self, delivery: Delivery, contact: CitizenContact | None = None) -> None:
        d = delivery
        with structlog.contextvars.bound_contextvars(
            case_id=d.case_id, event_id=d.request_event_id, delivery=d.key
        ):
            now = self.clock()
            if self.planner.held(d, now):
                until = self.planner.quiet.release_at(now)
                await self.deliveries.hold(d.key, until)
                await self.pending.schedule(d, until)
                return
            entry = await self.deliveries.claim(d.key, now, self.policy.lease)
            if entry is None:
                await self._not_claimed(d, now)
                return
            attempts = int(entry["attempts"])
            if d.key not in self._unqueued:
                # Others look again only when the lease ends (if this process dies mid-send).
                await self.pending.reschedule(d.key, now + self.policy.lease)
            try:
                await self.send(d, contact)
            except SendFailed as exc:
                await self._failed(d, attempts, exc, now)
            except Exception as exc:  # an adapter's surprise is a failed attempt, not a crash
                await self._failed(d, attempts, SendFailed(repr(exc), retryable=True), now)
            else:
                await self._delivered(d, attempts)

    async def _not_claimed(self, d: Delivery, now: datetime) -> None:
        current = await self.deliveries.entry(d.key)
        if current is None or current["status"] in (Status.DELIVERED, Status.FAILED):
            await self.pending.remove(d.key)  # settled already (or a re-queued duplicate)
        else:  # another sender holds it: look again when its lease ends
            lease_until = current.get("lease_until") or now
            await self.pending.reschedule(d.key, max(lease_until, now) + timedelta(seconds=1))

    # --- the channels ---------------------------------------------------------------

    async def send(self, d: Delivery, contact: "CitizenContact | None" = None) -> None:
        if d.channel is NotificationChannel.RECORD:
            return
        if d.channel is NotificationChannel.WEBHOOK:
            sub = await self.subscriptions.get(d.subscription_id or "")
            if sub is None:
                raise SendFailed("subscription removed", retryable=False)
            if sub["status"] == PAUSED:
                raise SendFailed("endpoint paused", retryable=False)
            await self.webhooks.post(
                sub["url"], sub["secret"], d.body or "", d.request_event_id, d.event_type
            )
            return
        address = await self._address(d, contact)
        if d.channel is NotificationChannel.EMAIL:
            await self.mailer.send(address, d.subject, d.text, d.key)
        elif d.channel is NotificationChannel.SMS:
            await self.sms.send(address, d.text, d.key)

    async def _address(self, d: Delivery, contact: CitizenContact | None) -> str:
        """The address, looked up now (or just now, by the planner) and forgotten after the
        attempt."""
        if d.recipient_kind is RecipientKind.CITIZEN:
            try:
                contact = contact or await self.contacts.contact(d.case_id, d.recipient_ref)
            except ContactUnavailable as exc:
                raise SendFailed(str(exc), retryable=True) from exc
            if contact is None:
                raise SendFailed("no contact for the party", retryable=False)
            address = contact.email if d.channel is NotificationChannel.EMAIL else contact.phone
            if not address:
                raise SendFailed(f"the party has no {d.channel} address", retryable=False)
            return address
        if d.subscription_id:  # a department told about its own endpoint
            sub = await self.subscriptions.get(d.subscription_id)
            if sub is not None and sub.get("contact_email"):
                return str(sub["contact_email"])
        staff = {
            RecipientKind.MEDIATOR: self.directory.mediators,
            RecipientKind.LEADER: self.directory.leaders,
            RecipientKind.DEPARTMENT: self.directory.departments,
        }[d.recipient_kind].get(d.recipient_ref)
        if staff is None:
            raise SendFailed("no address in the directory", retryable=False)
        return staff.email

    # --- settling -------------------------------------------------------------------

    def _emit(self, topic: str, payload: EventPayload, d: Delivery) -> Emit:
        event = envelope(
            payload, source=SERVICE, case_id=d.case_id, correlation_id=d.correlation_id
        ).model_copy(update={"causation_id": d.request_event_id})
        return Emit(topic, event)

    async def _delivered(self, d: Delivery, attempts: int) -> None:
        now = self.clock()
        delivered = NotificationDelivered(
            notice=d.notice,
            recipient_kind=d.recipient_kind,
            recipient_ref=d.recipient_ref,
            channel=d.channel,
            request_event_id=d.request_event_id,
        )
        emits = [self._emit(self.topic(CASE_EVENTS), delivered, d)]
        settled = await self.deliveries.settle(
            d.key,
            attempts,
            Status.DELIVERED,
            {"at": now, "attempt": attempts, "ok": True},
            {"delivered_at": now, "last_error": None},
            emits,
        )
        if settled:
            self.on_written(d.key, emits)
            log.info("notice delivered", channel=d.channel, notice=d.notice, attempts=attempts)
        await self._unqueue(d.key)
        if d.channel is NotificationChannel.WEBHOOK and d.subscription_id:
            await self.subscriptions.succeeded(d.subscription_id)

    async def _failed(self, d: Delivery, attempts: int, exc: SendFailed, now: datetime) -> None:
        result = {"at": now, "attempt": attempts, "ok": False, "error": exc.error}
        if exc.retryable and attempts < self.policy.attempts:
            delay = backoff_delay(attempts, self.policy.base_delay_s, self.policy.max_delay_s)
            next_at = now + timedelta(seconds=delay)
            if await self.deliveries.settle(
                d.key,
                attempts,
                Status.PENDING,
                result,
                {"due_at": next_at, "last_error": exc.error},
                [],
            ):
                await self.pending.schedule(d, next_at)
                self._unqueued.discard(d.key)
            log.warning("delivery failed, will retry", error=exc.error, attempt=attempts)
            return
        failed = NotificationFailed(
            notice=d.notice,
            recipient_kind=d.recipient_kind,
            recipient_ref=d.recipient_ref,
            channel=d.channel,
            request_event_id=d.request_event_id,
            error=exc.error,
            attempts=attempts,
        )
        emits = [
            self._emit(self.topic(CASE_EVENTS), failed, d),
            self._emit(
                self.topic(dead_letter_topic(SERVICE)), self._dead_letter(d, exc, attempts), d
            ),
        ]
        settled = await self.deliveries.settle(
            d.key,
            attempts,
            Status.FAILED,
            result,
            {"failed_at": now, "last_error": exc.error},
            emits,
        )
        await self._unqueue(d.key)
        if not settled:
            return
        self.on_written(d.key, emits)
        log.error("delivery gave up", error=exc.error, attempts=attempts, channel=d.channel)
        if d.channel is NotificationChannel.WEBHOOK and d.subscription_id:
            paused = await self.subscriptions.failed(
                d.subscription_id, self.policy.pause_after_failures, now
            )
            if paused:
                await self._tell_owner(d)

    def _dead_letter(self, d: Delivery, exc: SendFailed, attempts: int) -> DeadLettered:
        original = base64.b64decode(d.original_b64)
        return DeadLettered(
            service=SERVICE,
            reason="delivery_failed",
            error=f"{d.channel} to {d.recipient_kind} {d.recipient_ref}: {exc.error}",
            original_topic=d.original_topic,
            original_partition=-1,  # a delivery, not a record, gave up: no offset to name
            original_offset=-1,
            original_key=d.case_id,
            original_headers={"event_type": d.event_type, "event_id": d.request_event_id},
            original_value_sealed=self.seal.seal(original),
            original_size=len(original),
            attempts=attempts,
        )

    async def _tell_owner(self, d: Delivery) -> None:
        """The endpoint was paused: tell its department by e-mail (the subscription's contact
        address, else the directory's), logged under the case whose delivery tipped it."""
        sub: dict[str, Any] | None = await self.subscriptions.get(d.subscription_id or "")
        if sub is None:
            return
        department = sub["department"]
        address = sub.get("contact_email") or (
            self.directory.departments[department].email
            if department in self.directory.departments
            else None
        )
        channel = NotificationChannel.EMAIL if address else NotificationChannel.RECORD
        cause_id = f"{d.key}~paused"
        language = d.language
        renderer = self.planner.renderer
        notice = NoticeKind.ENDPOINT_PAUSED
        facts = {
            "endpoint": mask_url(sub["url"]),
            "failures": str(sub.get("consecutive_failures", self.policy.pause_after_failures)),
            "subscription_id": sub["_id"],
        }
        owner_notice = d.model_copy(
            update={
                "key": delivery_id(cause_id, department, channel),
                "request_event_id": cause_id,
                "event_type": "EndpointPaused",
                "notice": notice,
                "recipient_kind": RecipientKind.DEPARTMENT,
                "recipient_ref": department,
                "channel": channel,
                "urgent": True,
                "subject": renderer.subject(notice, language),
                "text": renderer.render(notice, language, facts),
                "address_masked": mask_email(address) if address else None,
                "body": None,
            }
        )
        log.warning("webhook endpoint paused", subscription=sub["_id"], department=department)
        # Indexed under the subscription, not the case: the consumer alone writes a case's
        # index (see adapters/delivery_log.py); GET /cases/subscription:<id>/deliveries.
        await self.planner.plan(
            d.case_id, cause_id, [owner_notice], index_id=f"subscription:{sub['_id']}"
        )
