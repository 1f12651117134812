"""Intake's native JSON API: register a case, read it, look up its public status."""

import hashlib
from datetime import datetime
from typing import Annotated, Any

from concord_shared.enums import CaseStatus, Level
from concord_shared.submission import CaseSubmission
from concord_shared.wording import choose_language
from fastapi import APIRouter, Depends, Header, HTTPException, Query, Request, Response, status
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel

from concord_intake.domain.access import Action, ApiKey, permits
from concord_intake.domain.cases import CaseRecord
from concord_intake.domain.public_view import StatusWords, status_words_of
from concord_intake.entrypoints.auth import require
from concord_intake.entrypoints.public_limits import Limited, PublicLimits, too_many_requests
from concord_intake.handlers import Hints, Intake, Registration, SubmissionRejected


class Receipt(BaseModel):
    case_id: str
    receipt_number: str
    verification_code: str
    status: CaseStatus
    received_at: datetime
    repeat_of: str | None = None  # the earlier case of the same party on the same matter
    # The same party on the same category and area, worded otherwise: for the mediation
    # desk to confirm or reject (POST mediation /cases/{id}/repeat).
    probable_repeat_of: str | None = None
    collective: bool = False
    collective_group: str | None = None


class PublicStatusView(StatusWords):
    # The holder of the receipt number and verification code owns the case: the id is what
    # the citizen's page sends the satisfaction form to mediation with.
    case_id: str
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


class Problem(BaseModel):
    field: str  # dotted, as in the submission: "location.area_code"
    message: str


class EarlierCaseView(BaseModel):
    """The earlier case a submission repeats: no personal data."""

    case_id: str
    # Only for callers who may see that platform's receipt numbers (as in Open311 listings).
    receipt_number: str | None
    received_at: datetime
    status: CaseStatus
    category: str


class CheckAnswer(BaseModel):
    problems: list[Problem]  # registering would be refused while there are any
    repeat_of: EarlierCaseView | None
    probable_repeat_of: EarlierCaseView | None
    collective: bool
    collective_group: str | None
    collective_group_size: int | None
    situation_group: str | None


def _earlier_view(earlier: CaseRecord | None, caller: ApiKey) -> EarlierCaseView | None:
    if earlier is None:
        return None
    return EarlierCaseView(
        case_id=earlier.case_id,
        receipt_number=earlier.receipt_number
        if permits(caller, Action.LIST_RECEIPTS, earlier.platform)
        else None,
        received_at=earlier.received_at,
        status=earlier.public.status,
        category=earlier.category,
    )


def check_answer(hints: Hints, caller: ApiKey) -> CheckAnswer:
    return CheckAnswer(
        problems=[Problem(field=".".join(map(str, p.loc)), message=p.msg) for p in hints.problems],
        repeat_of=_earlier_view(hints.repeat_of, caller),
        probable_repeat_of=_earlier_view(hints.probable_repeat_of, caller),
        collective=hints.collective,
        collective_group=hints.collective_group,
        collective_group_size=hints.collective_group_size,
        situation_group=hints.situation_group,
    )


def receipt_of(record: CaseRecord) -> Receipt:
    return Receipt(
        case_id=record.case_id,
        receipt_number=record.receipt_number,
        verification_code=record.verification_code,
        status=record.public.status,
        received_at=record.received_at,
        repeat_of=record.repeat_of,
        probable_repeat_of=record.probable_repeat_of,
        collective=record.collective,
        collective_group=record.collective_group,
    )


def rejection(exc: SubmissionRejected, prefix: tuple[str, ...] = ("body",)) -> Exception:
    return RequestValidationError(
        [{"loc": (*prefix, *p.loc), "msg": p.msg, "type": "value_error"} for p in exc.problems]
    )


def fingerprint(text: str) -> str:
    """A short one-way digest: scopes idempotency keys to the API key that sent them (the
    caller, not its role: two hotlines must not share case ids) and tells bodies apart."""
    return hashlib.sha256(text.encode(errors="surrogatepass")).hexdigest()[:32]


