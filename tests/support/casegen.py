"""Generated cases that are valid against the sample registry (and, on request, some that
are not), for tests, the bulk-import measurement and the benchmark.

    python -m tests.support.casegen 100000 letters.csv [--invalid 0.02] [--seed 1]
"""

import csv
import json
import random
from pathlib import Path
from typing import Any

import typer
from concord_shared.enums import CaseKind, Level
from concord_shared.registry import Registry, load_registry

from tests.support.cases import unique_text, valid_id_number

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "秀英建国志强丽娟海燕伟明芳军红梅玉兰国华小平春花德胜"
CSV_COLUMNS = [
    "kind", "channel", "platform", "category", "description", "area_code", "address",
    "severity", "party1_name", "party1_phone", "party1_id_number", "party1_role",
    "party2_name", "party2_phone", "party2_role",
]  # fmt: skip


class CaseGenerator:
    def __init__(self, registry: Registry | None = None, seed: int | None = None) -> None:
        self.registry = registry or load_registry()
        self.random = random.Random(seed)
        self.villages = [p for p in self.registry.platforms if p.level is Level.VILLAGE]

    def _name(self) -> str:
        return self.random.choice(SURNAMES) + "".join(self.random.choices(GIVEN, k=2))

    def _phone(self) -> str:
        return "1" + self.random.choice("3456789") + "".join(self.random.choices("0123456789", k=9))

    def submission(self) -> dict[str, Any]:
        category = self.random.choice(self.registry.categories)
        kind = self.random.choice(category.kinds)
        village = self.random.choice(self.villages)
        parties = [{"name": self._name(), "phone": self._phone(), "role": "applicant"}]
        if self.random.random() < 0.3:
            r = self.random
            birth = f"19{r.randint(50, 99)}0{r.randint(1, 9)}1{r.randint(0, 9)}"
            parties[0]["id_number"] = valid_id_number(
                village.code[:6] + birth + f"{self.random.randint(0, 999):03d}"
            )
        if kind is CaseKind.DISPUTE:
            parties.append({"name": self._name(), "phone": self._phone(), "role": "respondent"})
        return {
            "kind": kind.value,
            "channel": self.random.choice(["visit", "letter", "call", "online", "hotline"]),
            "platform": village.parent or village.code,
            "category": category.code,
            "description": unique_text(f"{category.name_zh}："),
            "location": {
                "area_code": village.code,
                "address": f"{village.name_zh}{self.random.randint(1, 99)}号",
            },
            "parties": parties,
            "severity": self.random.choice(["low", "low", "medium", "high"]),
        }

    def invalid(self) -> dict[str, Any]:
        case = self.submission()
        broken = self.random.choice(["phone", "category", "area", "description"])
        if broken == "phone":
            case["parties"][0]["phone"] = "12345"
        elif broken == "category":
            case["category"] = "no_such_category"
        elif broken == "area":
            case["location"]["area_code"] = "110101001001"
        else:
            case["description"] = ""
        return case


def as_csv_row(case: dict[str, Any]) -> dict[str, str]:
    row = {
        k: str(case.get(k, ""))
        for k in ("kind", "channel", "platform", "category", "description", "severity")
    }
    row["area_code"] = case["location"].get("area_code") or ""
    row["address"] = case["location"].get("address") or ""
    for n, party in enumerate(case["parties"][:2], 1):
        for field in ("name", "phone", "id_number", "role"):
            if f"party{n}_{field}" in CSV_COLUMNS:
                row[f"party{n}_{field}"] = party.get(field) or ""
    return row


def write_file(path: Path, rows: int, invalid_share: float = 0.0, seed: int | None = None) -> int:
    """Write `rows` cases (CSV or .jsonl by suffix); returns how many are valid."""
    generator = CaseGenerator(seed=seed)
    valid = 0
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, CSV_COLUMNS) if path.suffix == ".csv" else None
        if writer:
            writer.writeheader()
        for _ in range(rows):
            bad = generator.random.random() < invalid_share
            case = generator.invalid() if bad else generator.submission()
            valid += not bad
            if writer:
                writer.writerow(as_csv_row(case))
            else:
                handle.write(json.dumps(case, ensure_ascii=False) + "\n")
    return valid


def main(rows: int, path: Path, invalid: float = 0.0, seed: int | None = None) -> None:
    valid = write_file(path, rows, invalid, seed)
    print(f"wrote {rows} rows ({valid} valid) to {path}")


if __name__ == "__main__":
    typer.run(main)
