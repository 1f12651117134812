"""Internal API for the notification service: how to reach one party of one case.

Only a key with the ``notifier`` role may call it, and that role may call nothing else.
Notification fetches a contact at send time and keeps none of it; the answer is never
cached (``Cache-Control: no-store``).
"""

from typing import Annotated, Any

from concord_shared.enums import FILERS, Language
from fastapi import APIRouter, Depends, HTTPException, Response, status
from pydantic import BaseModel, Field

from concord_intake.domain.access import Action, ApiKey
from concord_intake.domain.cases import CaseRecord
from concord_intake.entrypoints.auth import require
from concord_intake.handlers import Intake

MAX_CONTACTS = 500  # parties per request


class Contact(BaseModel):
    party_ref: str
    phone: str | None
    email: str | None
    language: Language
    notify_by: str | None
    # The two things a citizen looks the case up with, for the party who filed it (its
    # receipt notice names them); notification puts them in the text it sends and keeps
    # neither. None for the other parties: a respondent is not the case's owner.
    receipt_number: str | None = None
    verification_code: str | None = None


class PartyOfCase(BaseModel):
    case_id: str = Field(max_length=64)
    party_ref: str = Field(max_length=64)


class ContactsWanted(BaseModel):
    parties: list[PartyOfCase] = Field(max_length=MAX_CONTACTS)


class ContactOfCase(BaseModel):
    case_id: str
    contact: Contact | None  # None: no such party in this case


class ContactsFound(BaseModel):
    contacts: list[ContactOfCase]


def _contact(record: CaseRecord | None, party_ref: str) -> Contact | None:
    party = next((p for p in record.parties if p.ref == party_ref), None) if record else None
    if record is None or party is None:
        return None
    owner = party.role in FILERS
    return Contact(
        party_ref=party.ref,
        phone=party.phone,
        email=party.email,
        language=record.language,
        notify_by=party.notify_by,
        receipt_number=record.receipt_number if owner else None,
        verification_code=record.verification_code if owner else None,
    )


def contacts_router(intake: Intake, api_key: Any) -> APIRouter:
    router = APIRouter(tags=["internal"], include_in_schema=True)
    Caller = Annotated[ApiKey, Depends(api_key)]

    @router.get("/internal/cases/{case_id}/parties/{party_ref}/contact", response_model=Contact)
    async def contact(case_id: str, party_ref: str, caller: Caller, response: Response) -> Contact:
        """How to reach a party of a case (for the notification service only)."""
        require(caller, Action.READ_CONTACT, "")
        response.headers["Cache-Control"] = "no-store"
        found = _contact(await intake.repo.get(case_id), party_ref)
        if found is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, "no such party in this case")
        return found

    @router.post("/internal/contacts", response_model=ContactsFound)
    async def contacts(wanted: ContactsWanted, caller: Caller, response: Response) -> Any:
        """How to reach many parties at once: one request for a batch of notices, in the
        order asked (for the notification service only)."""
        require(caller, Action.READ_CONTACT, "")
        response.headers["Cache-Control"] = "no-store"
        records = await intake.repo.get_many({p.case_id for p in wanted.parties})
        return ContactsFound(
            contacts=[
                ContactOfCase(
                    case_id=p.case_id, contact=_contact(records.get(p.case_id), p.party_ref)
                )
                for p in wanted.parties
            ]
        )

    return router
