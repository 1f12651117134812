"""Routing's service layer: decide for each received case and tell everyone concerned."""

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import structlog
from concord_shared.envelope import Envelope
from concord_shared.events import (
    CaseAssigned,
    CaseReceived,
    CaseRouted,
    CoordinationRequested,
    DeskTaskCreated,
)
from concord_shared.outbox import Emit, caused
from concord_shared.registry import Registry
from concord_shared.topics import (
    CASE_EVENTS,
    INTERNAL_TASKS,
    VERTICAL_ASSIGN,
    TopicSpec,
    department_topic,
)

from concord_routing.adapters.repository import RouteRepository
from concord_routing.domain.decision import CaseFacts, Decision, decide
from concord_routing.domain.rules import RuleSet

log = structlog.get_logger(__name__)
SERVICE = "routing"


@dataclass
class Routing:
    repo: RouteRepository
    registry: Registry
    rules: RuleSet
    topic: Callable[[TopicSpec], str]
    on_written: Callable[[list[str]], None]

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
        decision = decide(facts, self.registry, self.rules)
        emits = self._announce(event, received, decision)
        stored = await self.repo.record_decision(
            event.case_id,
            event.event_id,
            dataclasses.asdict(facts),
            {**dataclasses.asdict(decision), "decided_at": event.occurred_at},
            emits,
        )
        if stored:
            self.on_written([event.case_id])
            log.info(
                "case routed",
                platform=decision.platform,
                platform_level=decision.level,
                rule_id=decision.rule_id,
                lead_department=decision.lead_department,
            )

    def _announce(self, cause: Envelope[Any], case: CaseReceived, d: Decision) -> list[Emit]:
        def emit(topic: str, payload: Any) -> Emit:
            return caused(topic, payload, cause, SERVICE)

        departments = [(d.lead_department, "lead")] if d.lead_department else []
        departments += [(c, "co") for c in d.co_departments]
        return [
            emit(
                self.topic(CASE_EVENTS),
                CaseRouted(
                    level=d.level,
                    platform=d.platform,
                    desk=d.desk,
                    lead_department=d.lead_department,
                    co_departments=d.co_departments,
                    rule_id=d.rule_id,
                    ruleset_version=d.ruleset_version,
                    reason=d.reason,
                ),
            ),
            emit(
                self.topic(VERTICAL_ASSIGN),
                CaseAssigned(
                    platform=d.platform,
                    level=d.level,
                    desk=d.desk,
                    kind=case.kind,
                    category=case.category,
                    severity=case.severity,
                    area_code=case.area_code,
                    summary=case.summary,
                    parties=case.parties,
                    lead_department=d.lead_department,
                    co_departments=d.co_departments,
                    language=case.language,
                    repeat_of=case.repeat_of,
                    collective=case.collective,
                    received_at=cause.occurred_at,
                ),
            ),
            *(
                emit(
                    self.topic(department_topic(code)),
                    CoordinationRequested(
                        department=code,
                        role=role,
                        platform=d.platform,
                        kind=case.kind,
                        category=case.category,
                        area_code=case.area_code,
                        summary=case.summary,
                    ),
                )
                for code, role in departments
            ),
            emit(
                self.topic(INTERNAL_TASKS),
                DeskTaskCreated(platform=d.platform, desk=d.desk, task="handle_case"),
            ),
        ]

    def handlers(self) -> dict[str, Any]:
        return {"CaseReceived": self.on_case_received}
