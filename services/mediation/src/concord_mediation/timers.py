"""Durable deadline timers: due times live on the case documents; a loop in every instance
looks for due ones and fires each warning and breach exactly once.

Exactly once, with any number of instances and across restarts: firing is one conditional
update of the case (on its `rev`) that flips the timer's flag and queues the events in the
same write. Of two instances that see the same due timer, one update matches and the other
finds the case changed and moves on; a restart finds the flag already set.
"""

import asyncio
from dataclasses import dataclass, field, replace
from datetime import datetime

import structlog
from concord_shared.background import Background
from concord_shared.enums import CaseStatus, NoticeKind, RecipientKind
from concord_shared.events import (
    DeadlineBreached,
    DeadlineWarning,
    DeskTaskCreated,
    NotificationRequested,
)
from concord_shared.store import TRANSIENT_STORE_ERRORS, is_store_busy
from concord_shared.topics import CASE_EVENTS, INTERNAL_TASKS, NOTIFY_REQUESTS

from concord_mediation.adapters.indexes import to_ms
from concord_mediation.domain.case import leader_of
from concord_mediation.domain.change import Change
from concord_mediation.domain.deadlines import due_alarms
from concord_mediation.domain.workflow import TRANSITIONS, Action
from concord_mediation.workflow import Workflow

log = structlog.get_logger(__name__)


@dataclass
class DeadlineWatch:
    workflow: Workflow
    interval_s: float = 5.0
    fired: int = 0
    _background: Background = field(default_factory=lambda: Background("deadline-watch"))

    def start(self) -> None:
        self._background.start(self._run)

    async def stop(self) -> None:
        await self._background.stop()

    async def _run(self) -> None:
        while True:
            try:
                await self.tick()
            except asyncio.CancelledError:
                raise
            except TRANSIENT_STORE_ERRORS as exc:
                log.warning("deadline watch: store unavailable", error=str(exc))
            except Exception as exc:
                if not is_store_busy(exc):
                    log.exception("deadline watch failed; trying again")
            await asyncio.sleep(self.interval_s)

    async def due(self, now: datetime) -> list[tuple[str, datetime]]:
        """(case id, the due time it is listed under) of the cases whose timers may be due,
        from the due buckets. Nothing until a store's older cases are indexed (the backfill
        at the first start): what falls due meanwhile fires once it is done, as the watch
        fires everything due by now -- rather than a query over every case each turn."""
        indexes = self.workflow.indexes
        if not await indexes.ready():
            return []
        return list(await indexes.timers.due(now))

    async def tick(self) -> int:
        """Fire every timer due now; the number of cases whose timers fired. Then finish
        the counters a process left half-way."""
        now = self.workflow.clock.now()
        fired = 0
        for case_id, listed_at in await self.due(now):
            async with self.workflow.locks.hold(case_id):
                # Read again under the lock: another instance may have fired it meanwhile.
                doc = await self.workflow.repo.get(case_id)
                next_at = doc.get("next_timer_at") if doc else None
                if next_at is None or to_ms(next_at) != listed_at:
                    # A stale entry (the case's timer moved or fired): drop it, under the lock
                    # so that no writer is re-adding it meanwhile.
                    await self.workflow.indexes.timers.remove(case_id, listed_at)
                if doc is None or next_at is None or next_at > now:
                    continue
                change = Change(doc, now)
                self.alarm(change)
                if await self.workflow.write(change):
                    fired += 1
        self.fired += fired
        await self.workflow.indexes.repair_counters(self.workflow.locks, self.workflow.repo.get)
        return fired

    def alarm(self, change: Change) -> None:
        timers = change.timers()
        platform = change.platform
        anything = False
        breached = []
        for name, timer in timers.items():
            for alarm in due_alarms(timer, change.now):
                anything = True
                if alarm == "warning":
                    timers[name] = replace(timers[name], warned=True)
                    change.emit(
                        CASE_EVENTS,
                        DeadlineWarning(
                            platform=platform,
                            deadline=name,
                            due_at=timer.due_at,
                            share_elapsed=self.workflow.policy.share_elapsed(timer, change.now),
                        ),
                    )
                    mediator = change.case.mediator
                    change.emit(
                        NOTIFY_REQUESTS,
                        NotificationRequested(
                            notice=NoticeKind.DEADLINE_REMINDER,
                            recipient_kind=RecipientKind.MEDIATOR
                            if mediator
                            else RecipientKind.LEADER,
                            recipient_ref=mediator or leader_of(platform),
                            facts={
                                "platform": platform,
                                "deadline": name,
                                "due_at": timer.due_at.isoformat(),
                            },
                        ),
                    )
                else:
                    timers[name] = replace(timers[name], breached=True)
                    breached.append(name)
                    change.emit(
                        CASE_EVENTS,
                        DeadlineBreached(platform=platform, deadline=name, due_at=timer.due_at),
                    )
                    # The desk that holds the case has it on its list, not only its leader.
                    change.emit(
                        INTERNAL_TASKS,
                        DeskTaskCreated(
                            platform=platform,
                            desk=change.case.desk,
                            task=f"{name}_deadline_breached",
                        ),
                    )
                    change.emit(
                        NOTIFY_REQUESTS,
                        NotificationRequested(
                            notice=NoticeKind.DEADLINE_BREACH,
                            recipient_kind=RecipientKind.LEADER,
                            recipient_ref=leader_of(platform),
                            urgent=True,
                            facts={
                                "platform": platform,
                                "deadline": name,
                                "due_at": timer.due_at.isoformat(),
                            },
                        ),
                    )
        if not anything:
            change.set_timers(timers)  # nothing due after all: just fix next_timer_at
            return
        if breached and self._can_escalate(change):
            reason = f"{breached[0]} deadline breached"
            self.workflow.rules.transition(change, Action.ESCALATE, reason=reason, actor="deadline")
            self.workflow.rules.escalate(change, timers, reason)
        change.set_timers(timers)
        log.info("deadline alarms", case_id=change.doc["_id"], breached=breached)

    def _can_escalate(self, change: Change) -> bool:
        sources, _ = TRANSITIONS[Action.ESCALATE]
        return (
            CaseStatus(change.status) in sources
            and self.workflow.registry.parent_of(change.platform) is not None
        )
