"""Mediation's API: a case at its platform, and a platform's queue."""

from typing import Any

from fastapi import APIRouter, HTTPException

from concord_mediation.adapters.repository import MediationRepository


def mediation_router(repo: MediationRepository) -> APIRouter:
    router = APIRouter(tags=["mediation"])

    @router.get("/cases/{case_id}")
    async def case(case_id: str) -> dict[str, Any]:
        doc = await repo.get(case_id)
        if doc is None:
            raise HTTPException(404, f"mediation has no case {case_id}")
        return {"case_id": doc.pop("_id"), **doc}

    @router.get("/platforms/{platform}/cases")
    async def queue(platform: str) -> list[dict[str, Any]]:
        return [{"case_id": d.pop("_id"), **d} for d in await repo.at_platform(platform)]

    return router
