"""What the security tests tried, summed up in `make test`'s `security:` line.

Tests record each endpoint tried with each key, each bad input sent, and each topic a
department's credentials could or could not read; the summary is printed whatever the outcome.
"""

from dataclasses import dataclass, field


@dataclass
class SecurityTally:
    endpoint_checks: int = 0  # (endpoint, key) pairs tried
    bad_inputs: int = 0
    server_errors: list[str] = field(default_factory=list)  # every 5xx seen, with its request
    # department -> topics its credentials could read (should be its own only)
    readable_by_department: dict[str, set[str]] = field(default_factory=dict)

    def endpoint(self, what: str, status: int) -> None:
        self.endpoint_checks += 1
        self._status(what, status)

    def bad_input(self, what: str, status: int) -> None:
        self.bad_inputs += 1
        self._status(what, status)

    def _status(self, what: str, status: int) -> None:
        if status >= 500:
            self.server_errors.append(f"{status} {what}")

    def readable(self, department: str, topic: str) -> None:
        self.readable_by_department.setdefault(department, set()).add(topic)

    def lines(self) -> list[str]:
        if not (self.endpoint_checks or self.bad_inputs or self.readable_by_department):
            return []
        topics = "; ".join(
            f"{dept}: {', '.join(sorted(t)) or 'none'}"
            for dept, t in sorted(self.readable_by_department.items())
        )
        out = [
            f"security: endpoints x keys tried={self.endpoint_checks} "
            f"bad inputs tried={self.bad_inputs} 5xx seen={len(self.server_errors)} "
            f"topics readable by a department: {topics or 'not tried'}"
        ]
        out.extend(f"  5xx: {e}" for e in self.server_errors[:20])
        return out


SECURITY = SecurityTally()
