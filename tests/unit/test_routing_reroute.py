"""Re-routing decisions: declines never ask a department twice and end at the county;
escalation keeps the departments; a changed rule set or registry is checked as a whole."""

from dataclasses import replace

import pytest
import yaml
from concord_routing.domain.config import ChangeRefused, RoutingConfig
from concord_routing.domain.decision import Decision, decide, department_candidates
from concord_routing.domain.reroute import Declined, Route, after_decline, escalated_to
from concord_routing.domain.rules import DEFAULT_RULES, load_rules
from concord_shared.enums import Desk, Level
from concord_shared.registry import DEFAULT_REGISTRY, load_registry

from tests.unit.test_routing_decision import facts

REGISTRY = load_registry()
RULES = load_rules(REGISTRY)
TOWN = "339901001"
VILLAGE = "339901001001"


def routed(category: str) -> tuple[Route, list[str]]:
    f = facts(category=category)
    d = decide(f, REGISTRY, RULES)
    asked = frozenset([d.lead_department or "", *d.co_departments]) - {""}
    return Route(d, asked, 0), department_candidates(f, REGISTRY, RULES)


def test_a_declining_lead_is_replaced_by_the_next_department_never_asked() -> None:
    route, candidates = routed("land_dispute")  # land leads, agriculture co (explicit rule)
    assert (route.current.lead_department, route.current.co_departments) == (
        "land",
        ["agriculture"],
    )
    d = after_decline(
        route,
        Declined("land", "staff-7", "not a land matter", "water"),
        candidates,
        REGISTRY,
        max_declines=3,
    )
    assert d is not None
    assert d.lead_department == "water"
    assert d.co_departments == ["agriculture"]
    assert d.platform == route.current.platform
    assert "land declined: not a land matter" in d.reason


def test_no_department_is_asked_twice_and_the_last_one_standing_leads() -> None:
    route, candidates = routed("land_dispute")
    # The suggestion names a department already asked: it is not asked again.
    d = after_decline(
        route, Declined("land", "s", "no", "agriculture"), candidates, REGISTRY, max_declines=5
    )
    assert d is not None
    assert d.lead_department == "agriculture"
    assert d.co_departments == []


def test_a_decline_from_a_department_not_engaged_changes_nothing() -> None:
    route, candidates = routed("land_dispute")
    assert (
        after_decline(route, Declined("health", "s", "?"), candidates, REGISTRY, max_declines=3)
        is None
    )


def test_after_the_configured_number_of_declines_the_county_coordinates() -> None:
    route, candidates = routed("wage_arrears")  # hrss and justice by jurisdiction
    route = replace(route, declines=1)
    d = after_decline(route, Declined("hrss", "s", "no"), candidates, REGISTRY, max_declines=2)
    assert d is not None
    assert (d.level, d.platform, d.desk) == (Level.COUNTY, "339901", Desk.RECEPTION)
    assert d.rule_id == "declines.county"
    assert d.lead_department == "justice"


def test_when_every_department_declined_the_county_takes_it_with_no_lead() -> None:
    route, candidates = routed("medical")  # health only
    d = after_decline(route, Declined("health", "s", "no"), candidates, REGISTRY, max_declines=3)
    assert d is not None
    assert d.platform == "339901"
    assert d.lead_department is None
    assert d.rule_id == "declines.none-left"


def test_escalation_keeps_the_departments_and_moves_the_platform() -> None:
    route, _ = routed("neighbour")
    assert route.current.platform == VILLAGE
    d = escalated_to(route.current, TOWN, Level.TOWNSHIP, "deadline breached", REGISTRY)
    assert (d.platform, d.level, d.desk) == (TOWN, Level.TOWNSHIP, Desk.MEDIATION)
    assert d.lead_department == route.current.lead_department


def config() -> RoutingConfig:
    return RoutingConfig(1, REGISTRY, RULES)


def rules_data() -> dict[str, object]:
    data: dict[str, object] = yaml.safe_load(DEFAULT_RULES.read_text(encoding="utf-8"))
    return data


def test_a_bad_rule_set_is_refused_with_what_is_wrong() -> None:
    data = rules_data()
    data["version"] = "next"
    data["departments"] = [{"id": "x", "priority": 1, "when": {}, "lead": "nosuchdept"}]
    with pytest.raises(ChangeRefused, match="unknown department 'nosuchdept'"):
        config().with_rules(data)


def test_a_changed_rule_set_needs_a_new_version() -> None:
    with pytest.raises(ChangeRefused, match="is the version in force"):
        config().with_rules(rules_data())


def test_a_registry_that_drops_a_department_the_rules_name_is_refused() -> None:
    data = yaml.safe_load(DEFAULT_REGISTRY.read_text(encoding="utf-8"))
    data["version"] += 1
    data["departments"] = [d for d in data["departments"] if d["code"] != "land"]
    with pytest.raises(ChangeRefused, match="unknown department 'land'"):
        config().with_registry(data)


def test_recategorising_excludes_the_departments_that_declined() -> None:
    f = facts(category="wage_arrears")
    d: Decision = decide(f, REGISTRY, RULES, exclude_departments=frozenset({"hrss"}))
    assert d.lead_department == "justice"
