from concord_routing.domain.decision import CaseFacts, decide
from concord_shared.enums import CaseKind, Desk, Level, Severity
from concord_shared.registry import load_registry

REGISTRY = load_registry()
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
    d = decide(facts(), REGISTRY)
    assert (d.level, d.platform, d.desk) == (Level.VILLAGE, VILLAGE, Desk.MEDIATION)


def test_collective_matter_goes_one_level_up() -> None:
    d = decide(facts(collective=True), REGISTRY)
    assert (d.level, d.platform) == (Level.TOWNSHIP, "339901001")


def test_high_severity_warning_goes_to_the_county() -> None:
    d = decide(
        facts(kind=CaseKind.EARLY_WARNING, category="wage_arrears", severity=Severity.HIGH),
        REGISTRY,
    )
    assert (d.level, d.platform, d.desk) == (Level.COUNTY, "339901", Desk.EARLY_WARNING)
