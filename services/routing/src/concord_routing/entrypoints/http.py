"""Routing's API: why did this case go there?"""

from typing import Any

from fastapi import APIRouter, HTTPException

from concord_routing.adapters.repository import RouteRepository


def routes_router(repo: RouteRepository) -> APIRouter:
    router = APIRouter(tags=["routing"])

    @router.get("/cases/{case_id}/routing")
    async def explain(case_id: str) -> dict[str, Any]:
        """Every routing decision for the case, with the rule, rule-set version and reason."""
        doc = await repo.get(case_id)
        if doc is None:
            raise HTTPException(404, f"routing has no case {case_id}")
        return {"case_id": case_id, "facts": doc.get("facts"), "decisions": doc.get("decisions")}

    return router
