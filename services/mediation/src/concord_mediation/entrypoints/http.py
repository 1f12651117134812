"""Mediation's API: cases and their workflow, mediators, ratings and indicators."""

from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from concord_shared.enums import CaseKind
from concord_shared.registry import Registry
from fastapi import APIRouter, Body, Depends, HTTPException, Query, Request, Response
from fastapi.exceptions import RequestValidationError

from concord_mediation.adapters.locks import LockTimeout
from concord_mediation.adapters.repository import MediationRepository
from concord_mediation.domain import commands as c
from concord_mediation.domain.access import (
    ApiKey,
    CaseScope,
    Right,
    View,
    case_view,
    may_see_platform,
    permits,
)
from concord_mediation.domain.periods import Period
from concord_mediation.domain.views import case_body, minimised_sessions
from concord_mediation.domain.views import sessions as sessions_of
from concord_mediation.domain.workflow import TransitionRefused, allowed_actions
from concord_mediation.entrypoints.auth import authenticated, forbidden, require
from concord_mediation.queues import Mark, Queues
from concord_mediation.reports import Reports
from concord_mediation.workflow import Workflow

T = TypeVar("T")

# A queue's page: what the console shows at once and more; the largest one answers in a few
# hundred ms on the local store (0.4 ms a case), so a client pages rather than asks for all.
DEFAULT_PAGE = 100
MAX_PAGE = 1000


async def _guard(call: Any) -> dict[str, Any]:
    try:
        result: dict[str, Any] = await call
    except TransitionRefused as exc:
        raise HTTPException(409, exc.message) from exc
    except c.Refused as exc:
        raise HTTPException(409, exc.message) from exc
    except c.NotFound as exc:
        raise HTTPException(404, f"not found: {exc}") from exc
    except c.Forbidden as exc:
        raise HTTPException(403, "not permitted") from exc
    except LockTimeout as exc:
        raise HTTPException(
            503, "the case is busy; try again", headers={"Retry-After": "1"}
        ) from exc
    except c.InvalidInput as exc:
        raise RequestValidationError(
            [{"loc": ("body", exc.field), "msg": exc.message, "type": "value_error"}]
        ) from exc
    return result


