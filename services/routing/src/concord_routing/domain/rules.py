"""Routing rules as data: conditions on a case's facts, with priorities and ids.

A rule set is validated as a whole when it is loaded (unknown kinds, categories,
departments, duplicate ids, a list without a catch-all rule): a bad one is refused with an
error naming what is wrong, and the rules in force stay in force.
"""

from pathlib import Path
from typing import Any

import yaml
from concord_shared.enums import CaseKind, Desk, Level, Severity
from concord_shared.paths import SAMPLE
from concord_shared.registry import Registry
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from concord_routing.domain.facts import CaseFacts

DEFAULT_RULES = SAMPLE / "rules.yaml"


class Condition(BaseModel):
    """Every field given must hold; an empty condition matches every case."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kinds: list[CaseKind] | None = None
    severities: list[Severity] | None = None
    categories: list[str] | None = None
    simple_category: bool | None = None
    collective: bool | None = None
    repeat: bool | None = None
    min_parties: int | None = Field(default=None, ge=1)

    def matches(self, facts: CaseFacts, registry: Registry) -> bool:
        category = registry.categories_by_code.get(facts.category)
        checks = (
            self.kinds is None or facts.kind in self.kinds,
            self.severities is None or facts.severity in self.severities,
            self.categories is None or facts.category in self.categories,
            self.simple_category is None
            or (category is not None and category.simple) == self.simple_category,
            self.collective is None or facts.collective == self.collective,
            self.repeat is None or facts.repeat == self.repeat,
            self.min_parties is None or facts.party_count >= self.min_parties,
        )
        return all(checks)

    def is_catch_all(self) -> bool:
        return not self.model_dump(exclude_none=True)


class Rule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1)
    priority: int
    when: Condition
    reason: str = ""


class LevelRule(Rule):
    level: Level


class DeskRule(Rule):
    desk: Desk


class DepartmentRule(Rule):
    lead: str
    co: list[str] = []


class AlsoRule(Rule):
    """Departments asked besides, whatever decides the lead: every matching rule applies
    (public security on an early warning of a brewing clash, say)."""

    co: list[str] = Field(min_length=1)


class AnswerRule(Rule):
    """By when a department asked about a case answers: by the end of the `working_days`-th
    working day after the day it is asked (routing's calendar). No rule matches: no deadline."""

    working_days: int = Field(ge=1, le=60)


class RuleSet(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    version: str = Field(min_length=1)
    levels: list[LevelRule]
    escalations: list[Rule] = []
    desks: list[DeskRule]
    departments: list[DepartmentRule] = []
    also: list[AlsoRule] = []
    answers: list[AnswerRule] = []

    def _all(self) -> tuple[Rule, ...]:
        return (
            *self.levels,
            *self.escalations,
            *self.desks,
            *self.departments,
            *self.also,
            *self.answers,
        )

    @model_validator(mode="after")
    def _check(self) -> "RuleSet":
        ids = [r.id for r in self._all()]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"rule ids used twice: {', '.join(duplicates)}")
        for name, rules in (("levels", self.levels), ("desks", self.desks)):
            if not any(r.when.is_catch_all() for r in rules):
                raise ValueError(f"{name}: needs a rule with an empty condition (when: {{}})")
        return self

    def problems_with(self, registry: Registry) -> list[str]:
        """References the registry does not know."""
        problems = []
        for rule in self._all():
            for category in rule.when.categories or []:
                if category not in registry.categories_by_code:
                    problems.append(f"{rule.id}: unknown category {category!r}")
        named = [(r.id, [r.lead, *r.co]) for r in self.departments]
        named += [(r.id, r.co) for r in self.also]
        for rule_id, codes in named:
            for code in codes:
                if code not in registry.departments_by_code:
                    problems.append(f"{rule_id}: unknown department {code!r}")
        return problems

    def also_asked(self, facts: CaseFacts, registry: Registry) -> list[str]:
        """The departments every matching `also` rule adds, highest priority first."""
        matching = sorted(
            (r for r in self.also if r.when.matches(facts, registry)), key=lambda r: -r.priority
        )
        return list(dict.fromkeys(code for r in matching for code in r.co))

    def answer_days(self, facts: CaseFacts, registry: Registry) -> int | None:
        """Working days an asked department has to answer, by the matching rule."""
        rule = RuleSet.first(self.answers, facts, registry)
        return None if rule is None else int(rule.working_days)

    @staticmethod
    def first(rules: list[Any], facts: CaseFacts, registry: Registry) -> Any:
        matching = [r for r in rules if r.when.matches(facts, registry)]
        return max(matching, key=lambda r: r.priority) if matching else None


def describe(exc: ValidationError) -> str:
    """Every validation error as `where: what`, for a refusal message."""
    return "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or '<root>'}: {e['msg']}" for e in exc.errors()
    )


class RuleSetRefused(ValueError):
    """The rule set was not loaded; the message names what is wrong."""


def parse_rules(data: Any, registry: Registry) -> RuleSet:
    try:
        rules = RuleSet.model_validate(data)
    except ValidationError as exc:
        raise RuleSetRefused(describe(exc)) from exc
    problems = rules.problems_with(registry)
    if problems:
        raise RuleSetRefused("; ".join(problems))
    return rules


def load_rules(registry: Registry, path: Path | None = None) -> RuleSet:
    with (path or DEFAULT_RULES).open(encoding="utf-8") as handle:
        return parse_rules(yaml.safe_load(handle), registry)
