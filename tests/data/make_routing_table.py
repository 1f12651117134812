"""Writes routing_table.csv: generated case facts with the decision each should get.

The expected decisions are worked out here from the sample rules as written in prose in
deploy/sample/rules.yaml, reading the registry file directly -- not by routing's code, which
the table tests. Regenerate only when the sample rules change, and review the diff:

    python -m tests.data.make_routing_table
"""

import csv
import random
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
TABLE = Path(__file__).with_name("routing_table.csv")
COLUMNS = [
    "case", "kind", "category", "area_code", "severity", "party_count", "collective", "repeat",
    "level", "platform", "desk", "lead", "co", "rule_id",
]  # fmt: skip


def expected(case: dict[str, str], registry: dict) -> dict[str, str]:
    platforms = {p["code"]: p for p in registry["platforms"]}
    simple = {c["code"] for c in registry["categories"] if c.get("simple")}
    up = {"village": "township", "township": "county", "county": None}
    # Where it starts.
    if case["kind"] == "early_warning" and case["severity"] == "high":
        level, rule = "county", "level.high-severity-warning"
    elif case["category"] in simple:
        level, rule = "village", "level.simple"
    else:
        level, rule = "township", "level.default"
    # What takes it one level up: the strongest reason only, and never above the county.
    for flag, rule_id in (
        (case["collective"] == "true", "escalate.collective"),
        (case["repeat"] == "true", "escalate.repeat"),
        (int(case["party_count"]) >= 5, "escalate.many-parties"),
    ):
        if flag:
            above = up[level]
            if above:
                level, rule = above, rule_id
            break
    desk = {"legal_service": "legal_service", "early_warning": "early_warning"}.get(
        case["kind"], "mediation"
    )
    # The platform of that level above the area (the area's own platform counts).
    platform = platforms.get(case["area_code"])
    while platform is not None and platform["level"] != level:
        platform = platforms.get(platform["parent"]) if platform["parent"] else None
    if platform is None or desk not in platform["desks"]:
        township = platforms.get(case["area_code"][:9])
        platform, desk, rule = township, "reception", "fallback.reception"
    assert platform is not None
    if case["category"] in ("land_dispute", "homestead"):
        departments = ["land", "agriculture"]
    else:
        departments = [
            d["code"] for d in registry["departments"] if case["category"] in d["categories"]
        ]
    # A high-severity early warning may turn into a clash: public security is asked too.
    if case["kind"] == "early_warning" and case["severity"] == "high":
        departments += [d for d in ["public_security"] if d not in departments]
    return {
        "level": platform["level"],
        "platform": platform["code"],
        "desk": desk,
        "lead": departments[0] if departments else "",
        "co": " ".join(departments[1:]),
        "rule_id": rule,
    }


def main(rows: int = 240, seed: int = 20261126) -> None:
    registry = yaml.safe_load((ROOT / "deploy/sample/registry.yaml").read_text("utf-8"))
    rng = random.Random(seed)
    areas = [p["code"] for p in registry["platforms"] if p["level"] != "county"]
    with TABLE.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, COLUMNS)
        writer.writeheader()
        for n in range(rows):
            category = rng.choice(registry["categories"])
            case = {
                "case": f"R{n:04d}",
                "kind": rng.choice(category["kinds"]),
                "category": category["code"],
                "area_code": rng.choice(areas),
                "severity": rng.choice(["low", "medium", "high"]),
                "party_count": str(rng.choice([1, 2, 2, 3, 5, 8])),
                "collective": str(rng.random() < 0.15).lower(),
                "repeat": str(rng.random() < 0.15).lower(),
            }
            writer.writerow({**case, **expected(case, registry)})


if __name__ == "__main__":
    main()