def mediation_router(
    repo: MediationRepository,
    workflow: Workflow,
    reports: Reports,
    keys: dict[str, ApiKey],
    registry: Registry,
    queues: Queues,
) -> APIRouter:
    router = APIRouter(tags=["mediation"])
    Key = Annotated[ApiKey, Depends(authenticated(keys))]

    def scope(doc: dict[str, Any]) -> CaseScope:
        return CaseScope(
            platform=doc["platform"],
            ancestors=registry.ancestors(doc["platform"]),
            early_warning=doc.get("kind") == CaseKind.EARLY_WARNING,
        )

    async def readable(case_id: str, key: ApiKey) -> tuple[dict[str, Any], View]:
        doc = await repo.get(case_id)
        if doc is None:
            raise HTTPException(404, f"mediation has no case {case_id}")
        view = case_view(key, scope(doc))
        if view is None:
            raise forbidden()
        return doc, view

    def platform_visible(key: ApiKey, platform: str) -> None:
        if not may_see_platform(key, platform, registry.ancestors(platform)):
            raise forbidden()

    @router.get("/cases/{case_id}")
    async def case(case_id: str, key: Key) -> dict[str, Any]:
        """The case at its platform: status, deadlines, history; no internal minutes.
        Staff of the platform or above, supervisors: all of it; auditors: minimised."""
        doc, view = await readable(case_id, key)
        body = case_body(doc, view)
        body["allowed_actions"] = [a.value for a in allowed_actions(doc["status"])]
        return body

    @router.get("/platforms/{platform}/cases")
    async def queue(
        platform: str,
        key: Key,
        request: Request,
        response: Response,
        include_below: Annotated[
            bool, Query(description="also the cases of the platforms below this one")
        ] = False,
        attention: Annotated[
            bool,
            Query(description="only open cases of high severity or past a running deadline"),
        ] = False,
        limit: Annotated[
            int, Query(ge=1, le=MAX_PAGE, description="at most this many cases on the page")
        ] = DEFAULT_PAGE,
        cursor: Annotated[
            str | None,
            Query(description="the page after the one whose `Link: rel=next` gave it"),
        ] = None,
    ) -> list[dict[str, Any]]:
        """A platform's cases, each as the key may see it (early warnings: its staff only):
        every case there not yet closed, newest first, then those closed there this month
        and the two months before. `include_below`: with the platforms below it (a
        leader's page); `attention`: only the open cases of high severity or past a
        running deadline. A page at a time, `limit` cases (100 unless asked); while more
        follow, the `Link` header's `rel="next"` is the next page's address."""
        platform_visible(key, platform)
        after = _query("cursor", Mark.decode, cursor) if cursor is not None else None
        page = await queues.cases(
            platform,
            include_below=include_below,
            attention=attention,
            limit=limit,
            after=after,
        )
        if page.next is not None:
            following = request.url.include_query_params(cursor=page.next.encode())
            response.headers["Link"] = f'<{following}>; rel="next"'
        shown = []
        for doc in page.cases:
            view = case_view(key, scope(doc))
            if view is not None:
                shown.append(case_body(doc, view))
        return shown

    @router.post("/cases/{case_id}/transitions")
    async def transition(
        case_id: str, command: Annotated[c.Command, Body()], key: Key
    ) -> dict[str, Any]:
        """Take a workflow action; 409 with the reason when the workflow does not allow it."""
        return case_body(await _guard(workflow.act(case_id, command, key)), View.FULL)

    @router.post("/cases/{case_id}/feedback")
    async def feedback(case_id: str, body: c.Feedback, key: Key) -> dict[str, Any]:
        """The citizen's say after closing, through the citizen's channel (an integration
        key) or a supervisor; not satisfied opens a review one level up."""
        require(key, Right.FEEDBACK, (await _case_platform(repo, case_id)))
        doc = await _guard(workflow.feedback(case_id, body, key))
        return case_body(doc, case_view(key, scope(doc)) or View.MINIMISED)

    @router.post("/cases/{case_id}/repeat")
    async def repeat(case_id: str, body: c.RepeatReview, key: Key) -> dict[str, Any]:
        """Confirm or reject the probable repeat intake flagged (`probable_repeat_of`: the
        same party on the same category and area, worded otherwise): the platform's staff
        decide; 409 when the case has none."""
        return case_body(await _guard(workflow.review_repeat(case_id, body, key)), View.FULL)

    @router.post("/cases/{case_id}/extension")
    async def extension(case_id: str, body: c.Extension, key: Key) -> dict[str, Any]:
        """The one extension of the handling deadline; the citizen is told."""
        return case_body(await _guard(workflow.extend(case_id, body, key)), View.FULL)

    @router.post("/cases/{case_id}/sessions/{session_id}/record")
    async def record(
        case_id: str, session_id: str, body: c.SessionRecord, key: Key
    ) -> dict[str, Any]:
        """Attendance and minutes (internal) of a session."""
        doc = await _guard(workflow.record_session(case_id, session_id, body, key))
        return case_body(doc, View.FULL)

    @router.get("/cases/{case_id}/sessions")
    async def sessions(case_id: str, key: Key) -> list[dict[str, Any]]:
        """Sessions with their minutes for the platform's staff and supervisors; without
        minutes for the levels above; auditors: when and who mediated, no place."""
        doc, view = await readable(case_id, key)
        if view is View.MINIMISED:
            return minimised_sessions(doc)
        return sessions_of(doc, with_minutes=permits(key, Right.READ_INTERNAL, doc["platform"]))

    @router.get("/mediators")
    async def mediators(platform: str, key: Key) -> list[dict[str, Any]]:
        """A platform's mediators with their load (open cases) and availability."""
        platform_visible(key, platform)
        loads = await workflow.loads(platform)
        away = await repo.unavailable_mediators()
        return [
            {
                **m.model_dump(mode="json"),
                "load": loads.get(m.ref, 0),
                "available": m.ref not in away,
            }
            for m in workflow.mediators
            if m.platform == platform
        ]

    @router.put("/mediators/{ref}/availability")
    async def availability(ref: str, body: c.Availability, key: Key) -> dict[str, Any]:
        """Mark a mediator (un)available; their open cases are reassigned."""
        require(key, Right.MANAGE)

        async def run() -> dict[str, Any]:
            return {
                "mediator": ref,
                "available": body.available,
                "reassigned": await workflow.set_availability(ref, body.available),
            }

        return await _guard(run())

    @router.get("/ratings")
    async def ratings(
        key: Key,
        period: Annotated[str, Query(description="2026-11 or 2026-Q4")],
        platform: str | None = None,
    ) -> list[dict[str, Any]]:
        """Star ratings per platform with the figures and rates they come from, and the
        policy they were scored with (formula, weights, star thresholds) on each row."""
        require(key, Right.READ_AGGREGATES)
        parsed = _query("period", Period.parse, period)
        policy = reports.policy.describe()
        return [
            {**r.model_dump(mode="json"), "policy": policy}
            for r in await reports.ratings(parsed, platform)
        ]

    @router.get("/indicators/four-decreases")
    async def decreases(
        key: Key,
        area: Annotated[str, Query(pattern=r"^[0-9]{6,12}$")],
        period: Annotated[str, Query(description="2026-11 or 2026-Q4")],
    ) -> dict[str, Any]:
        """The four decreases of an area against the period before: all cases, collective
        ones, repeats and petitions at non-reception places (`indicators`); and beside them
        the cases escalated (`also`)."""
        require(key, Right.READ_AGGREGATES)
        parsed = _query("period", Period.parse, period)
        four, also = await reports.four_decreases(area, parsed)
        return {
            "area": area,
            "period": str(parsed),
            "previous_period": str(parsed.previous()),
            "indicators": {k: v.model_dump() for k, v in four.items()},
            "also": {k: v.model_dump() for k, v in also.items()},
        }

    return router


def _query(name: str, parse: Callable[[str], T], text: str) -> T:
    """A query parameter parsed; what it is not, a 422 naming the parameter."""
    try:
        return parse(text)
    except ValueError as exc:
        raise RequestValidationError(
            [{"loc": ("query", name), "msg": str(exc), "type": "value_error"}]
        ) from exc


async def _case_platform(repo: MediationRepository, case_id: str) -> str:
    doc = await repo.get(case_id)
    if doc is None:
        raise HTTPException(404, f"mediation has no case {case_id}")
    return str(doc["platform"])
