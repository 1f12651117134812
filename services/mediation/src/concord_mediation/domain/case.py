"""A case's rules: what each staff action, deadline or citizen's answer may do to a case, and
what it changes and tells whom. Pure: the service layer (workflow.py, timers.py, handlers.py)
loads the case, gives it to these rules with a Change, and saves what they decided.

    rules.apply(change, command, by, loads, unavailable)   a staff action (domain/commands.py)
    rules.feedback / extend / review_repeat / record_session / reassign
"""

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from concord_shared.enums import (
    FILERS,
    CaseKind,
    CaseStatus,
    Desk,
    Level,
    NoticeKind,
    PartyRole,
    RecipientKind,
    Severity,
)
from concord_shared.events import (
    AgreementReached,
    CaseClosed,
    CaseEscalated,
    CaseResolved,
    CaseStatusChanged,
    DeskTaskCompleted,
    DeskTaskCreated,
    FeedbackReceived,
    MediationFailed,
    NotificationRequested,
    RepeatReviewed,
    ReviewRequested,
    SessionScheduled,
)
from concord_shared.registry import Registry
from concord_shared.topics import CASE_EVENTS, INTERNAL_TASKS, NOTIFY_REQUESTS, VERTICAL_ESCALATE
from concord_shared.wording import Names

from concord_mediation.domain import commands as c
from concord_mediation.domain.assignment import Mediator, choose_mediator
from concord_mediation.domain.change import Change
from concord_mediation.domain.deadlines import DeadlinePolicy, Span, Timer, local_due
from concord_mediation.domain.stored_case import StoredCase
from concord_mediation.domain.workflow import Action, TransitionRefused, next_status


