"""Internal API for the notification service: how to reach one party of one case.

Only a key with the ``notifier`` role may call it, and that role may call nothing else.
Notification fetches a contact at send time and keeps none of it; the answer is never
cached (``Cache-Control: no-store``).
"""

from typing import Annotated, Any

from concord_shared.enums import Language
from fastapi import APIRouter, Depends, HTTPException, Response, status
from pydantic import BaseModel

from concord_intake.domain.access import Action, ApiKey
from concord_intake.entrypoints.auth import check
from concord_intake.handlers import Intake


class Contact(BaseModel):
    party_ref: str
    phone: str | None
    email: str | None
    language: Language
    notify_by: str | None


def contacts_router(intake: Intake, api_key: Any) -> APIRouter:
    router = APIRouter(tags=["internal"], include_in_schema=True)
    Caller = Annotated[ApiKey, Depends(api_key)]

    @router.get("/internal/cases/{case_id}/parties/{party_ref}/contact", response_model=Contact)
    async def contact(case_id: str, party_ref: str, caller: Caller, response: Response) -> Contact:
        """How to reach a party of a case (for the notification service only)."""
        check(caller, Action.READ_CONTACT, "")
        response.headers["Cache-Control"] = "no-store"
        record = await intake.repo.get(case_id)
        party = next((p for p in record.parties if p.ref == party_ref), None) if record else None
        if record is None or party is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, "no such party in this case")
        return Contact(
            party_ref=party.ref,
            phone=party.phone,
            email=party.email,
            language=record.language,
            notify_by=party.notify_by,
        )

    return router
