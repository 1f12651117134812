"""The routing table (tests/data/routing_table.csv): 240 generated cases, each with the
decision written out in the file. Here through the decision function; the same table runs
through the routing service on the real broker in tests/integration/test_routing_table.py."""

import csv
from pathlib import Path

import pytest
from concord_routing.domain.decision import CaseFacts, decide
from concord_routing.domain.rules import load_rules
from concord_shared.enums import CaseKind, Severity
from concord_shared.registry import load_registry

TABLE = Path(__file__).resolve().parents[1] / "data" / "routing_table.csv"
ROWS = list(csv.DictReader(TABLE.open(encoding="utf-8")))
REGISTRY = load_registry()
RULES = load_rules(REGISTRY)


def facts_of(row: dict[str, str]) -> CaseFacts:
    return CaseFacts(
        kind=CaseKind(row["kind"]),
        category=row["category"],
        area_code=row["area_code"],
        severity=Severity(row["severity"]),
        party_count=int(row["party_count"]),
        collective=row["collective"] == "true",
        repeat=row["repeat"] == "true",
    )


def expected_of(row: dict[str, str]) -> dict[str, object]:
    return {
        "level": row["level"],
        "platform": row["platform"],
        "desk": row["desk"],
        "lead": row["lead"] or None,
        "co": row["co"].split(),
        "rule_id": row["rule_id"],
    }


def test_the_table_is_big_and_covers_every_rule() -> None:
    assert len(ROWS) >= 200
    used = {r["rule_id"] for r in ROWS}
    rule_ids = {r.id for r in (*RULES.levels, *RULES.escalations)} | {"fallback.reception"}
    assert rule_ids <= used


@pytest.mark.parametrize("row", ROWS, ids=[r["case"] for r in ROWS])
def test_each_case_gets_the_decision_written_in_the_table(row: dict[str, str]) -> None:
    d = decide(facts_of(row), REGISTRY, RULES)
    got = {
        "level": d.level.value,
        "platform": d.platform,
        "desk": d.desk.value,
        "lead": d.lead_department,
        "co": d.co_departments,
        "rule_id": d.rule_id,
    }
    assert got == expected_of(row)
