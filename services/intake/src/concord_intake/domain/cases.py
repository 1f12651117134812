"""A registered case as intake keeps it, and what the rest of the platform may know of it."""

from datetime import datetime
from typing import Any

from concord_shared.enums import (
    FILERS,
    CaseKind,
    CaseStatus,
    Channel,
    Language,
    Level,
    PartyRole,
    Severity,
)
from concord_shared.events import CaseReceived, Coordinates, PartyRef
from concord_shared.redaction import redact
from concord_shared.submission import CaseSubmission, LocationIn, PartyIn
from pydantic import BaseModel

from concord_intake.domain.identity import case_party_ref, party_ref

# Of an early warning, every party but its filers is a third person it names.


class StoredParty(BaseModel):
    """Personal data: lives only in intake's store."""

    ref: str
    role: PartyRole
    name: str
    phone: str | None = None
    id_number: str | None = None
    email: str | None = None
    notify_by: str | None = None  # "sms" or "email": how the party prefers to be told


class PublicStatus(BaseModel):
    """What a citizen sees with the receipt number and verification code: no internal notes."""

    status: CaseStatus = CaseStatus.RECEIVED
    level: Level | None = None
    platform: str | None = None
    department: str | None = None
    acceptance_due: datetime | None = None
    handling_due: datetime | None = None
    updated_at: datetime


class PublicRow(BaseModel):
    """What a listing of requests shows of a case (Open311): no personal data, no text;
    kept beside the listing's index so a day's list is read without its cases."""

    case_id: str
    receipt_number: str
    kind: CaseKind
    platform: str
    category: str
    received_at: datetime
    public: PublicStatus


class CaseRecord(PublicRow):
    verification_code: str
    channel: Channel
    description: str
    location: LocationIn
    parties: list[StoredParty]
    attachments: list[str]
    severity: Severity
    language: Language
    source_system: str | None = None
    source_ref: str | None = None
    repeat_of: str | None = None
    probable_repeat_of: str | None = None  # for staff to confirm or reject
    repeat_review: dict[str, Any] | None = None  # what staff said of it, and when
    collective: bool = False
    collective_group: str | None = None
    # Early warnings on one place and category within a window: a situation, not a person.
    situation_group: str | None = None
    non_reception_place: bool = False


def register(
    submission: CaseSubmission,
    *,
    case_id: str,
    receipt: str,
    code: str,
    pseudonym_key: str,
    now: datetime,
    source_system: str | None = None,
    source_ref: str | None = None,
) -> CaseRecord:
    parties = [
        StoredParty(
            ref=_ref(submission.kind, p, pseudonym_key, case_id, i),
            role=p.role,
            name=p.name,
            phone=p.phone,
            id_number=p.id_number,
            email=p.email,
            notify_by=p.notify_by,
        )
        for i, p in enumerate(submission.parties)
    ]
    return CaseRecord(
        case_id=case_id,
        receipt_number=receipt,
        verification_code=code,
        kind=submission.kind,
        channel=submission.channel,
        platform=submission.platform,
        category=submission.category,
        description=submission.description,
        location=submission.location,
        parties=parties,
        attachments=[str(a) for a in submission.attachments],
        severity=submission.severity,
        language=submission.language,
        received_at=now,
        source_system=source_system,
        source_ref=source_ref,
        non_reception_place=submission.non_reception_place,
        public=PublicStatus(updated_at=now),
    )


def _ref(kind: CaseKind, party: PartyIn, key: str, case_id: str, index: int) -> str:
    """A person's stable pseudonym, except for a third person an early warning names: one
    that holds for this case only, so no service can follow that person across reports."""
    if kind is CaseKind.EARLY_WARNING and party.role not in FILERS:
        return case_party_ref(key, case_id, index)
    return party_ref(
        key, phone=party.phone, id_number=party.id_number, fallback=f"{case_id}:{index}"
    )


def summary(record: CaseRecord) -> str:
    """The description as it may leave intake: the parties' names, the place's address and
    every phone number, identity number and e-mail address replaced by markers."""
    return redact(
        record.description,
        names=[p.name for p in record.parties],
        addresses=[record.location.address],
    )


def case_received(record: CaseRecord) -> CaseReceived:
    """The event the platform learns of the case by: pseudonyms, no personal data."""
    loc = record.location
    return CaseReceived(
        receipt_number=record.receipt_number,
        kind=record.kind,
        channel=record.channel,
        category=record.category,
        received_at_platform=record.platform,
        area_code=loc.area_code or record.platform,
        coordinates=Coordinates(lat=round(loc.lat, 3), lon=round(loc.lon, 3))
        if loc.lat is not None and loc.lon is not None
        else None,
        severity=record.severity,
        summary=summary(record),
        parties=[PartyRef(ref=p.ref, role=p.role) for p in record.parties],
        party_count=len(record.parties),
        language=record.language,
        repeat_of=record.repeat_of,
        probable_repeat_of=record.probable_repeat_of,
        collective=record.collective,
        collective_group=record.collective_group,
        situation_group=record.situation_group,
        source_system=record.source_system,
        non_reception_place=record.non_reception_place,
    )
