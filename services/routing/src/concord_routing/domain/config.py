"""What routing decides with -- the registry and the rule set -- and how either is changed.

A change is validated as a whole before it is taken: the registry must be consistent and
the rules must still name only categories and departments the registry knows. A refused
change says what is wrong and leaves what is in force untouched.
"""

from dataclasses import dataclass, replace
from typing import Any

from concord_shared.registry import Registry
from pydantic import ValidationError

from concord_routing.domain.rules import RuleSet, RuleSetRefused, describe, parse_rules


class ChangeRefused(ValueError):
    """The change was not made; the message names what is wrong."""


@dataclass(frozen=True)
class RoutingConfig:
    revision: int
    registry: Registry
    rules: RuleSet

    def with_rules(self, data: Any) -> "RoutingConfig":
        try:
            rules = parse_rules(data, self.registry)
        except RuleSetRefused as exc:
            raise ChangeRefused(f"rule set refused: {exc}") from exc
        if rules.version == self.rules.version:
            raise ChangeRefused(
                f"rule set refused: version {rules.version!r} is the version in force; "
                "give a changed rule set a new version"
            )
        return replace(self, rules=rules)

    def with_registry(self, data: Any) -> "RoutingConfig":
        try:
            registry = Registry.model_validate(data)
        except ValidationError as exc:
            raise ChangeRefused(f"registry refused: {describe(exc)}") from exc
        problems = self.rules.problems_with(registry)
        if problems:
            raise ChangeRefused(
                "registry refused: the rules in force would name what it lacks: "
                + "; ".join(problems)
            )
        if registry.version == self.registry.version:
            raise ChangeRefused(
                f"registry refused: version {registry.version} is the version in force; "
                "give a changed registry a new version"
            )
        return replace(self, registry=registry)
