"""Intake's native JSON API: register a case, look up its public status."""

from datetime import datetime
from typing import Annotated, Any

from concord_shared.enums import CaseStatus, Level
from concord_shared.submission import CaseSubmission
from fastapi import APIRouter, Header, HTTPException, Query, Response, status
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel

from concord_intake.domain.cases import CaseRecord
from concord_intake.handlers import Intake, SubmissionRejected


class Receipt(BaseModel):
    case_id: str
    receipt_number: str
    verification_code: str
    status: CaseStatus
    received_at: datetime


class PublicStatusView(BaseModel):
    receipt_number: str
    kind: str
    category: str
    status: CaseStatus
    level: Level | None
    platform: str | None
    department: str | None
    received_at: datetime
    acceptance_due: datetime | None
    handling_due: datetime | None
    updated_at: datetime


def _receipt(record: CaseRecord) -> Receipt:
    return Receipt(
        case_id=record.case_id,
        receipt_number=record.receipt_number,
        verification_code=record.verification_code,
        status=record.public.status,
        received_at=record.received_at,
    )


def cases_router(intake: Intake) -> APIRouter:
    router = APIRouter(tags=["cases"])

    @router.post("/cases", status_code=status.HTTP_201_CREATED, response_model=Receipt)
    async def register_case(
        submission: CaseSubmission,
        response: Response,
        idempotency_key: Annotated[str | None, Header(max_length=128)] = None,
    ) -> Receipt:
        """Register a case. Returns its receipt number and a short verification code.

        Send an `Idempotency-Key` header: a retried POST with the same key returns the same
        case (200) instead of creating a second one.
        """
        try:
            record, created = await intake.register(
                submission, idempotency_scope="http", idempotency_key=idempotency_key
            )
        except SubmissionRejected as exc:
            raise RequestValidationError(
                [
                    {"loc": ("body", *p.loc), "msg": p.msg, "type": "value_error"}
                    for p in exc.problems
                ]
            ) from exc
        if not created:
            response.status_code = status.HTTP_200_OK
        return _receipt(record)

    @router.get("/cases/status", response_model=PublicStatusView)
    async def public_status(
        receipt_number: Annotated[str, Query(max_length=32)],
        verification_code: Annotated[str, Query(max_length=16)],
    ) -> Any:
        """A citizen's view of the case: status, who holds it, deadlines. No internal notes."""
        record = await intake.public_status(receipt_number, verification_code)
        if record is None:
            raise HTTPException(404, "no case with this receipt number and verification code")
        return PublicStatusView(
            receipt_number=record.receipt_number,
            kind=record.kind,
            category=record.category,
            received_at=record.received_at,
            **record.public.model_dump(),
        )

    return router
