"""A case as mediation stores it, typed: what the case's rules (domain/case.py) read of it.
The document stays the store's; this is its typed reading, made once per change."""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from concord_shared.enums import CaseKind, CaseStatus, Language, Level, PartyRole, Severity


@dataclass(frozen=True)
class Party:
    ref: str  # intake's pseudonymous reference: never a name or a number
    role: PartyRole | None


@dataclass(frozen=True)
class StoredCase:
    case_id: str
    platform: str
    level: Level
    status: CaseStatus
    kind: CaseKind
    category: str
    severity: Severity
    language: Language
    desk: str
    mediator: str | None = None
    paused_from: CaseStatus | None = None
    closed_at: datetime | None = None
    probable_repeat_of: str | None = None
    has_feedback: bool = False
    parties: tuple[Party, ...] = ()
    sessions: tuple[dict[str, Any], ...] = ()
    history: tuple[dict[str, Any], ...] = field(default=(), repr=False)

    @classmethod
    def of(cls, doc: dict[str, Any]) -> "StoredCase":
        def role(value: Any) -> PartyRole | None:
            return PartyRole(value) if value in PartyRole._value2member_map_ else None

        return cls(
            case_id=str(doc["_id"]),
            platform=str(doc["platform"]),
            level=Level(doc["level"]),
            status=CaseStatus(doc["status"]),
            kind=CaseKind(doc["kind"]),
            category=str(doc["category"]),
            severity=Severity(doc.get("severity", Severity.LOW)),
            language=Language(doc.get("language", Language.ZH)),
            desk=str(doc.get("desk", "mediation")),
            mediator=doc.get("mediator"),
            paused_from=CaseStatus(doc["paused_from"]) if doc.get("paused_from") else None,
            closed_at=doc.get("closed_at"),
            probable_repeat_of=doc.get("probable_repeat_of"),
            has_feedback=bool(doc.get("feedback")),
            parties=tuple(Party(p["ref"], role(p.get("role"))) for p in doc.get("parties", [])),
            sessions=tuple(doc.get("sessions", [])),
            history=tuple(doc.get("history", [])),
        )
