"""What a case submission must look like, whichever channel brings it to intake.

Published as a contract (the integration topic carries it inside ``SubmitCase``), so the
field rules -- formats, lengths, Unicode -- live here. Rules that need the registry (area
codes, categories, platforms) are intake's, checked before anything is stored.

This is the one model that carries personal data: it flows only into intake.
"""

import re
import unicodedata
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, HttpUrl, model_validator

from concord_shared.enums import CaseKind, Channel, Language, PartyRole, Severity

_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_LANDLINE = re.compile(r"^0\d{2,3}\d{7,8}$")
_ID_NUMBER = re.compile(r"^\d{17}[\dX]$")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def normalise_phone(raw: str) -> str:
    digits = re.sub(r"[\s\-()]", "", raw)
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    if not (_MOBILE.match(digits) or _LANDLINE.match(digits)):
        raise ValueError("not a mainland mobile (11 digits, 1[3-9]…) or landline (0…) number")
    return digits


_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")


def normalise_email(raw: str) -> str:
    value = raw.strip()
    if len(value) > 254 or not _EMAIL.match(value):
        raise ValueError("not an e-mail address (local@domain.tld)")
    return value


def normalise_id_number(raw: str) -> str:
    value = raw.strip().upper()
    if not _ID_NUMBER.match(value):
        raise ValueError("a resident identity number has 17 digits and a digit or X")
    total = sum(int(d) * w for d, w in zip(value[:17], _ID_WEIGHTS, strict=True))
    if _ID_CHECK[total % 11] != value[17]:
        raise ValueError("the check digit of the identity number does not match")
    return value


def clean_text(raw: str) -> str:
    """NFC-normalise and refuse control characters (other than newlines and tabs)."""
    text = unicodedata.normalize("NFC", raw).strip()
    bad = [c for c in text if unicodedata.category(c) == "Cc" and c not in "\n\t\r"]
    if bad:
        raise ValueError("contains control characters")
    if not text:
        raise ValueError("must not be empty")
    return text


Text = Annotated[str, AfterValidator(clean_text)]


class PartyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[Text, Field(max_length=100)]
    phone: Annotated[str, AfterValidator(normalise_phone)] | None = None
    id_number: Annotated[str, AfterValidator(normalise_id_number)] | None = None
    role: PartyRole = PartyRole.APPLICANT
    email: Annotated[str, AfterValidator(normalise_email)] | None = None
    notify_by: Literal["sms", "email"] | None = Field(
        default=None, description="How the party prefers to be told; default: SMS if a phone."
    )


class LocationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    area_code: Annotated[str, Field(pattern=r"^\d{6,12}$")] | None = None
    lat: Annotated[float, Field(ge=-90, le=90)] | None = None
    lon: Annotated[float, Field(ge=-180, le=180)] | None = None
    address: Annotated[Text, Field(max_length=300)] | None = None

    @model_validator(mode="after")
    def _needs_a_place(self) -> "LocationIn":
        if self.area_code is None and (self.lat is None or self.lon is None):
            raise ValueError("give an area_code, or both lat and lon")
        if (self.lat is None) != (self.lon is None):
            raise ValueError("lat and lon go together")
        return self


def lone_surrogates(value: Any, path: str = "") -> list[str]:
    """Where the raw input holds a lone surrogate (JSON's "\\ud800"): such a string is not
    Unicode and cannot be stored or sent on; refused at validation, before anything is kept."""
    if isinstance(value, str):
        return [path or "value"] if _SURROGATE.search(value) else []
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in lone_surrogates(v, f"{path}.{k}".strip("."))]
    if isinstance(value, list):
        return [
            p for i, v in enumerate(value) for p in lone_surrogates(v, f"{path}.{i}".strip("."))
        ]
    return []


_SURROGATE = re.compile("[\ud800-\udfff]")


class CaseSubmission(BaseModel):
    """A case as reception staff, a citizen or another system submits it."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _valid_unicode(cls, data: Any) -> Any:
        if found := lone_surrogates(data):
            raise ValueError(f"lone surrogates (not valid Unicode) in: {', '.join(found)}")
        return data

    kind: CaseKind
    channel: Channel
    platform: Annotated[str, Field(pattern=r"^\d{6,12}$", description="Receiving platform.")]
    category: Annotated[str, Field(max_length=64)]
    description: Annotated[Text, Field(min_length=5, max_length=5000)]
    location: LocationIn
    parties: Annotated[list[PartyIn], Field(min_length=1, max_length=500)]
    attachments: Annotated[list[HttpUrl], Field(max_length=20)] = []
    severity: Severity = Severity.LOW
    language: Language = Language.ZH
    non_reception_place: bool = Field(
        default=False,
        description="A petition made somewhere other than a reception office (at a "
        "government compound, say): what the fourth of the four decreases counts. A fact "
        "about the visit, never a mark on the person.",
    )