def cases_router(intake: Intake, api_key: Any, limits: PublicLimits) -> APIRouter:
    router = APIRouter(tags=["cases"])
    Caller = Annotated[ApiKey, Depends(api_key)]

    @router.post(
        "/cases",
        status_code=status.HTTP_201_CREATED,
        response_model=Receipt,
        responses={200: {"description": "the same Idempotency-Key was used before"}},
    )
    async def register_case(
        submission: CaseSubmission,
        response: Response,
        caller: Caller,
        idempotency_key: Annotated[str | None, Header(max_length=128)] = None,
        x_api_key: Annotated[str | None, Header()] = None,  # known good: `caller` checked it
    ) -> Receipt:
        """Register a case; returns its receipt number and a short verification code.

        Reception staff may register only for their own platform. With an
        `Idempotency-Key` header a retried POST returns the same case (200), not a second;
        the key is the caller's own (another key's caller gets a case of its own), and the
        same key with a different body is refused (422).
        The receipt says at once whether the same party brought the same matter before
        (`repeat_of`) and whether it belongs to a collective matter.
        """
        require(caller, Action.REGISTER, submission.platform)
        try:
            registered = await intake.register(
                Registration(
                    submission,
                    idempotency_scope=f"http:{fingerprint(x_api_key or '')}",
                    idempotency_key=idempotency_key,
                    body_fingerprint=fingerprint(submission.model_dump_json()),
                )
            )
        except SubmissionRejected as exc:
            raise rejection(exc) from exc
        if not registered.created:
            response.status_code = status.HTTP_200_OK
        return receipt_of(registered.record)

    @router.post("/cases/check", response_model=CheckAnswer)
    async def check_case(submission: CaseSubmission, caller: Caller) -> CheckAnswer:
        """What registering this submission would say, before it is saved: the registry's
        problems with it (unknown category, area or platform), and whether it repeats an
        earlier case of the same party (`repeat_of`) or belongs to a collective matter.

        Stores and sends nothing: a check is never counted by a later check or registration.
        The same body and the same keys as `POST /cases` (reception staff for their own
        platform only); a body that is not a valid submission is a 422 as there.
        """
        require(caller, Action.REGISTER, submission.platform)
        return check_answer(await intake.check(submission), caller)

    @router.get(
        "/cases/status",
        response_model=PublicStatusView,
        responses={429: {"description": "too many requests or wrong codes; see Retry-After"}},
    )
    async def public_status(
        request: Request,
        receipt_number: Annotated[str, Query(max_length=32)],
        verification_code: Annotated[str, Query(max_length=16)],
        response: Response,
        lang: Annotated[str | None, Query(description="zh or en; else Accept-Language")] = None,
        accept_language: Annotated[str | None, Header()] = None,
    ) -> Any:
        """A citizen's view: status, which level and department hold it, deadlines, and the
        case id (for what the citizen sends about the case, e.g. the satisfaction form).
        The codes, and beside them the same in plain words (`*_text`, `*_name`, `summary`)
        in Chinese or English: `lang`, else Accept-Language, else Chinese.

        No authentication: the receipt number and the verification code are the key. Rate
        limited per client and per receipt (a few wrong codes, then 429 with Retry-After).
        """
        try:
            await limits.client_request(request)
            record = await intake.public_status(receipt_number, verification_code)
            if record is None:
                await limits.wrong_code(receipt_number)
            else:
                await limits.receipt_open(receipt_number)
        except Limited as exc:
            raise too_many_requests(exc) from exc
        if record is None:
            raise HTTPException(404, "no case with this receipt number and verification code")
        language = choose_language(lang, accept_language)
        response.headers["Content-Language"] = language
        response.headers["Vary"] = "Accept-Language"
        return PublicStatusView(
            case_id=record.case_id,
            receipt_number=record.receipt_number,
            kind=record.kind,
            category=record.category,
            received_at=record.received_at,
            **record.public.model_dump(),
            **status_words_of(record, intake.registry, language).model_dump(),
        )

    @router.get("/cases/{case_id}")
    async def read_case(case_id: str, caller: Caller) -> dict[str, Any]:
        """The whole case with its parties' contact data: for the receiving platform's
        reception staff and for auditors only."""
        record = await intake.repo.get(case_id)
        if record is None:
            require(caller, Action.READ_CASE, "")  # 403 rather than 404 for those not allowed
            raise HTTPException(404, "no such case")
        require(caller, Action.READ_CASE, record.platform)
        return record.model_dump(mode="json", exclude={"verification_code"})

    return router
