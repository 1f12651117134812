"""Mediation's service layer: open a case at the platform it was assigned to."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import structlog
from concord_shared.enums import CaseStatus, NoticeKind, PartyRole, RecipientKind
from concord_shared.envelope import Envelope
from concord_shared.events import CaseAssigned, MediationOpened, NotificationRequested
from concord_shared.outbox import Emit, caused
from concord_shared.topics import CASE_EVENTS, NOTIFY_REQUESTS, TopicSpec

from concord_mediation.adapters.repository import MediationRepository
from concord_mediation.domain.deadlines import DeadlinePolicy

log = structlog.get_logger(__name__)
SERVICE = "mediation"


@dataclass
class Mediation:
    repo: MediationRepository
    deadlines: DeadlinePolicy
    topic: Callable[[TopicSpec], str]
    on_written: Callable[[list[str]], None]

    async def on_case_assigned(self, event: Envelope[Any]) -> None:
        assigned: CaseAssigned = event.payload
        acceptance_due = self.deadlines.acceptance_due(
            assigned.kind, assigned.severity, assigned.received_at
        )
        handling_due = self.deadlines.handling_due(
            assigned.kind, assigned.severity, assigned.received_at
        )
        case = {
            "platform": assigned.platform,
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
            "status": CaseStatus.RECEIVED,
            "received_at": assigned.received_at,
            "opened_at": event.occurred_at,
            "acceptance_due": acceptance_due,
            "handling_due": handling_due,
            "history": [{"at": event.occurred_at, "status": CaseStatus.RECEIVED}],
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
                    acceptance_due=acceptance_due,
                    handling_due=handling_due,
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
                            "acceptance_due": acceptance_due.date().isoformat(),
                        },
                    ),
                )
                for party in assigned.parties
                if party.role is PartyRole.APPLICANT
            ),
        ]
        if await self.repo.open_case(event.case_id, event.event_id, case, emits):
            self.on_written([event.case_id])
            log.info(
                "mediation case opened", platform=assigned.platform, platform_level=assigned.level
            )

    def handlers(self) -> dict[str, Any]:
        return {"CaseAssigned": self.on_case_assigned}
