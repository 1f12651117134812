"""What routing knows of a case: no personal data."""

from dataclasses import dataclass

from concord_shared.enums import CaseKind, Severity


@dataclass(frozen=True)
class CaseFacts:
    kind: CaseKind
    category: str
    area_code: str
    severity: Severity
    party_count: int
    collective: bool
    repeat: bool
