"""The citizen's pages, without sign-in: the case by receipt number and verification code, in
plain words with the names of the platform and the department, and the satisfaction form
once the case is closed (not satisfied opens a review one level up).

The two codes go to intake in a form post, never in a URL (URLs end up in logs and browser
histories), and are kept in the signed session cookie for the pages that follow. Intake
counts lookups per citizen: the console passes the citizen's address on (X-Forwarded-For)
so that one citizen's wrong codes do not lock out every other.
"""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from concord_console.adapters.services import ServiceError
from concord_console.entrypoints.web import Console, check_csrf, language_texts, redirect

# Mediation takes the citizen's say once, on a closed case.
FEEDBACK_OPEN = "closed"


def citizen_router(console: Console) -> APIRouter:
    router = APIRouter(prefix="/status")

    async def lookup(request: Request, receipt: str, code: str) -> dict[str, Any]:
        address = request.client.host if request.client else ""
        # In the reader's language: intake says where the case stands in words (its
        # status_text), the same the status API gives the citizen.
        language = language_texts(request, console.registry).language
        found: dict[str, Any] = await console.backends.intake.call(
            "GET",
            "/cases/status",
            params={"receipt_number": receipt, "verification_code": code, "lang": language},
            headers={"X-Forwarded-For": address} if address else None,
        )
        return found

    def lookup_page(request: Request, status_code: int, error: str, receipt: str) -> Response:
        return console.render(
            request, "citizen/lookup.html", status_code, error=error, receipt_number=receipt
        )

    @router.get("")
    async def form(request: Request) -> Response:
        return console.render(request, "citizen/lookup.html")

    @router.post("", dependencies=[Depends(check_csrf)])
    async def look_up(
        request: Request,
        receipt_number: Annotated[str, Form(max_length=32)],
        verification_code: Annotated[str, Form(max_length=16)],
    ) -> Response:
        texts = language_texts(request, console.registry)
        receipt, code = receipt_number.strip().upper(), verification_code.strip()
        try:
            await lookup(request, receipt, code)
        except ServiceError as exc:
            if exc.status == 404 or exc.status == 422:
                return lookup_page(request, 404, texts("citizen.not_found"), receipt)
            if exc.status == 429:
                wait = exc.retry_after_s or 60
                return lookup_page(request, 429, texts("citizen.too_many", seconds=wait), receipt)
            raise
        request.session["citizen"] = {"receipt": receipt, "code": code}
        return redirect("/status/case")

    @router.get("/case")
    async def case(request: Request, message: str | None = None) -> Response:
        held = request.session.get("citizen")
        if not isinstance(held, dict):
            return redirect("/status")
        try:
            status = await lookup(request, held["receipt"], held["code"])
        except ServiceError as exc:
            if exc.status == 404:
                request.session.pop("citizen", None)
                return redirect("/status")
            raise
        return console.render(
            request,
            "citizen/case.html",
            case=status,
            feedback_open=status["status"] == FEEDBACK_OPEN and not held.get("rated"),
            message=message,
        )

    @router.post("/feedback", dependencies=[Depends(check_csrf)])
    async def feedback(
        request: Request,
        satisfied: Annotated[bool, Form()],
        comment: Annotated[str, Form(max_length=2000)] = "",
    ) -> Response:
        held = request.session.get("citizen")
        if not isinstance(held, dict):
            return redirect("/status")
        status = await lookup(request, held["receipt"], held["code"])
        try:
            await console.backends.mediation.call(
                "POST",
                f"/cases/{status['case_id']}/feedback",
                console.settings.citizen_feedback_key,
                json={"satisfied": satisfied, "comment": comment.strip()},
            )
        except ServiceError as exc:
            if exc.status != 409:  # 409: already rated, or not closed (any more)
                raise
            request.session["citizen"] = {**held, "rated": True}
            return redirect("/status/case?message=given")
        request.session["citizen"] = {**held, "rated": True}
        return redirect(f"/status/case?message={'thanks' if satisfied else 'review'}")

    @router.post("/leave", dependencies=[Depends(check_csrf)])
    async def leave(request: Request) -> Response:
        request.session.pop("citizen", None)
        return redirect("/status")

    return router
