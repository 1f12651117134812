"""Intake's service layer: register a case from any channel; follow its public status."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import structlog
from concord_shared.consumer import Unprocessable
from concord_shared.enums import CaseStatus
from concord_shared.envelope import Envelope, envelope
from concord_shared.events import CaseRouted, CaseStatusChanged, MediationOpened, SubmitCase
from concord_shared.outbox import Emit
from concord_shared.registry import Registry
from concord_shared.submission import CaseSubmission

from concord_intake.adapters.repository import CaseRepository, ReceiptTaken
from concord_intake.domain.cases import CaseRecord, case_received, register
from concord_intake.domain.identity import (
    case_id_for,
    new_case_id,
    receipt_number,
    verification_code,
)
from concord_intake.domain.submission import FieldProblem, check_against_registry

log = structlog.get_logger(__name__)
SERVICE = "intake"


class SubmissionRejected(Exception):
    def __init__(self, problems: list[FieldProblem]) -> None:
        super().__init__("; ".join(f"{'.'.join(map(str, p.loc))}: {p.msg}" for p in problems))
        self.problems = problems


@dataclass
class Intake:
    repo: CaseRepository
    registry: Registry
    pseudonym_key: str
    receipt_prefix: str
    case_events_topic: str
    on_written: Callable[[], None]
    clock: Callable[[], datetime]

    async def register(
        self,
        submission: CaseSubmission,
        *,
        idempotency_scope: str | None = None,
        idempotency_key: str | None = None,
        source_system: str | None = None,
        source_ref: str | None = None,
    ) -> tuple[CaseRecord, bool]:
        """Validate, store with its CaseReceived in one write, return (case, created).

        The same idempotency key (or source system and reference) returns the first case.
        """
        problems = check_against_registry(submission, self.registry)
        if problems:
            raise SubmissionRejected(problems)
        case_id = (
            case_id_for(idempotency_scope or "", idempotency_key)
            if idempotency_key
            else new_case_id()
        )
        now = self.clock()
        for _ in range(5):
            record = register(
                submission,
                case_id=case_id,
                receipt=receipt_number(self.receipt_prefix, now),
                code=verification_code(),
                pseudonym_key=self.pseudonym_key,
                now=now,
                source_system=source_system,
                source_ref=source_ref,
            )
            event = envelope(case_received(record), source=SERVICE, case_id=case_id)
            try:
                created = await self.repo.insert(record, [Emit(self.case_events_topic, event)])
            except ReceiptTaken:
                continue
            break
        else:
            raise RuntimeError("could not draw a free receipt number")
        if created:
            self.on_written()
            log.info("case registered", case_id=case_id, kind=record.kind, channel=record.channel)
            return record, True
        existing = await self.repo.get(case_id)
        if existing is None:  # pragma: no cover - the duplicate was there a moment ago
            raise RuntimeError("duplicate case vanished")
        return existing, False

    async def public_status(self, receipt: str, code: str) -> CaseRecord | None:
        record = await self.repo.by_receipt(receipt)
        if record is None or record.verification_code != code:
            return None  # the same answer for both: the receipt's existence is not disclosed
        return record

    # --- following the case log -----------------------------------------------------------

    async def on_case_routed(self, event: Envelope[Any]) -> None:
        routed: CaseRouted = event.payload
        await self._status(
            event,
            status=CaseStatus.ROUTED,
            level=routed.level,
            platform=routed.platform,
            department=routed.lead_department,
        )

    async def on_mediation_opened(self, event: Envelope[Any]) -> None:
        opened: MediationOpened = event.payload
        await self._status(
            event,
            status=opened.status,
            level=opened.level,
            platform=opened.platform,
            acceptance_due=opened.acceptance_due,
            handling_due=opened.handling_due,
        )

    async def on_status_changed(self, event: Envelope[Any]) -> None:
        changed: CaseStatusChanged = event.payload
        await self._status(event, status=changed.to_status, platform=changed.platform)

    async def _status(self, event: Envelope[Any], **fields: Any) -> None:
        fields["updated_at"] = event.occurred_at
        await self.repo.update_public_status(event.case_id, event.event_id, fields)

    async def on_submit_case(self, event: Envelope[Any]) -> None:
        """A submission from another system on the integration topic."""
        command: SubmitCase = event.payload
        try:
            record, created = await self.register(
                command.case,
                idempotency_scope=f"source:{command.source_system}",
                idempotency_key=command.source_ref,
                source_system=command.source_system,
                source_ref=command.source_ref,
            )
        except SubmissionRejected as exc:
            raise Unprocessable("rejected", str(exc)) from exc
        if not created:
            log.info("resubmission of a known case ignored", case_id=record.case_id)

    def handlers(self) -> dict[str, Any]:
        return {
            "SubmitCase": self.on_submit_case,
            "CaseRouted": self.on_case_routed,
            "MediationOpened": self.on_mediation_opened,
            "CaseStatusChanged": self.on_status_changed,
        }
