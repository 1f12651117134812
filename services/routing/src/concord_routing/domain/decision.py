"""Where a case goes: level, platform, desk and departments, with the rule that said so.

"Resolve it locally, escalate only what must be escalated": simple neighbour and family
matters start at the village; collective matters, high-severity early warnings and repeats go
up a level; legal_service goes to the legal-service desk; and a case never falls nowhere --
the fallback is the township's reception desk, then the county's.
"""

from dataclasses import dataclass, field

from concord_shared.enums import CaseKind, Desk, Level, Severity
from concord_shared.registry import Platform, Registry

RULESET_VERSION = "builtin-1"


@dataclass(frozen=True)
class CaseFacts:
    """What routing knows of a case: no personal data."""

    kind: CaseKind
    category: str
    area_code: str
    severity: Severity
    party_count: int
    collective: bool
    repeat: bool


@dataclass(frozen=True)
class Decision:
    level: Level
    platform: str
    desk: Desk
    lead_department: str | None
    co_departments: list[str] = field(default_factory=list)
    rule_id: str = ""
    ruleset_version: str = RULESET_VERSION
    reason: str = ""


def _starting_level(facts: CaseFacts, registry: Registry) -> tuple[Level, str, str]:
    category = registry.categories_by_code.get(facts.category)
    if facts.kind is CaseKind.EARLY_WARNING and facts.severity is Severity.HIGH:
        return Level.COUNTY, "level.high-severity-warning", "high-severity early warning"
    base = Level.VILLAGE if category is not None and category.simple else Level.TOWNSHIP
    why = "simple matter starts at the village" if base is Level.VILLAGE else "township handles"
    if facts.collective or facts.repeat or facts.party_count >= 5:
        up = base.parent() or base
        flags = [n for n, v in (("collective", facts.collective), ("repeat", facts.repeat)) if v]
        flags += ["many parties"] if facts.party_count >= 5 else []
        return up, "level.up-one", f"{', '.join(flags)}: one level up from {base}"
    return base, "level.simple" if base is Level.VILLAGE else "level.default", why


def _platform_at(registry: Registry, area_code: str, level: Level) -> Platform | None:
    local = registry.platform_for_area(area_code)
    if local is None:
        return None
    return registry.ancestor_at(local.code, level)


def decide(
    facts: CaseFacts, registry: Registry, *, exclude_departments: frozenset[str] = frozenset()
) -> Decision:
    level, rule_id, reason = _starting_level(facts, registry)
    desk = Desk.LEGAL_SERVICE if facts.kind is CaseKind.LEGAL_SERVICE else Desk.MEDIATION
    if facts.kind is CaseKind.EARLY_WARNING:
        desk = Desk.EARLY_WARNING
    platform = _platform_at(registry, facts.area_code, level)
    if platform is None or desk not in platform.desks:
        # Never nowhere: the township's reception desk, then the county's.
        fallback = _platform_at(registry, facts.area_code, Level.TOWNSHIP) or registry.county()
        platform, desk, rule_id = fallback, Desk.RECEPTION, "fallback.reception"
        reason = f"no {level} platform with the desk for area {facts.area_code}; reception"
    departments = [
        d.code
        for d in registry.departments_for(facts.category, facts.area_code)
        if d.code not in exclude_departments
    ]
    return Decision(
        level=platform.level,
        platform=platform.code,
        desk=desk,
        lead_department=departments[0] if departments else None,
        co_departments=departments[1:],
        rule_id=rule_id,
        reason=reason,
    )
