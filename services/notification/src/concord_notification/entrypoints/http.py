"""Notification's API: the delivery log of a case."""

from typing import Any

from fastapi import APIRouter

from concord_notification.adapters.delivery_log import DeliveryLog


def deliveries_router(deliveries: DeliveryLog) -> APIRouter:
    router = APIRouter(tags=["deliveries"])

    @router.get("/cases/{case_id}/deliveries")
    async def for_case(case_id: str) -> list[dict[str, Any]]:
        """What went to whom, when, by which channel, with what result."""
        return await deliveries.for_case(case_id)

    return router
