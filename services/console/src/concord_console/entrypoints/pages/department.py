"""A department clerk's inbox: the coordination requests routing sent the department, and
the reply to each -- accept, decline with a reason, or answer -- given over routing's HTTP
API, which publishes the same contract event a department's own system would."""

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from concord_console.adapters.services import ServiceError
from concord_console.domain.users import Role, User
from concord_console.entrypoints.web import Console, check_csrf, redirect, signed_in

# The replies each state of a request still takes (routing decides; the page offers these).
REPLIES = {"requested": ("accept", "decline", "answer"), "accepted": ("answer", "decline")}


def department_router(console: Console) -> APIRouter:
    router = APIRouter(prefix="/department")
    Clerk = Annotated[User, Depends(signed_in(console, Role.DEPARTMENT))]

    async def inbox_page(
        request: Request,
        user: Clerk,
        state: str,
        done: str | None = None,
        problem: dict[str, str] | None = None,
        status_code: int = 200,
    ) -> Response:
        found = await console.backends.routing.call(
            "GET",
            f"/departments/{user.department}/requests",
            console.key(user, "routing"),
            params={"state": state},
        )
        requests = sorted(
            found["requests"], key=lambda r: (r["state"] not in REPLIES, r["requested_at"])
        )
        return console.render(
            request,
            "department/inbox.html",
            status_code,
            requests=requests,
            replies=REPLIES,
            state=state,
            done=done,
            problem=problem or {},
        )

    @router.get("")
    async def inbox(
        request: Request,
        user: Clerk,
        state: Literal["open", "all"] = "open",
        done: Literal["accept", "decline", "answer"] | None = None,
    ) -> Response:
        return await inbox_page(request, user, state, done)

    @router.post("/cases/{case_id}/reply", dependencies=[Depends(check_csrf)])
    async def reply(
        request: Request,
        case_id: str,
        user: Clerk,
        decision: Annotated[Literal["accept", "decline", "answer"], Form()],
        text: Annotated[str, Form(max_length=4000)] = "",
    ) -> Response:
        body: dict[str, str] = {"decision": decision}
        if decision == "decline":
            body["reason"] = text
        elif decision == "answer":
            body["answer"] = text
        try:
            await console.backends.routing.call(
                "POST",
                f"/cases/{case_id}/coordination/{user.department}/reply",
                console.key(user, "routing"),
                json=body,
            )
        except ServiceError as exc:
            if exc.status not in (409, 422):
                raise
            message = exc.problems[0].message if exc.problems else exc.reason
            problem = {"case_id": case_id, "decision": decision, "message": message}
            return await inbox_page(request, user, "open", None, problem, exc.status)
        return redirect(f"/department?done={decision}")

    return router
