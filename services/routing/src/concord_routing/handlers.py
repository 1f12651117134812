"""Routing's service layer: decide for each received case, re-route it when a department
declines, staff recategorise it or mediation escalates it, and tell everyone concerned; keep
each department's requests, and send the replies its clerks give in the console."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import structlog
from concord_shared.calendar import WorkingCalendar
from concord_shared.consumer import Record
from concord_shared.envelope import Envelope, EventPayload, new_event_id, utcnow
from concord_shared.events import (
    CaseClosed,
    CaseEscalated,
    CaseReceived,
    CoordinationAccepted,
    CoordinationAnswered,
    CoordinationDeclined,
    CoordinationReplyRefused,
    CoordinationWithdrawn,
)
from concord_shared.outbox import Change, Emit, Outbox
from concord_shared.service import HandlerTable
from concord_shared.topics import (
    HORIZONTAL_REPLIES,
    department_topic,
)

from concord_routing.adapters.config_store import ConfigStore, LiveConfig
from concord_routing.adapters.repository import (
    Outcome,
    RouteRepository,
    StoredRoute,
    decision_from,
)
from concord_routing.domain.config import ChangeRefused, RoutingConfig
from concord_routing.domain.consequences import consequences
from concord_routing.domain.decision import CaseFacts, Decision, decide, department_candidates
from concord_routing.domain.inbox import (
    CLOSED_REASON,
    Reply,
    ReplyRefused,
    after_routing,
    decline_moves_case,
    refusal,
    refused,
    replied,
    request_of,
    sender_of,
    withdrawn_on_close,
)
from concord_routing.domain.reroute import Declined, after_decline, escalated_to, history_line

log = structlog.get_logger(__name__)
SERVICE = "routing"
CONFLICT_RETRIES = 10


class CaseNotFound(LookupError):
    pass


@dataclass(frozen=True)
class Cause:
    """What a re-route answers: an event, or a staff command over HTTP."""

    case_id: str
    event_id: str
    type: str
    occurred_at: datetime
    event: Envelope[Any] | None = None

    @classmethod
    def of(cls, event: Envelope[Any]) -> "Cause":
        return cls(event.case_id, event.event_id, event.type, event.occurred_at, event)


class ConfigConflict(RuntimeError):
    """Someone else changed the config between our read and our write."""


@dataclass
class Routing:
    repo: RouteRepository
    config: LiveConfig
    config_store: ConfigStore
    outbox: Outbox
    calendar: WorkingCalendar  # working days of the departments' answer deadlines
    max_declines: int = 3
    provision_departments: Callable[[list[str]], Awaitable[None]] | None = None

    # --- events in ------------------------------------------------------------------------

    async def on_case_received(self, event: Envelope[Any]) -> None:
        received: CaseReceived = event.payload
        facts = CaseFacts(
            kind=received.kind,
            category=received.category,
            area_code=received.area_code,
            severity=received.severity,
            party_count=received.party_count,
            collective=received.collective,
            repeat=received.repeat_of is not None,
        )
        config = await self.config.current()
        decision = decide(facts, config.registry, config.rules)
        case = {
            "kind": received.kind,
            "severity": received.severity,
            "summary": received.summary,
            "parties": [p.model_dump(mode="json") for p in received.parties],
            "language": received.language,
            "repeat_of": received.repeat_of,
            "collective": received.collective,
            "non_reception_place": received.non_reception_place,
            "probable_repeat_of": received.probable_repeat_of,
            "received_at": event.occurred_at,
            "correlation_id": event.correlation_id,
        }
        events = self._announce(Cause.of(event), facts, case, None, decision, history=[])
        stored = await self.repo.record_first(
            event.case_id,
            event.event_id,
            facts,
            case,
            decision,
            event.occurred_at,
            events.emits,
            requests=after_routing([], (e.event for e in events.emits)),
        )
        if events.stored(stored):
            log.info(
                "case routed",
                platform=decision.platform,
                platform_level=decision.level,
                rule_id=decision.rule_id,
                lead_department=decision.lead_department,
            )

    async def on_declined(self, event: Envelope[Any]) -> None:
        payload: CoordinationDeclined = event.payload
        if await self._refused(event):
            return
        declined = Declined(
            payload.department,
            payload.declined_by,
            payload.reason,
            payload.suggested_department,
        )

        async def next_decision(stored: StoredRoute, config: RoutingConfig) -> Decision | None:
            if not decline_moves_case(stored.requests, declined.department):
                return None  # withdrawn: the case was closed; nothing more is asked
            return after_decline(
                stored.route,
                declined,
                department_candidates(stored.facts, config.registry, config.rules),
                config.registry,
                max_declines=self.max_declines,
            )

        await self._reroute(
            Cause.of(event),
            next_decision,
            reply=event,
            decline={
                "department": declined.department,
                "declined_by": declined.declined_by,
                "reason": declined.reason,
                "at": event.occurred_at,
            },
        )

    async def on_escalated(self, event: Envelope[Any]) -> None:
        payload: CaseEscalated = event.payload

        async def next_decision(stored: StoredRoute, config: RoutingConfig) -> Decision:
            return escalated_to(
                stored.route.current,
                payload.to_platform,
                payload.to_level,
                f"escalated by mediation from {payload.from_platform}: {payload.reason}",
                config.registry,
            )

        await self._reroute(Cause.of(event), next_decision)

    async def on_reply(self, event: Envelope[Any]) -> None:
        """Accepted or answered: the department's request moves on (a decline re-routes
        the case as well: on_declined)."""
        for _ in range(CONFLICT_RETRIES):
            stored = await self.repo.load(event.case_id)
            if stored is None:
                log.warning("reply for a case routing never saw", event_type=event.type)
                return
            refusal = await self._refuse(stored, event)
            if refusal is Outcome.CONFLICT:
                continue
            if refusal is not None:
                return
            requests = replied(stored.requests, event)
            if requests == stored.requests:
                return  # nothing asked, already final, or the console's own reply
            outcome = await self.repo.record_requests(stored, event.event_id, requests)
            if outcome is not Outcome.CONFLICT:
                return
        raise ConfigConflict(f"case {event.case_id} kept changing; giving up after retries")

    async def _refused(self, event: Envelope[Any]) -> bool:
        """A department system's reply that its request does not take (never asked, or
        already final): the department is told why on its own topic, in one write with
        the reply's record, and the reply changes nothing. The console's own replies were
        refused over HTTP already."""
        for _ in range(CONFLICT_RETRIES):
            stored = await self.repo.load(event.case_id)
            if stored is None:
                return False
            outcome = await self._refuse(stored, event)
            if outcome is not Outcome.CONFLICT:
                return outcome is not None
        raise ConfigConflict(f"case {event.case_id} kept changing; giving up after retries")

    async def _refuse(self, stored: StoredRoute, event: Envelope[Any]) -> Outcome | None:
        """None when the stored requests take the reply; else the outcome of writing the
        refusal (CONFLICT: the case changed since it was read, read it again)."""
        why = None if event.source == SERVICE else refused(stored.requests, event)
        if why is None:
            return None
        department = event.payload.department
        events = self._events(Cause.of(event), stored.case.get("correlation_id"))
        events.emit(
            department_topic(department),
            CoordinationReplyRefused(
                department=department,
                reply_event_id=event.event_id,
                reply_type=event.type,
                reason=why[0],
                detail=why[1],
            ),
        )
        outcome = await self.repo.record_requests(
            stored, event.event_id, stored.requests, events.emits
        )
        if events.stored(outcome is Outcome.APPLIED):
            log.warning("department reply refused", reason=why[0], department=department)
        return outcome

    async def on_dead_letter(self, record: Record, reason: str, error: str) -> list[Emit]:
        """A reply that is no valid reply (dead-lettered): its department, when the message
        names a known one, is told why on its own topic, so it can send it again right."""
        if record.topic != self.outbox.topic(HORIZONTAL_REPLIES):
            return []
        sent = sender_of(record.value)
        config = await self.config.current()
        if sent.department not in config.registry.departments_by_code:
            return []  # nobody to tell: the dead letter is all there is
        refusal = CoordinationReplyRefused(
            department=sent.department,
            reply_event_id=sent.event_id,
            reply_type=sent.event_type,
            reason="invalid",
            detail=f"{reason}: {error}"[:1000],
        )
        case_id = sent.case_id or (record.key or b"unknown").decode(errors="replace")
        # Published with the dead letter by the consumer, not through a document's outbox.
        events = self.outbox.change(case_id, correlation_id=sent.event_id)
        return [events.emit(department_topic(sent.department), refusal)]

    async def on_case_closed(self, event: Envelope[Any]) -> None:
        """Mediation closed the case: every request still open is withdrawn, each
        department told, in one write with the requests' new state. Otherwise a department
        would be asked for ever about a case already closed, and its open inbox would keep
        every case it was ever asked about."""
        for _ in range(CONFLICT_RETRIES):
            stored = await self.repo.load(event.case_id)
            if stored is None:
                log.warning("closure of a case routing never saw", event_type=event.type)
                return
            events = self._events(Cause.of(event), stored.case.get("correlation_id"))
            for code in withdrawn_on_close(stored.requests):
                events.emit(
                    department_topic(code),
                    CoordinationWithdrawn(department=code, reason=CLOSED_REASON),
                )
            if not events.emits:
                return  # nothing open: answered, declined or withdrawn before
            requests = after_routing(stored.requests, (e.event for e in events.emits))
            outcome = await self.repo.record_requests(
                stored, event.event_id, requests, events.emits
            )
            if events.stored(outcome is Outcome.APPLIED):
                log.info("requests withdrawn: case closed", departments=len(events.emits))
                return
            if outcome is not Outcome.CONFLICT:
                return
        raise ConfigConflict(f"case {event.case_id} kept changing; giving up after retries")

    # --- department clerks (the console) --------------------------------------------------

    async def reply(
        self,
        case_id: str,
        department: str,
        reply: Reply,
        *,
        by: str,
        reason: str | None = None,
        answer: str | None = None,
    ) -> str:
        """A department's reply given over HTTP: the same event a department system puts on
        horizontal.replies, queued in the case's outbox with the request's new state in one
        write, so a second reply is refused at once and the event is relayed even after a
        crash. Routing then consumes it like any department's reply (a decline re-routes the
        case; mediation records it on the case). Returns the event's id."""
        payload: EventPayload
        if reply is Reply.ACCEPT:
            payload = CoordinationAccepted(department=department)
        elif reply is Reply.DECLINE:
            payload = CoordinationDeclined(
                department=department, declined_by=by, reason=reason or ""
            )
        else:
            payload = CoordinationAnswered(department=department, answer=answer or "")
        for _ in range(CONFLICT_RETRIES):
            stored = await self.repo.load(case_id)
            if stored is None:
                raise CaseNotFound(case_id)
            why = refusal(request_of(stored.requests, department), reply, department)
            if why is not None:
                raise ReplyRefused(why)
            events = self.outbox.change(case_id, correlation_id=stored.case.get("correlation_id"))
            event = events.emit(HORIZONTAL_REPLIES, payload).event
            requests = replied(stored.requests, event)
            outcome = await self.repo.record_requests(stored, None, requests, events.emits)
            if events.stored(outcome is Outcome.APPLIED):
                log.info(
                    "department replied in the console",
                    department=department,
                    event_type=event.type,
                    event_id=event.event_id,
                )
                return event.event_id
            if outcome is Outcome.MISSING:
                raise CaseNotFound(case_id)
        raise ConfigConflict(f"case {case_id} kept changing; giving up after retries")

    # --- staff and administrators ---------------------------------------------------------

    async def recategorise(self, case_id: str, category: str, reason: str, by: str) -> Decision:
        """Re-route under a new category; the old and the new handlers are both told."""
        command = Cause(case_id, new_event_id(), "Recategorise", utcnow())
        config = await self.config.current(fresh=True)
        if category not in config.registry.categories_by_code:
            raise ChangeRefused(f"category: unknown category {category!r}")

        async def next_decision(stored: StoredRoute, config: RoutingConfig) -> Decision:
            facts = replace(stored.facts, category=category)
            declined = frozenset(d["department"] for d in stored.declines)
            decision = decide(facts, config.registry, config.rules, exclude_departments=declined)
            return replace(
                decision,
                reason=f"recategorised from {stored.facts.category} to {category}: "
                f"{reason}; {decision.reason}",
            )

        decision = await self._reroute(command, next_decision, new_category=category)
        if decision is None:
            raise CaseNotFound(case_id)
        return decision

    async def change(self, part: str, data: Any, by: str, note: str) -> RoutingConfig:
        """Put a new rule set or registry in force for the next case, on every instance."""
        config = await self.config.current(fresh=True)
        new = config.with_rules(data) if part == "rules" else config.with_registry(data)
        # The document is stored as given, so an administrator reads back what they wrote.
        registry, rules = await self.config_store.content_of(config)
        if part == "rules":
            rules = data
        else:
            registry = data
        if not await self.config_store.propose(
            config.revision,
            registry,
            rules,
            changed="rules" if part == "rules" else "registry",
            by=by,
            note=note,
        ):
            raise ConfigConflict("the config was changed meanwhile; read it again and retry")
        new = replace(new, revision=config.revision + 1)
        self.config.adopt(new)
        added = set(new.registry.departments_by_code) - set(config.registry.departments_by_code)
        if added and self.provision_departments is not None:
            await self.provision_departments(sorted(added))
        log.info("routing config changed", part=part, revision=new.revision, by=by)
        return new

    # --- the common path of every re-route ------------------------------------------------

    async def _reroute(
        self,
        cause: Cause,
        next_decision: Callable[[StoredRoute, RoutingConfig], Awaitable[Decision | None]],
        *,
        reply: Envelope[Any] | None = None,
        decline: dict[str, Any] | None = None,
        new_category: str | None = None,
    ) -> Decision | None:
        for _ in range(CONFLICT_RETRIES):
            stored = await self.repo.load(cause.case_id)
            if stored is None:
                log.warning("re-route for a case routing never saw", event_type=cause.type)
                return None
            config = await self.config.current()
            decision = await next_decision(stored, config)
            if decision is None:
                log.info("nothing to re-route", event_type=cause.type)
                return stored.route.current
            facts = replace(stored.facts, category=new_category) if new_category else stored.facts
            history = [history_line(decision_from(d), d["decided_at"]) for d in stored.decisions]
            history += [
                f"{d['at']:%Y-%m-%d %H:%M} UTC: {d['department']} declined: {d['reason']}"
                for d in stored.declines
            ]
            events = self._announce(
                cause, facts, stored.case, stored.route.current, decision, history
            )
            requests = stored.requests if reply is None else replied(stored.requests, reply)
            outcome = await self.repo.record_change(
                stored,
                cause.event_id,
                decision,
                cause.occurred_at,
                events.emits,
                requests=after_routing(requests, (e.event for e in events.emits)),
                facts=facts if new_category else None,
                decline=decline,
            )
            if events.stored(outcome is Outcome.APPLIED):
                log.info(
                    "case re-routed",
                    cause=cause.type,
                    platform=decision.platform,
                    rule_id=decision.rule_id,
                    lead_department=decision.lead_department,
                )
                return decision
            if outcome is not Outcome.CONFLICT:
                return stored.route.current
        raise ConfigConflict(f"case {cause.case_id} kept changing; giving up after retries")

    def _announce(
        self,
        cause: Cause,
        facts: CaseFacts,
        case: dict[str, Any],
        before: Decision | None,
        d: Decision,
        history: list[str],
    ) -> Change:
        """The events of a decision (domain/consequences.py), in the case's outbox. The
        departments' answer deadline counts from the cause, so a redelivery asks the same."""
        events = self._events(cause, case.get("correlation_id"))
        answer_due = (
            None
            if d.answer_working_days is None
            else self.calendar.working_day_after(cause.occurred_at, d.answer_working_days)
        )
        for topic, payload in consequences(facts, case, before, d, history, answer_due):
            events.emit(topic, payload)
        return events

    def _events(self, cause: "Cause", correlation_id: str | None) -> Change:
        """The events of one change of a case's route: caused by the event, or, for a staff
        command, in the case's correlation."""
        return self.outbox.change(cause.case_id, cause.event, correlation_id=correlation_id)


HANDLERS: HandlerTable["Routing"] = {
    CaseReceived: Routing.on_case_received,
    CoordinationDeclined: Routing.on_declined,
    CoordinationAccepted: Routing.on_reply,
    CoordinationAnswered: Routing.on_reply,
    CaseEscalated: Routing.on_escalated,
    CaseClosed: Routing.on_case_closed,
}
