"""Mediation's service layer for staff actions: load the case, let its rules decide
(domain/case.py), save the new state and its events in one conditional single-document update
(adapters/updates.py), and load again on a race."""

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import structlog
from concord_shared.clock import Clock
from concord_shared.outbox import Outbox
from concord_shared.registry import Registry

from concord_mediation.adapters.indexes import CaseIndexes, unique
from concord_mediation.adapters.locks import CaseLocks
from concord_mediation.adapters.repository import MediationRepository
from concord_mediation.adapters.updates import case_update
from concord_mediation.domain import commands as c
from concord_mediation.domain.access import ApiKey
from concord_mediation.domain.assignment import Mediator
from concord_mediation.domain.case import CaseRules
from concord_mediation.domain.change import Change
from concord_mediation.domain.deadlines import DeadlinePolicy
from concord_mediation.domain.workflow import OPEN_STATUSES

log = structlog.get_logger(__name__)
SERVICE = "mediation"
ATTEMPTS = 8


@dataclass
class Workflow:
    repo: MediationRepository
    registry: Registry
    policy: DeadlinePolicy
    mediators: list[Mediator]
    clock: Clock
    outbox: Outbox
    locks: CaseLocks
    indexes: CaseIndexes

    @functools.cached_property
    def rules(self) -> CaseRules:
        """What a case may do and what each move changes and tells (domain/case.py)."""
        return CaseRules(self.registry, self.policy, self.mediators)

    # --- writing ------------------------------------------------------------------------

    async def write(self, change: Change, cause_id: str | None = None) -> bool:
        case_id = change.doc["_id"]
        # In the case's correlation; caused by the event being handled, if there is one.
        events = self.outbox.change(
            case_id, correlation_id=change.doc.get("correlation_id"), causation_id=cause_id
        )
        for topic, payload in change.events():
            events.emit(topic, payload)
        after = change.result()
        await self.indexes.before(change.doc, after)
        written = events.stored(
            await self.repo.update(
                case_id, change.doc.get("rev", 0), case_update(change), events.emits, cause_id
            )
        )
        if written:
            await self.indexes.after(change.doc, after)
        return written

    async def _change_case(
        self, case_id: str, actor: ApiKey | None, decide: Callable[[Change], None]
    ) -> dict[str, Any]:
        for _ in range(ATTEMPTS):
            async with self.locks.hold(case_id):
                doc = await self.repo.get(case_id)
                if doc is None:
                    raise c.NotFound(case_id)
                if actor is not None and not _may_act(actor, doc["platform"]):
                    raise c.Forbidden()
                change = Change(doc, self.clock.now())
                decide(change)
                if await self.write(change):
                    return await self.repo.get(case_id) or doc
        raise c.Refused("the case changed concurrently too often; try again")

    # --- staff actions ------------------------------------------------------------------

    async def act(self, case_id: str, command: c.Command, actor: ApiKey) -> dict[str, Any]:
        unavailable = (
            await self.repo.unavailable_mediators()
            if isinstance(command, c.AssignMediator)
            else set()
        )
        loads: dict[str, int] = {}
        if isinstance(command, c.AssignMediator) and command.mediator_ref is None:
            doc = await self.repo.get(case_id)
            if doc is not None:
                loads = await self.loads(doc["platform"])

        by = actor.holder or actor.role.value

        def decide(change: Change) -> None:
            self.rules.apply(change, command, by, loads, unavailable)

        result = await self._change_case(case_id, actor, decide)
        log.info("case transition", case_id=case_id, action=command.action, status=result["status"])
        return result

    # --- other requests -----------------------------------------------------------------

    async def feedback(self, case_id: str, feedback: c.Feedback, actor: ApiKey) -> dict[str, Any]:
        return await self._change_case(
            case_id, None, lambda change: self.rules.feedback(change, feedback)
        )

    async def extend(self, case_id: str, extension: c.Extension, actor: ApiKey) -> dict[str, Any]:
        if extension.days * 86400 > self.policy.extension_max.seconds:
            raise c.InvalidInput(
                "days", f"at most {int(self.policy.extension_max.seconds // 86400)} working days"
            )
        by = actor.holder or actor.role.value
        return await self._change_case(
            case_id, actor, lambda change: self.rules.extend(change, extension, by)
        )

    async def review_repeat(
        self, case_id: str, review: c.RepeatReview, actor: ApiKey
    ) -> dict[str, Any]:
        """Staff confirm or reject the probable repeat intake flagged: confirmed, the case is
        a repeat (routing's rules and the rating count it from now); either way intake is
        told (RepeatReviewed) and the flag is gone."""
        by = actor.holder or actor.role.value
        return await self._change_case(
            case_id, actor, lambda change: self.rules.review_repeat(change, review, by)
        )

    async def record_session(
        self, case_id: str, session_id: str, record: c.SessionRecord, actor: ApiKey
    ) -> dict[str, Any]:
        return await self._change_case(
            case_id, actor, lambda change: self.rules.record_session(change, session_id, record)
        )

    async def open_cases_at(self, platform: str) -> list[dict[str, Any]]:
        """The cases at a platform in an open status (a mediator's load counts these)."""
        statuses = [s.value for s in OPEN_STATUSES]
        if not await self.indexes.ready():
            return await self.repo.open_with_mediators(platform, statuses)
        listed = await self.indexes.listed([platform], None)
        return [
            doc
            for doc in await self.repo.by_ids(unique(i for _, i in listed[platform]))
            if doc.get("platform") == platform and doc.get("status") in statuses
        ]

    async def loads(self, platform: str) -> dict[str, int]:
        docs = await self.open_cases_at(platform)
        loads: dict[str, int] = {}
        for d in docs:
            if d.get("mediator"):
                loads[d["mediator"]] = loads.get(d["mediator"], 0) + 1
        return loads

    async def set_availability(self, ref: str, available: bool) -> list[dict[str, str]]:
        """Mark a mediator (un)available; their open cases go to the next best mediator."""
        mediator = next((m for m in self.mediators if m.ref == ref), None)
        if mediator is None:
            raise c.NotFound(ref)
        await self.repo.set_availability(ref, available)
        if available:
            return []
        moved = []
        docs = await self.open_cases_at(mediator.platform)
        for d in (d for d in docs if d.get("mediator") == ref):
            unavailable = await self.repo.unavailable_mediators()
            loads = await self.loads(mediator.platform)

            decide = functools.partial(
                self.rules.reassign, ref=ref, loads=loads, unavailable=unavailable
            )
            result = await self._change_case(str(d["_id"]), None, decide)
            moved.append({"case_id": str(d["_id"]), "mediator": str(result.get("mediator"))})
        return moved


def _may_act(actor: ApiKey, platform: str) -> bool:
    from concord_mediation.domain.access import Right, permits

    return permits(actor, Right.ACT, platform)
