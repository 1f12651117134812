"""Reception: register a visit, letter or call at the user's platform and hand over the
receipt (receipt number and verification code).

The form is the registry's categories and areas in the user's language. Phone and identity
numbers are checked as they are typed with the same rules intake applies; repeat and
collective hints come from intake's check before anything is saved. Saving carries an
Idempotency-Key made when the form was drawn, so a double click registers one case.
Nothing a citizen said is kept by the console: the form goes to intake and is gone.
"""

import secrets
from collections.abc import Callable
from typing import Annotated, Any

from concord_shared.enums import CaseKind, Channel, PartyRole, Severity
from concord_shared.registry import Platform
from concord_shared.submission import normalise_id_number, normalise_phone
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import FormData

from concord_console.adapters.services import FieldProblem, ServiceError
from concord_console.domain.users import Role, User
from concord_console.entrypoints.web import Console, check_csrf, signed_in

MAX_PARTIES = 20
PARTY_FIELDS = ("name", "phone", "id_number", "role")
# The channels reception staff take in at a desk (online and hotline cases come by API).
DESK_CHANNELS = (Channel.VISIT, Channel.LETTER, Channel.CALL, Channel.GRID_REPORT)
VALIDATORS: dict[str, Callable[[str], str]] = {
    "phone": normalise_phone,
    "id_number": normalise_id_number,
}


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def party_count(form: FormData) -> int:
    count = 0
    while count < MAX_PARTIES and f"party-{count}-role" in form:
        count += 1
    return count


def submission_of(form: FormData, platform: str) -> dict[str, Any]:
    """The form as intake's CaseSubmission; empty optional fields are left out, so intake's
    rules (not the console's) say what is missing."""
    parties = []
    for i in range(party_count(form)):
        party = {f: _text(form, f"party-{i}-{f}") for f in PARTY_FIELDS}
        if not any(party[f] for f in ("name", "phone", "id_number")):
            continue  # a respondent row left empty
        parties.append({k: v for k, v in party.items() if v})
    location: dict[str, Any] = {"area_code": _text(form, "area") or None}
    if address := _text(form, "address"):
        location["address"] = address
    return {
        "kind": _text(form, "kind"),
        "channel": _text(form, "channel"),
        "platform": platform,
        "category": _text(form, "category"),
        "description": _text(form, "description"),
        "severity": _text(form, "severity") or Severity.LOW.value,
        "location": location,
        "parties": parties,
    }


def form_field(problem_field: str) -> str:
    """Where on the form a problem intake names belongs ("parties.0.phone" -> "party-0-phone")."""
    parts = problem_field.split(".")
    if parts[0] == "parties" and len(parts) >= 3:
        return f"party-{parts[1]}-{parts[2]}"
    if parts[0] == "location":
        return "area" if parts[-1] in ("area_code", "location") else parts[-1]
    return parts[0] or "form"


def areas_of(console: Console, platform: str) -> list[tuple[str, Platform]]:
    """The area codes a platform registers cases for: its own and those of the platforms
    below it, each with the platform that serves it."""
    registry = console.registry
    return [
        (area, p)
        for p in registry.platforms
        if registry.is_at_or_below(p.code, platform)
        for area in p.area_codes
    ]


def reception_router(console: Console) -> APIRouter:
    router = APIRouter(prefix="/reception")
    Reception = Annotated[User, Depends(signed_in(console, Role.RECEPTION))]

    def page(
        request: Request,
        user: User,
        values: dict[str, str] | None = None,
        problems: list[FieldProblem] | None = None,
        status_code: int = 200,
        parties: int = 2,
    ) -> HTMLResponse:
        errors: dict[str, str] = {}
        for p in problems or []:
            errors.setdefault(form_field(p.field), p.message)
        return console.render(
            request,
            "reception/register.html",
            status_code,
            values=values or {},
            errors=errors,
            parties=parties,
            form_token=(values or {}).get("form_token") or secrets.token_urlsafe(16),
            kinds=list(CaseKind),
            channels=DESK_CHANNELS,
            severities=list(Severity),
            party_roles=list(PartyRole),
            categories=console.registry.categories,
            areas=areas_of(console, user.platform or ""),
            platform=user.platform,
        )

    @router.get("")
    async def register_form(request: Request, user: Reception) -> Response:
        return page(request, user)

    @router.get("/party")
    async def party_row(
        request: Request, user: Reception, index: Annotated[int, Query(ge=0, lt=MAX_PARTIES)]
    ) -> Response:
        """One more party's fields (htmx: the "add a party" button)."""
        return console.render(
            request,
            "reception/party.html",
            i=index,
            values={},
            errors={},
            party_roles=list(PartyRole),
            role_default=PartyRole.RESPONDENT,
        )

    @router.post("/validate", dependencies=[Depends(check_csrf)])
    async def validate(request: Request, user: Reception) -> Response:
        """As-you-type check of a phone or identity number (htmx, one field at a time)."""
        form = await request.form()
        field = next((k for k in form if isinstance(k, str) and k.startswith("party-")), "")
        kind = field.rsplit("-", 1)[-1]
        value = _text(form, field)
        check = VALIDATORS.get(kind)
        message, ok = "", False
        if check is not None and value:
            try:
                check(value)
                ok = True
            except ValueError as exc:
                message = str(exc)
        return console.render(
            request, "reception/field_check.html", ok=ok, message=message, field=field
        )

    @router.post("/hints", dependencies=[Depends(check_csrf)])
    async def hints(request: Request, user: Reception) -> Response:
        """Repeat and collective hints from intake's check; nothing is stored."""
        form = await request.form()
        try:
            found = await console.backends.intake.call(
                "POST",
                "/cases/check",
                console.key(user, "intake"),
                json=submission_of(form, user.platform or ""),
            )
        except ServiceError as exc:
            if exc.status != 422:
                raise
            return console.render(request, "reception/hints.html", hints=None, incomplete=True)
        return console.render(request, "reception/hints.html", hints=found, incomplete=False)

    @router.post("/cases", dependencies=[Depends(check_csrf)])
    async def register(request: Request, user: Reception) -> Response:
        form = await request.form()
        values = {k: v for k, v in form.items() if isinstance(v, str) and k != "csrf"}
        submission = submission_of(form, user.platform or "")
        try:
            receipt = await console.backends.intake.call(
                "POST",
                "/cases",
                console.key(user, "intake"),
                json=submission,
                headers={"Idempotency-Key": f"console-{_text(form, 'form_token')}"},
            )
        except ServiceError as exc:
            if exc.status != 422:
                raise
            return page(request, user, values, exc.problems, 422, max(2, party_count(form)))
        return console.render(
            request, "reception/receipt.html", receipt=receipt, submission=submission
        )

    return router
