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
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any

import structlog
from concord_shared.background import Background
from concord_shared.clock import Clock
from concord_shared.enums import NoticeKind, NotificationChannel, RecipientKind
from concord_shared.events import DeadLettered, NotificationDelivered, NotificationFailed
from concord_shared.letter_seal import LetterSeal
from concord_shared.metrics import DELIVERIES
from concord_shared.outbox import Change, Outbox
from concord_shared.topics import CASE_EVENTS, dead_letter_topic
from concord_shared.tracing import span_from
from opentelemetry.trace import SpanKind

from concord_notification.adapters.channels import Mailer, SendFailed, SmsGateway, Webhooks
from concord_notification.adapters.contacts import CitizenContact, ContactUnavailable, Directory
from concord_notification.adapters.delivery_log import DeliveryLog
from concord_notification.adapters.schedule import DeliverySchedule
from concord_notification.adapters.subscriptions import PAUSED, Subscriptions
from concord_notification.delivery_queue import DeliveryQueue
from concord_notification.domain.deliveries import SETTLED, Delivery, Status, delivery_id
from concord_notification.domain.masking import mask_email, mask_url
from concord_notification.domain.rendering import with_case_codes
from concord_notification.domain.retries import backoff_delay
from concord_notification.handlers import SERVICE, Contacts, Notification

