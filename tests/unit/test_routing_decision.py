from concord_routing.domain.decision import CaseFacts, decide
from concord_routing.domain.rules import load_rules
from concord_shared.enums import CaseKind, Desk, Level, Severity
from concord_shared.registry import load_registry

REGISTRY = load_registry()
RULES = load_rules(REGISTRY)
VILLAGE = "339901001001"


def facts(**kw: object) -> CaseFacts:
    base: dict[str, object] = dict(
        kind=CaseKind.DISPUTE,
        category="neighbour",
        area_code=VILLAGE,
        severity=Severity.LOW,
        party_count=2,
        collective=False,
        repeat=False,
    )
    base.update(kw)
    return CaseFacts(**base)  # type: ignore[arg-type]


def test_simple_neighbour_dispute_starts_at_the_village() -> None:
    d = decide(facts(), REGISTRY, RULES)
    assert (d.level, d.platform, d.desk) == (Level.VILLAGE, VILLAGE, Desk.MEDIATION)


def test_collective_matter_goes_one_level_up() -> None:
    d = decide(facts(collective=True), REGISTRY, RULES)
    assert (d.level, d.platform) == (Level.TOWNSHIP, "339901001")


def test_high_severity_warning_goes_to_the_county() -> None:
    d = decide(
        facts(kind=CaseKind.EARLY_WARNING, category="wage_arrears", severity=Severity.HIGH),
        REGISTRY,
        RULES,
    )
    assert (d.level, d.platform, d.desk) == (Level.COUNTY, "339901", Desk.EARLY_WARNING)


def test_legal_service_goes_to_the_legal_service_desk() -> None:
    d = decide(facts(kind=CaseKind.LEGAL_SERVICE, category="legal_aid"), REGISTRY, RULES)
    assert d.desk is Desk.LEGAL_SERVICE and d.rule_id == "level.default"


def test_explicit_department_rule_beats_the_registry_order() -> None:
    d = decide(facts(category="land_dispute"), REGISTRY, RULES)
    assert (d.lead_department, d.co_departments) == ("land", ["agriculture"])
    d = decide(
        facts(category="land_dispute"), REGISTRY, RULES, exclude_departments=frozenset({"land"})
    )
    assert d.lead_department == "agriculture"


def test_every_decision_names_its_rule_and_the_rule_set_version() -> None:
    d = decide(facts(repeat=True), REGISTRY, RULES)
    assert d.rule_id == "escalate.repeat" and d.ruleset_version == RULES.version
    assert "came back" in d.reason


def test_a_bad_rule_set_is_refused_naming_what_is_wrong() -> None:
    import copy

    import pytest
    import yaml
    from concord_routing.domain.rules import DEFAULT_RULES, RuleSetRefused, parse_rules

    good = yaml.safe_load(DEFAULT_RULES.read_text(encoding="utf-8"))
    bad = copy.deepcopy(good)
    bad["departments"][0]["lead"] = "ministry_of_magic"
    bad["levels"][0]["when"]["kinds"] = ["complaint"]
    with pytest.raises(RuleSetRefused, match=r"levels\.0\.when\.kinds\.0"):
        parse_rules(bad, REGISTRY)
    bad = copy.deepcopy(good)
    bad["departments"][0]["lead"] = "ministry_of_magic"
    with pytest.raises(RuleSetRefused, match="unknown department 'ministry_of_magic'"):
        parse_rules(bad, REGISTRY)
    bad = copy.deepcopy(good)
    bad["desks"] = [r for r in bad["desks"] if r["when"]]
    with pytest.raises(RuleSetRefused, match="desks: needs a rule with an empty condition"):
        parse_rules(bad, REGISTRY)
    assert parse_rules(good, REGISTRY).version == good["version"]


def test_departments_are_given_working_days_to_answer_by_the_answers_rules() -> None:
    import copy

    import pytest
    import yaml
    from concord_routing.domain.rules import DEFAULT_RULES, RuleSetRefused, parse_rules

    assert decide(facts(), REGISTRY, RULES).answer_working_days == 5
    clash = facts(kind=CaseKind.EARLY_WARNING, category="wage_arrears", severity=Severity.HIGH)
    assert decide(clash, REGISTRY, RULES).answer_working_days == 1
    # A rule set without answers sets no deadline; one of zero days is refused, named.
    good = yaml.safe_load(DEFAULT_RULES.read_text(encoding="utf-8"))
    without = {k: v for k, v in good.items() if k != "answers"}
    assert decide(facts(), REGISTRY, parse_rules(without, REGISTRY)).answer_working_days is None
    bad = copy.deepcopy(good)
    bad["answers"][0]["working_days"] = 0
    with pytest.raises(RuleSetRefused, match=r"answers\.0\.working_days"):
        parse_rules(bad, REGISTRY)
