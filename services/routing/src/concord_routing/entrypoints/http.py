"""Routing's API: why did this case go there; recategorise a case; change the rules and the
registry at runtime (administrators, audited)."""

import dataclasses
from collections.abc import Callable
from typing import Annotated, Any

import yaml
from concord_shared.api_keys import forbidden
from fastapi import APIRouter, Depends, HTTPException, Request, Response, status
from pydantic import BaseModel, Field

from concord_routing.adapters.config_store import ConfigStore
from concord_routing.adapters.repository import RouteRepository
from concord_routing.domain.access import Action, ApiKey, CaseScope, case_view
from concord_routing.domain.config import ChangeRefused
from concord_routing.domain.views import routing_body
from concord_routing.entrypoints.auth import require
from concord_routing.handlers import CaseNotFound, ConfigConflict, Routing


class Recategorisation(BaseModel):
    category: str = Field(min_length=1, description="The category code the case belongs to.")
    reason: str = Field(min_length=1, max_length=500, description="Why, for the handlers.")


async def _document(request: Request) -> Any:
    """A JSON or YAML body (rules are usually written in YAML)."""
    body = await request.body()
    try:
        return yaml.safe_load(body)  # YAML is a superset of JSON
    except yaml.YAMLError as exc:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT, f"body: not JSON or YAML: {exc}"
        ) from exc


def routes_router(
    repo: RouteRepository,
    routing: Routing,
    store: ConfigStore,
    caller: Callable[..., ApiKey],
) -> APIRouter:
    router = APIRouter(tags=["routing"])
    Caller = Annotated[ApiKey, Depends(caller)]

    @router.get("/cases/{case_id}/routing")
    async def explain(case_id: str, key: Caller) -> dict[str, Any]:
        """Every routing decision for the case, with the rule, rule-set version and reason,
        and every department that declined it. Administrators: any case; staff: cases that
        are or were at their platform or one below it; auditors: any case, without the
        reasons and who declined (free text)."""
        doc = await repo.get(case_id)
        if doc is None:
            raise HTTPException(404, f"routing has no case {case_id}")
        routed_to = [d["platform"] for d in doc.get("decisions", [])]
        if doc.get("current"):
            routed_to.append(doc["current"]["platform"])
        # The registry in force: a platform added or moved at runtime is supervised at once.
        registry = (await routing.config.current()).registry
        view = case_view(key, CaseScope.of(routed_to), registry)
        if view is None:
            raise forbidden()
        return routing_body(case_id, doc, view)

    @router.post("/cases/{case_id}/recategorise")
    async def recategorise(case_id: str, body: Recategorisation, key: Caller) -> dict[str, Any]:
        stored = await repo.load(case_id)
        if stored is None:
            raise HTTPException(404, f"routing has no case {case_id}")
        require(key, Action.RECATEGORISE, stored.route.current.platform)
        try:
            decision = await routing.recategorise(case_id, body.category, body.reason, key.holder)
        except ChangeRefused as exc:
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from exc
        except CaseNotFound as exc:
            raise HTTPException(404, f"routing has no case {case_id}") from exc
        return {"case_id": case_id, "decision": dataclasses.asdict(decision)}

    @router.get("/registry")
    async def registry(request: Request, response: Response) -> Any:
        """The registry in force (categories, areas, platforms, departments): public, as a
        county's list of its platforms is; the one source intake and the console read.
        Conditional on its ETag (304 when unchanged)."""
        current = await routing.config.current()
        etag = f'"registry-{current.revision}"'
        if request.headers.get("if-none-match") == etag:
            return Response(status_code=status.HTTP_304_NOT_MODIFIED, headers={"ETag": etag})
        response.headers["ETag"] = etag
        return {"revision": current.revision, "registry": current.registry.model_dump(mode="json")}

    @router.get("/admin/config")
    async def config(key: Caller) -> dict[str, Any]:
        """The rules and registry in force, with their revision."""
        require(key, Action.READ_CONFIG)
        current = await routing.config.current(fresh=True)
        registry, rules = await store.content_of(current)
        return {"revision": current.revision, "rules": rules, "registry": registry}

    @router.put("/admin/rules")
    async def put_rules(
        key: Caller, document: Annotated[Any, Depends(_document)], note: str = ""
    ) -> dict[str, Any]:
        """Replace the rule set; refused with the reason if it is not valid."""
        return await _change("rules", document, key, note)

    @router.put("/admin/registry")
    async def put_registry(
        key: Caller, document: Annotated[Any, Depends(_document)], note: str = ""
    ) -> dict[str, Any]:
        """Replace the registry; new departments get their topic at once."""
        return await _change("registry", document, key, note)

    async def _change(part: str, document: Any, key: ApiKey, note: str) -> dict[str, Any]:
        require(key, Action.CHANGE_CONFIG)
        try:
            new = await routing.change(part, document, key.holder or key.role, note)
        except ChangeRefused as exc:
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from exc
        except ConfigConflict as exc:
            raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from exc
        return {
            "revision": new.revision,
            "rules_version": new.rules.version,
            "registry_version": new.registry.version,
        }

    @router.get("/admin/audit")
    async def audit(key: Caller, limit: int = 50) -> list[dict[str, Any]]:
        """Every change of the rules or registry, newest first: who, when, before, after."""
        require(key, Action.READ_CONFIG)
        return [change.__dict__ for change in await store.changes(limit=min(limit, 500))]

    return router