log = structlog.get_logger(__name__)
OUTCOME = "concord.outcome"  # a delivery span's attribute: held, not claimed, retry, ...
LEASE_MARGIN = timedelta(seconds=1)  # look again just after another sender's lease ends


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
    schedule: DeliverySchedule
    subscriptions: Subscriptions
    contacts: Contacts
    directory: Directory
    webhooks: Webhooks
    mailer: Mailer
    sms: SmsGateway
    clock: Clock
    outbox: Outbox
    policy: RetryPolicy
    seal: LetterSeal  # a dead letter's original bytes are never kept in clear
    queue: DeliveryQueue  # what the planner found due now
    interval_s: float = 1.0
    batch_size: int = 50  # deliveries attempted side by side
    _background: Background = field(default_factory=lambda: Background("notification-dispatcher"))
    # The attempts running in this process, by delivery: at most one each, `batch_size` in all.
    _in_flight: dict[str, asyncio.Task[None]] = field(default_factory=dict)
    _polled_at: float = float("-inf")  # when the schedule was last read (monotonic)
    _more_due: bool = False  # the last read found more due than one batch

    def start(self) -> None:
        # A store from before the schedule is indexed once, beside dispatching (a read of
        # the whole log: a notice just planned never waits for it).
        self._background.start(self._run, self._backfill)

    async def _backfill(self) -> None:
        while True:
            try:
                await self.schedule.backfill_once(self.deliveries.open_deliveries)
                return
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the store may be away: again in a while
                log.warning("dispatcher: backfill will retry", error=repr(exc))
                await asyncio.sleep(max(self.interval_s, 5.0))

    async def stop(self) -> None:
        await self._background.stop()

    async def _run(self) -> None:
        # Up to a batch of attempts run side by side, each started as soon as there is room:
        # a notice planned now never waits for the slowest attempt of the ones before it.
        try:
            while True:
                self.queue.rest()
                try:
                    await self.start_due()
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # the store may be away: the deliveries wait in it
                    log.warning("dispatcher: will retry", error=repr(exc))
                    await asyncio.sleep(self.interval_s)
                    continue
                if len(self._in_flight) >= self.batch_size:  # until an attempt ends
                    await asyncio.wait(
                        self._in_flight.values(),
                        timeout=self.interval_s,
                        return_when=asyncio.FIRST_COMPLETED,
                    )
                elif not self.queue and not self._more_due:  # until one is handed over
                    await self.queue.wait(self.interval_s)
        finally:
            running = list(self._in_flight.values())
            for task in running:
                task.cancel()
            await asyncio.gather(*running, return_exceptions=True)

    async def start_due(self) -> None:
        """Starts attempts, as many as there is room for beside those running: what the
        planner just handed over and -- at most once an interval while the planner keeps
        handing over -- what the schedule says is due."""
        room = self.batch_size - len(self._in_flight)
        work = self.queue.take(room)
        left = room - len(work)
        stale = time.monotonic() - self._polled_at >= self.interval_s
        if left > 0 and (not work or self._more_due or stale):
            self._polled_at = time.monotonic()
            for d in await self._scheduled_due(self.clock.now(), set(work), left):
                work.setdefault(d.key, (d, None))
        for key, (d, c) in work.items():
            if key in self._in_flight:
                continue
            # In flight from now, not from when it runs: the next read of the schedule skips it.
            task = asyncio.create_task(self._attempt_once(d, c))
            self._in_flight[key] = task
            task.add_done_callback(partial(self._ended, key))

    def _ended(self, key: str, _: asyncio.Task[None]) -> None:
        del self._in_flight[key]

    async def _scheduled_due(self, now: datetime, taken: set[str], most: int) -> list[Delivery]:
        """Up to `most` deliveries the schedule has due, each checked in the log by
        `_id`; entries that no longer hold (settled, moved later) are dropped, and one of a
        delivery another sender is on moves to the end of its lease."""
        due = [
            (key, at)
            for key, at in await self.schedule.due(now)
            if key not in taken and key not in self._in_flight and key not in self.queue
        ]
        batch, self._more_due = due[:most], len(due) > most
        logged = await self.deliveries.entries([key for key, _ in batch])
        found = []
        for key, at in batch:
            doc = logged.get(key)
            status = doc.get("status") if doc else None
            if doc is None:
                # Scheduled just before it is logged (see Notification.plan), or never
                # logged (that write failed, and the request is handled again).
                if at < now - self.policy.lease:
                    await self.schedule.remove(key, at)
            elif status in SETTLED or not doc.get("spec"):
                await self.schedule.remove(key, at)
            elif status == Status.SENDING and (lease := doc.get("lease_until")) and lease >= now:
                await self.schedule.move(key, at, lease + LEASE_MARGIN)
            elif status != Status.SENDING and doc["due_at"] > now:
                await self.schedule.remove(key, at)  # moved later: it has that entry too
            else:
                found.append(Delivery.model_validate(doc["spec"]))
        return found

    async def _attempt_once(self, delivery: Delivery, contact: CitizenContact | None) -> None:
        # Within this process, one attempt at a time per delivery (see start_due); across
        # processes the claim in the log decides.
        try:
            await self.attempt(delivery, contact)
        except Exception as exc:  # the store may be away: the delivery waits in the schedule
            log.warning(
                "dispatcher: attempt will be retried", error=repr(exc), delivery=delivery.key
            )

    async def attempt(self, delivery: Delivery, contact: CitizenContact | None = None) -> None:
        d = delivery
        with (
            structlog.contextvars.bound_contextvars(
                case_id=d.case_id, event_id=d.request_event_id, delivery=d.key
            ),
            span_from(
                f"deliver {d.notice.value}",
                d.trace,
                kind=SpanKind.PRODUCER,
                **{"concord.channel": d.channel.value, "concord.case_id": d.case_id},
            ) as span,
        ):
            # An attempt is a span whatever becomes of it (held, taken by another sender,
            # failed, delivered): its outcome tells them apart in a trace.
            now = self.clock.now()
            if self.planner.held(d, now):
                until = self.planner.quiet.release_at(now)
                await self.schedule.add(d.key, until)
                before = await self.deliveries.hold(d.key, until, now)
                if before is not None:
                    await self.schedule.moved(d.key, before, until)
                span.set_attribute(OUTCOME, "held")
                return
            entry = await self.deliveries.claim(d.key, now, self.policy.lease)
            if entry is None:
                span.set_attribute(OUTCOME, "not claimed")
                await self._not_claimed(d)
                return
            attempts = int(entry["attempts"])
            # Its entry stays at `due_at` while it is sent: should this process die, the
            # others find it there and take it over once the lease has run out.
            due_at: datetime = entry["due_at"]
            try:
                await self.send(d, contact)
            except SendFailed as exc:
                span.set_attribute(OUTCOME, await self._failed(d, attempts, due_at, exc, now))
            except Exception as exc:  # an adapter's surprise is a failed attempt, not a crash
                surprise = SendFailed(repr(exc), retryable=True)
                span.set_attribute(OUTCOME, await self._failed(d, attempts, due_at, surprise, now))
            else:
                span.set_attribute(OUTCOME, "delivered")
                await self._delivered(d, attempts, due_at)

    async def _not_claimed(self, d: Delivery) -> None:
        current = await self.deliveries.entry(d.key)
        if current is not None and current["status"] in SETTLED:
            await self.schedule.remove(d.key, current["due_at"])  # settled already
        # Else another sender is on it: its entry moves to that lease when next read.

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
        text = d.text
        if d.recipient_kind is RecipientKind.CITIZEN:
            contact = await self._citizen(d, contact)
            address = contact.email if d.channel is NotificationChannel.EMAIL else contact.phone
            if not address:
                raise SendFailed(f"the party has no {d.channel} address", retryable=False)
            text = with_case_codes(text, contact.receipt_number, contact.verification_code)
        else:
            address = await self._staff_address(d)
        if d.channel is NotificationChannel.EMAIL:
            await self.mailer.send(address, d.subject, text, d.key)
        elif d.channel is NotificationChannel.SMS:
            await self.sms.send(address, text, d.key)

    async def _citizen(self, d: Delivery, contact: CitizenContact | None) -> CitizenContact:
        """The party's contact, looked up now (or just now, by the planner) and forgotten
        after the attempt."""
        try:
            contact = contact or await self.contacts.contact(d.case_id, d.recipient_ref)
        except ContactUnavailable as exc:
            raise SendFailed(str(exc), retryable=True) from exc
        if contact is None:
            raise SendFailed("no contact for the party", retryable=False)
        return contact

    async def _staff_address(self, d: Delivery) -> str:
        if d.subscription_id:  # a department told about its own endpoint
            sub = await self.subscriptions.get(d.subscription_id)
            if sub is not None and sub.get("contact_email"):
                return str(sub["contact_email"])
        staff = self.directory.staff(d.recipient_kind, d.recipient_ref)
        if staff is None:
            raise SendFailed("no address in the directory", retryable=False)
        return staff.email

    # --- settling -------------------------------------------------------------------

    def _events(self, d: Delivery) -> Change:
        """What settling a delivery tells: caused by the request it delivers."""
        return self.outbox.change(
            d.key,
            case_id=d.case_id,
            correlation_id=d.correlation_id,
            causation_id=d.request_event_id,
        )

    async def _delivered(self, d: Delivery, attempts: int, due_at: datetime) -> None:
        DELIVERIES.labels(d.channel.value, "delivered").inc()
        now = self.clock.now()
        delivered = NotificationDelivered(
            notice=d.notice,
            recipient_kind=d.recipient_kind,
            recipient_ref=d.recipient_ref,
            channel=d.channel,
            request_event_id=d.request_event_id,
        )
        events = self._events(d)
        events.emit(CASE_EVENTS, delivered)
        settled = await self.deliveries.settle(
            d.key,
            attempts,
            Status.DELIVERED,
            {"at": now, "attempt": attempts, "ok": True},
            {"delivered_at": now, "last_error": None},
            events.emits,
        )
        if events.stored(settled):
            log.info("notice delivered", channel=d.channel, notice=d.notice, attempts=attempts)
            await self.schedule.remove(d.key, due_at)
        if d.channel is NotificationChannel.WEBHOOK and d.subscription_id:
            await self.subscriptions.succeeded(d.subscription_id)

    async def _failed(
        self, d: Delivery, attempts: int, due_at: datetime, exc: SendFailed, now: datetime
    ) -> str:
        """Settles a failed attempt; answers "retry" or "failed"."""
        result = {"at": now, "attempt": attempts, "ok": False, "error": exc.error}
        retry = exc.retryable and attempts < self.policy.attempts
        DELIVERIES.labels(d.channel.value, "retry" if retry else "failed").inc()
        if retry:
            delay = backoff_delay(attempts, self.policy.base_delay_s, self.policy.max_delay_s)
            next_at = now + timedelta(seconds=delay)
            await self.schedule.add(d.key, next_at)
            if await self.deliveries.settle(
                d.key,
                attempts,
                Status.PENDING,
                result,
                {"due_at": next_at, "last_error": exc.error},
                [],
            ):
                await self.schedule.moved(d.key, due_at, next_at)
            log.warning("delivery failed, will retry", error=exc.error, attempt=attempts)
            return "retry"
        failed = NotificationFailed(
            notice=d.notice,
            recipient_kind=d.recipient_kind,
            recipient_ref=d.recipient_ref,
            channel=d.channel,
            request_event_id=d.request_event_id,
            error=exc.error,
            attempts=attempts,
        )
        events = self._events(d)
        events.emit(CASE_EVENTS, failed)
        events.emit(dead_letter_topic(SERVICE), self._dead_letter(d, exc, attempts))
        settled = await self.deliveries.settle(
            d.key,
            attempts,
            Status.FAILED,
            result,
            {"failed_at": now, "last_error": exc.error},
            events.emits,
        )
        if not events.stored(settled):
            return "failed"
        await self.schedule.remove(d.key, due_at)
        log.error("delivery gave up", error=exc.error, attempts=attempts, channel=d.channel)
        if d.channel is NotificationChannel.WEBHOOK and d.subscription_id:
            paused = await self.subscriptions.failed(
                d.subscription_id, self.policy.pause_after_failures, now
            )
            if paused:
                await self._tell_owner(d)
        return "failed"

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
