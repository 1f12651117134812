"""Deadlines of a case at a platform."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from concord_shared.enums import CaseKind, Severity


@dataclass(frozen=True)
class DeadlinePolicy:
    acceptance_days: int = 15
    handling_days: int = 60
    high_severity_warning_hours: int = 4

    def acceptance_due(self, kind: CaseKind, severity: Severity, received: datetime) -> datetime:
        if kind is CaseKind.EARLY_WARNING and severity is Severity.HIGH:
            return received + timedelta(hours=self.high_severity_warning_hours)
        return received + timedelta(days=self.acceptance_days)

    def handling_due(self, kind: CaseKind, severity: Severity, received: datetime) -> datetime:
        if kind is CaseKind.EARLY_WARNING and severity is Severity.HIGH:
            return received + timedelta(hours=self.high_severity_warning_hours * 6)
        return received + timedelta(days=self.handling_days)
