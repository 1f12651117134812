"""The department console's API at routing: a department's inbox of coordination requests,
and the reply its clerk gives (the same event a department system sends on Kafka)."""

import dataclasses
from collections.abc import Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, status
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field

from concord_routing.adapters.repository import RouteRepository
from concord_routing.domain.access import Action, ApiKey
from concord_routing.domain.inbox import Reply, ReplyRefused
from concord_routing.entrypoints.auth import require_department
from concord_routing.handlers import CaseNotFound, Routing

MAX_TEXT = 4000


class ReplyBody(BaseModel):
    # The department is the key's: a body naming one is refused, never believed.
    model_config = ConfigDict(extra="forbid")

    decision: Reply = Field(description="accept, decline or answer")
    reason: str | None = Field(
        default=None, max_length=MAX_TEXT, description="Why it is declined (decline: required)."
    )
    answer: str | None = Field(
        default=None, max_length=MAX_TEXT, description="The department's answer (answer: required)."
    )


def _missing(field: str, why: str) -> RequestValidationError:
    """A 422 in the shape of FastAPI's own, naming the field."""
    return RequestValidationError([{"type": "missing", "loc": ("body", field), "msg": why}])


def inbox_router(
    repo: RouteRepository, routing: Routing, caller: Callable[..., ApiKey]
) -> APIRouter:
    router = APIRouter(tags=["department inbox"])
    Caller = Annotated[ApiKey, Depends(caller)]

    @router.get("/departments/{department}/requests")
    async def inbox(
        department: str, key: Caller, state: Literal["open", "all"] = "open"
    ) -> dict[str, Any]:
        """The department's coordination requests, newest first: open ones (requested or
        accepted) by default, `?state=all` for every one ever made. Its own department key;
        administrators read any department's."""
        require_department(key, Action.READ_INBOX, department)
        registry = (await routing.config.current()).registry
        if department not in registry.departments_by_code:
            raise HTTPException(404, f"routing has no department {department}")
        items = await repo.inbox(department, open_only=state == "open")
        return {
            "department": department,
            "state": state,
            "requests": [dataclasses.asdict(item) for item in items],
        }

    @router.post(
        "/cases/{case_id}/coordination/{department}/reply", status_code=status.HTTP_202_ACCEPTED
    )
    async def reply(case_id: str, department: str, body: ReplyBody, key: Caller) -> dict[str, Any]:
        """Accept, decline (with a reason) or answer the case's request to the department,
        with that department's key. Sent as CoordinationAccepted / Declined / Answered on
        horizontal.replies; 409 when nothing is asked of the department or the request is
        already final."""
        require_department(key, Action.REPLY, department)
        reason = (body.reason or "").strip()
        answer = (body.answer or "").strip()
        if body.decision is Reply.DECLINE and not reason:
            raise _missing("reason", "a decline needs a reason")
        if body.decision is Reply.ANSWER and not answer:
            raise _missing("answer", "an answer needs its text")
        try:
            event_id = await routing.reply(
                case_id,
                department,
                body.decision,
                by=key.holder or f"{department} console",
                reason=reason or None,
                answer=answer or None,
            )
        except CaseNotFound as exc:
            raise HTTPException(404, f"routing has no case {case_id}") from exc
        except ReplyRefused as exc:
            raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from exc
        return {
            "event_id": event_id,
            "case_id": case_id,
            "department": department,
            "decision": body.decision.value,
        }

    return router
