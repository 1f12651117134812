"""Where a recipient is reached.

Citizens: asked of intake (the only holder of personal data) at each attempt, used, and
forgotten; nothing of it is stored or logged here. Staff and departments' fallback
addresses: a small directory of work addresses (deploy/sample/contacts.yaml).
"""

from pathlib import Path
from typing import Any

import httpx
import yaml
from concord_shared.enums import Language, RecipientKind
from pydantic import BaseModel


class ContactUnavailable(ConnectionError):
    """Intake did not answer: try again later (the consumer treats it as transient)."""


class CitizenContact(BaseModel):
    phone: str | None = None
    email: str | None = None
    language: Language = Language.ZH
    notify_by: str | None = None
    receipt_number: str | None = None  # the filer's: put in the text sent, never stored
    verification_code: str | None = None


CONTACTS_PER_REQUEST = 200


# Contacts fetched for a batch of notices, by (case id, party reference); None: no such
# party. Held in memory for the batch only.
KnownContacts = dict[tuple[str, str], CitizenContact | None]


class IntakeContacts:
    def __init__(self, base_url: str, api_key: str, timeout_s: float = 5.0) -> None:
        self._client = httpx.AsyncClient(
            base_url=base_url, headers={"X-API-Key": api_key}, timeout=timeout_s
        )

    async def _ask(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """One request to intake; ContactUnavailable when intake does not answer."""
        try:
            return await self._client.request(method, path, **kwargs)
        except httpx.TransportError:
            # Once more: a pooled connection the server just closed is not an outage.
            try:
                return await self._client.request(method, path, **kwargs)
            except httpx.HTTPError as exc:
                raise ContactUnavailable(f"intake unreachable: {type(exc).__name__}") from exc
        except httpx.HTTPError as exc:
            raise ContactUnavailable(f"intake unreachable: {type(exc).__name__}") from exc

    async def contact(self, case_id: str, party_ref: str) -> CitizenContact | None:
        response = await self._ask("GET", f"/internal/cases/{case_id}/parties/{party_ref}/contact")
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise ContactUnavailable(f"intake answered {response.status_code}")
        return CitizenContact.model_validate(response.json())

    async def contacts(self, parties: list[tuple[str, str]]) -> KnownContacts:
        """Many (case id, party reference) at once: one request for a batch of notices
        (an HTTP round trip cost notification half its CPU when made for each)."""
        found: KnownContacts = {}
        for start in range(0, len(parties), CONTACTS_PER_REQUEST):
            chunk = parties[start : start + CONTACTS_PER_REQUEST]
            body = {"parties": [{"case_id": c, "party_ref": r} for c, r in chunk]}
            response = await self._ask("POST", "/internal/contacts", json=body)
            if response.status_code != 200:
                raise ContactUnavailable(f"intake answered {response.status_code}")
            for (case_id, ref), item in zip(chunk, response.json()["contacts"], strict=True):
                contact = item["contact"]
                found[(case_id, ref)] = CitizenContact.model_validate(contact) if contact else None
        return found

    async def close(self) -> None:
        await self._client.aclose()


class StaffContact(BaseModel):
    email: str
    language: Language = Language.ZH


class Directory(BaseModel):
    """Work addresses of mediators and leaders, and each department's fallback address
    (told when its webhook is paused, or used when it has no webhook)."""

    mediators: dict[str, StaffContact] = {}
    leaders: dict[str, StaffContact] = {}
    departments: dict[str, StaffContact] = {}

    def staff(self, kind: RecipientKind, ref: str) -> StaffContact | None:
        """The work address of a mediator, a leader or a department; None if not listed.
        A platform's leader on duty (`leader:<platform>`) not listed is its parent's:
        platform codes nest, a village's code starting with its township's."""
        if kind is RecipientKind.MEDIATOR:
            return self.mediators.get(ref)
        if kind is RecipientKind.DEPARTMENT:
            return self.departments.get(ref)
        if kind is not RecipientKind.LEADER:
            return None
        found = self.leaders.get(ref)
        prefix, _, code = ref.partition(":")
        while found is None and prefix == "leader" and len(code) > 6:
            code = code[:-3]
            found = self.leaders.get(f"leader:{code}")
        return found

    @classmethod
    def load(cls, path: Path) -> "Directory":
        if not path.is_file():
            return cls()
        return cls.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")) or {})