@dataclass(frozen=True)
class CaseRules:
    registry: Registry
    policy: DeadlinePolicy
    mediators: list[Mediator]

    def apply(
        self,
        change: Change,
        command: c.Command,
        by: str,
        loads: dict[str, int],
        unavailable: set[str],
    ) -> None:
        case, now = change.case, change.now
        action = Action(command.action)
        reason = getattr(command, "reason", None)
        if isinstance(command, c.RequestReview):
            self.check_review_window(case, now)
        if isinstance(command, c.Escalate) and self.registry.parent_of(case.platform) is None:
            raise TransitionRefused(
                action, case.status, "the case is at the top level; it cannot go higher"
            )
        self.transition(change, action, reason=reason, actor=by)
        timers = change.timers()
        match command:
            case c.Accept():
                self._decided(change, timers, accepted=True)
                handling = self.policy.spans(*_kls(case))[1]
                timers["handling"] = self.policy.start("handling", handling, now)
                self.notify_parties(
                    change,
                    NoticeKind.ACCEPTANCE_DECISION,
                    {
                        "accepted": "yes",
                        "handling_due": local_due(self.policy, timers["handling"].due_at),
                    },
                )
            case c.NotAccept():
                self._decided(change, timers, accepted=False)
                self.notify_parties(
                    change,
                    NoticeKind.ACCEPTANCE_DECISION,
                    {"accepted": "no", "reason": command.reason},
                )
            case c.AssignMediator():
                self._assign(change, command.mediator_ref, loads, unavailable)
            case c.ScheduleSession():
                session_id = uuid.uuid4().hex[:12]
                change.add(
                    "sessions",
                    {
                        "session_id": session_id,
                        "starts_at": command.starts_at,
                        "location": command.location,
                        "mediator": case.mediator,
                        "attended": None,
                        "minutes": None,
                    },
                )
                change.emit(
                    CASE_EVENTS,
                    SessionScheduled(
                        platform=change.platform,
                        session_id=session_id,
                        starts_at=command.starts_at,
                        mediator_ref=case.mediator or "",
                    ),
                )
                when = {"starts_at": local_due(self.policy, command.starts_at)}
                if command.location:
                    when["location"] = command.location
                self.notify_parties(change, NoticeKind.SESSION_SCHEDULED, when, both_sides=True)
            case c.ReachAgreement():
                change.sets["agreement"] = {
                    "terms": command.terms,
                    "follow_up_on": _iso(command.follow_up_on),
                    "at": now,
                }
                change.emit(
                    CASE_EVENTS,
                    AgreementReached(
                        platform=change.platform,
                        terms_summary="; ".join(command.terms),
                        follow_up_on=command.follow_up_on,
                    ),
                )
            case c.Fail():
                change.emit(
                    CASE_EVENTS, MediationFailed(platform=change.platform, reason=command.reason)
                )
            case c.Resolve():
                change.sets.update(
                    resolved_at=now, resolved_platform=change.platform, outcome=command.outcome
                )
                _stop(timers, "handling")
                change.emit(
                    CASE_EVENTS,
                    CaseResolved(
                        platform=change.platform, level=case.level, outcome=command.outcome
                    ),
                )
                self.notify_parties(
                    change, NoticeKind.OUTCOME, {"outcome": command.outcome}, both_sides=True
                )
            case c.Close():
                change.sets["closed_at"] = now
                _stop(timers, *timers)
                change.emit(CASE_EVENTS, CaseClosed(platform=change.platform, level=case.level))
                self.notify_parties(change, NoticeKind.CLOSURE, {}, both_sides=True)
                self.notify_parties(change, NoticeKind.FEEDBACK_REQUEST, {})
            case c.RequestReview():
                self.review_up(change, command.reason)
            case c.StartReview():
                handling = self.policy.spans(*_kls(case, change.sets.get("level")))[1]
                timers["handling"] = self.policy.start("handling", handling, now)
                change.sets["review_started_at"] = now
            case c.Escalate():
                self.escalate(change, timers, command.reason)
            case c.Refer():
                change.sets["referred_to"] = command.referred_to
                _stop(timers, *timers)
                self.notify_parties(
                    change, NoticeKind.OUTCOME, {"referred_to": command.referred_to}
                )
            case c.AwaitCitizen():
                change.sets["paused_from"] = case.status
                timers = {n: self.policy.pause(t, now) for n, t in timers.items()}
            case c.Resume():
                change.unset.add("paused_from")
                timers = {n: self.policy.resume(t, now) for n, t in timers.items()}
        change.set_timers(timers)

    def transition(self, change: Change, action: Action, *, reason: str | None, actor: str) -> None:
        """Move the case along the table and put the move on the case log."""
        current = change.status
        target = next_status(current, action, change.case.paused_from)
        change.sets["status"] = target
        change.sets["updated_at"] = change.now
        change.record(action.value, actor, reason, **{"from": current.value})
        change.emit(
            CASE_EVENTS,
            CaseStatusChanged(
                platform=change.platform,
                from_status=current,
                to_status=target,
                reason=reason,
                action=action.value,
            ),
        )

    def _decided(self, change: Change, timers: dict[str, Timer], *, accepted: bool) -> None:
        acceptance = timers.get("acceptance")
        if "first_decision" not in change.doc:
            change.sets["first_decision"] = {
                "at": change.now,
                "accepted": accepted,
                "platform": change.platform,
                "on_time": acceptance is None or change.now <= acceptance.due_at,
            }
            # The desk's task from routing ("handle_case") is done: the case is decided on.
            change.emit(
                INTERNAL_TASKS,
                DeskTaskCompleted(
                    platform=change.platform,
                    desk=change.case.desk,
                    task="handle_case",
                    outcome="accepted" if accepted else "not_accepted",
                ),
            )
        _stop(timers, "acceptance")

    def _assign(
        self, change: Change, override: str | None, loads: dict[str, int], unavailable: set[str]
    ) -> None:
        here = [m for m in self.mediators if m.platform == change.platform]
        if override is not None:
            if override not in {m.ref for m in here}:
                raise c.InvalidInput(
                    "mediator_ref", f"no mediator {override} at platform {change.platform}"
                )
            chosen = override
        else:
            found = choose_mediator(
                here,
                platform=change.platform,
                category=change.case.category,
                language=change.case.language,
                load=loads,
                unavailable=unavailable,
            )
            if found is None:
                raise c.Refused(f"no available mediator at platform {change.platform}")
            chosen = found.ref
        change.sets["mediator"] = chosen
        change.emit(
            NOTIFY_REQUESTS,
            NotificationRequested(
                notice=NoticeKind.ASSIGNMENT,
                recipient_kind=RecipientKind.MEDIATOR,
                recipient_ref=chosen,
                facts={
                    "platform": change.platform,
                    "platform_name": Names(self.registry, "zh").platform(change.platform),
                    "category": change.case.category,
                },
            ),
        )

    def check_review_window(self, case: StoredCase, now: datetime) -> None:
        closed = case.closed_at
        if closed is not None:
            ends = closed + timedelta(seconds=self.policy.review_window.seconds)
            if now > ends:
                raise c.Refused(f"the review window closed on {ends.date().isoformat()}")

    def review_up(self, change: Change, reason: str) -> None:
        """The review is decided one level up, under the same case number."""
        parent = self.registry.parent_of(change.platform)
        review_platform = parent.code if parent else change.platform
        old = change.platform
        change.emit(
            CASE_EVENTS,
            ReviewRequested(platform=old, review_platform=review_platform, reason=reason),
        )
        if parent is not None:
            change.sets.update(platform=parent.code, level=parent.level)
            change.add("platforms", parent.code)
            self.hand_over(change, old, "review")
        change.unset.add("mediator")

    def hand_over(self, change: Change, from_platform: str, what: str) -> None:
        """The case arrived at the platform it is now at (a review asked for, an escalation):
        a task for that platform's mediation desk and a notice to its leader on duty, so
        someone there knows it is theirs. `what`: review or escalation."""
        here = change.platform
        change.emit(
            INTERNAL_TASKS,
            DeskTaskCreated(platform=here, desk=Desk.MEDIATION, task=f"{what}_arrived"),
        )
        zh, en = Names(self.registry, "zh"), Names(self.registry, "en")
        facts = {
            "what": what,
            "platform": here,
            "from_platform": from_platform,
            "platform_name": zh.platform(here),
            "platform_name_en": en.platform(here),
            "from_platform_name": zh.platform(from_platform),
            "from_platform_name_en": en.platform(from_platform),
        }
        change.emit(
            NOTIFY_REQUESTS,
            NotificationRequested(
                notice=NoticeKind.CASE_ARRIVED,
                recipient_kind=RecipientKind.LEADER,
                recipient_ref=leader_of(here),
                facts=facts,
            ),
        )

    def escalate(self, change: Change, timers: dict[str, Timer], reason: str) -> None:
        """Send the case one level up, with its history (routing re-assigns it there)."""
        platform = self.registry.platforms_by_code[change.platform]
        parent = self.registry.parent_of(platform.code)
        if parent is None:
            raise c.Refused("the case is at the top level; it cannot go higher")
        _stop(timers, *timers)
        change.add("escalated_from", platform.code)
        history = [
            _history_line(h) for h in [*change.case.history, *change.push.get("history", [])]
        ]
        change.emit(
            VERTICAL_ESCALATE,
            CaseEscalated(
                from_platform=platform.code,
                from_level=platform.level,
                to_platform=parent.code,
                to_level=parent.level,
                reason=reason,
                history=history,
            ),
        )

    def notify_parties(
        self,
        change: Change,
        notice: NoticeKind,
        facts: dict[str, str],
        *,
        both_sides: bool = False,
    ) -> None:
        """A notice to who brought the case; `both_sides`: to the other side of a dispute
        too (the respondent and representatives), who must know when to attend and how it
        ended. Never to the third persons an early warning names: it describes a situation,
        and they are nobody's to contact about it."""
        told = set(FILERS)
        if both_sides and change.case.kind is not CaseKind.EARLY_WARNING:
            told |= {PartyRole.RESPONDENT, PartyRole.REPRESENTATIVE}
        for party in change.case.parties:
            if party.role in told:
                change.emit(
                    NOTIFY_REQUESTS,
                    NotificationRequested(
                        notice=notice,
                        recipient_kind=RecipientKind.CITIZEN,
                        recipient_ref=party.ref,
                        language=change.case.language,
                        # The filer holds the receipt and code a notice may point to.
                        facts={
                            "platform": change.platform,
                            "filer": "yes" if party.role in FILERS else "no",
                            **facts,
                        },
                    ),
                )

    def reassign(
        self, change: Change, *, ref: str, loads: dict[str, int], unavailable: set[str]
    ) -> None:
        if change.case.mediator != ref:
            return
        self._assign(change, None, loads, unavailable)
        change.record("reassign", "system", f"mediator {ref} unavailable")

    def feedback(self, change: Change, feedback: c.Feedback) -> None:
        case = change.case
        if case.status is not CaseStatus.CLOSED or case.has_feedback:
            raise c.Refused(
                "feedback is taken once, on a closed case; this case is "
                f"{case.status}{' and has feedback' if case.has_feedback else ''}"
            )
        change.sets["feedback"] = {
            "satisfied": feedback.satisfied,
            "comment": feedback.comment,
            "at": change.now,
        }
        change.emit(
            CASE_EVENTS,
            FeedbackReceived(
                platform=change.platform, satisfied=feedback.satisfied, comment=feedback.comment
            ),
        )
        if not feedback.satisfied:
            self.check_review_window(case, change.now)
            reason = f"not satisfied: {feedback.comment}".rstrip(": ")
            self.transition(change, Action.REQUEST_REVIEW, reason=reason, actor="citizen")
            self.review_up(change, reason)

    def extend(self, change: Change, extension: c.Extension, by: str) -> None:
        timers = change.timers()
        handling = timers.get("handling")
        if handling is None or not handling.active:
            raise c.Refused(f"the case has no running handling deadline (status {change.status})")
        try:
            timers["handling"] = self.policy.extend(
                handling, Span(extension.days * 86400.0, "working"), change.now
            )
        except ValueError as exc:
            raise c.Refused(str(exc)) from exc
        change.set_timers(timers)
        change.record("extend", by, extension.reason)
        self.notify_parties(
            change,
            NoticeKind.DEADLINE_EXTENDED,
            {
                "handling_due": local_due(self.policy, timers["handling"].due_at),
                "reason": extension.reason,
            },
        )

    def review_repeat(self, change: Change, review: c.RepeatReview, by: str) -> None:
        earlier = change.case.probable_repeat_of
        if not earlier:
            raise c.Refused("the case has no probable repeat to confirm or reject")
        change.unset.add("probable_repeat_of")
        if review.confirmed:
            change.sets["repeat_of"] = earlier
        change.sets["repeat_review"] = {
            "earlier_case": earlier,
            "confirmed": review.confirmed,
            "by": by,
            "at": change.now,
        }
        action = "repeat_confirmed" if review.confirmed else "repeat_rejected"
        change.record(action, by, f"earlier case {earlier}")
        change.emit(
            CASE_EVENTS,
            RepeatReviewed(
                platform=change.platform,
                earlier_case=earlier,
                confirmed=review.confirmed,
                reviewed_by=by,
            ),
        )

    def record_session(self, change: Change, session_id: str, record: c.SessionRecord) -> None:
        sessions = [dict(s) for s in change.case.sessions]
        match = [s for s in sessions if s["session_id"] == session_id]
        if not match:
            raise c.NotFound(session_id)
        match[0].update(attended=record.attended, minutes=record.minutes, recorded_at=change.now)
        change.sets["sessions"] = sessions


def _kls(case: StoredCase, level: Any = None) -> tuple[CaseKind, Level, Severity]:
    return case.kind, Level(level or case.level), case.severity


def _stop(timers: dict[str, Timer], *names: str) -> None:
    from dataclasses import replace

    for name in list(names):
        if name in timers:
            timers[name] = replace(timers[name], active=False)


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def leader_of(platform: str) -> str:
    """The reference of a platform's leader on duty, as notification's directory keys it."""
    return f"leader:{platform}"


def _history_line(entry: dict[str, Any]) -> str:
    at = entry["at"]
    stamp = at.isoformat() if isinstance(at, datetime) else str(at)
    reason = f": {entry['reason']}" if entry.get("reason") else ""
    move = f"{entry.get('from', '')}->{entry.get('status')}"
    return f"{stamp} {entry.get('platform', '')} {move} ({entry.get('action', '')}{reason})"
