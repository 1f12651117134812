"""Where a case goes: level, platform, desk and departments, with the rules that said so.

The rules are data (``domain/rules.py``, ``deploy/sample/rules.yaml``). A case never falls
nowhere: when no platform of the chosen level has the desk for its area, it goes to the
township's reception desk, then the county's.
"""

from dataclasses import dataclass, field

from concord_shared.enums import Desk, Level
from concord_shared.registry import Platform, Registry

from concord_routing.domain.facts import CaseFacts
from concord_routing.domain.rules import RuleSet

__all__ = ["CaseFacts", "Decision", "decide", "department_candidates"]


@dataclass(frozen=True)
class Decision:
    level: Level
    platform: str
    desk: Desk
    lead_department: str | None
    co_departments: list[str] = field(default_factory=list)
    rule_id: str = ""
    ruleset_version: str = ""
    reason: str = ""
    # Working days each department asked has to answer (rules' `answers`); None: no deadline.
    answer_working_days: int | None = None


def _platform_at(registry: Registry, area_code: str, level: Level) -> Platform | None:
    local = registry.platform_for_area(area_code)
    if local is None:
        return None
    return registry.ancestor_at(local.code, level)


def decide(
    facts: CaseFacts,
    registry: Registry,
    rules: RuleSet,
    *,
    exclude_departments: frozenset[str] = frozenset(),
) -> Decision:
    level_rule = RuleSet.first(rules.levels, facts, registry)
    level, rule_id, reasons = level_rule.level, level_rule.id, [level_rule.reason]
    escalation = RuleSet.first(rules.escalations, facts, registry)
    if escalation is not None and level.parent() is not None:
        level, rule_id = level.parent(), escalation.id
        reasons.append(f"{escalation.reason}: one level up, to the {level}")
    desk = RuleSet.first(rules.desks, facts, registry).desk
    platform = _platform_at(registry, facts.area_code, level)
    if platform is None or desk not in platform.desks:
        # Never nowhere: the township's reception desk, then the county's.
        fallback = _platform_at(registry, facts.area_code, Level.TOWNSHIP) or registry.county()
        reasons.append(f"no {level} platform with a {desk} desk for area {facts.area_code}")
        platform, desk, rule_id = fallback, Desk.RECEPTION, "fallback.reception"
    explicit = RuleSet.first(rules.departments, facts, registry)
    asked = (
        [explicit.lead, *explicit.co]
        if explicit is not None
        else [d.code for d in registry.departments_for(facts.category, facts.area_code)]
    )
    departments = [d for d in asked if d not in exclude_departments]
    if asked and not departments:
        # Every responsible department said "not ours" before: ask the next candidates.
        departments = [
            d for d in department_candidates(facts, registry, rules) if d not in exclude_departments
        ][:1]
    also = [
        d
        for d in rules.also_asked(facts, registry)
        if d not in departments and d not in exclude_departments
    ]
    if also:
        departments += also
        reasons.append(f"also asked: {', '.join(also)}")
    return Decision(
        level=platform.level,
        platform=platform.code,
        desk=desk,
        lead_department=departments[0] if departments else None,
        co_departments=departments[1:],
        rule_id=rule_id,
        ruleset_version=rules.version,
        reason="; ".join(r for r in reasons if r),
        answer_working_days=rules.answer_days(facts, registry),
    )


def department_candidates(facts: CaseFacts, registry: Registry, rules: RuleSet) -> list[str]:
    """Every department that could take the case, best first: the explicit rule's lead and
    co-departments, then those whose jurisdiction covers the category and area."""
    explicit = RuleSet.first(rules.departments, facts, registry)
    ordered = [explicit.lead, *explicit.co] if explicit is not None else []
    ordered += [d.code for d in registry.departments_for(facts.category, facts.area_code)]
    return list(dict.fromkeys(ordered))
