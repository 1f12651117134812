"""Submission rules that need the registry: area codes, categories, platforms."""

from dataclasses import dataclass

from concord_shared.enums import CaseKind
from concord_shared.registry import Registry
from concord_shared.submission import CaseSubmission


@dataclass(frozen=True)
class FieldProblem:
    loc: tuple[str | int, ...]
    msg: str


def check_against_registry(s: CaseSubmission, registry: Registry) -> list[FieldProblem]:
    problems: list[FieldProblem] = []
    if s.platform not in registry.platforms_by_code:
        problems.append(FieldProblem(("platform",), f"no platform with code {s.platform}"))
    category = registry.categories_by_code.get(s.category)
    if category is None:
        problems.append(FieldProblem(("category",), f"unknown category {s.category!r}"))
    elif s.kind not in category.kinds:
        problems.append(
            FieldProblem(("category",), f"category {s.category} does not take kind {s.kind}")
        )
    area = s.location.area_code
    if area is not None and not registry.area_exists(area):
        problems.append(FieldProblem(("location", "area_code"), f"no platform covers area {area}"))
    if area is None:
        problems.append(
            FieldProblem(("location", "area_code"), "coordinates alone cannot be placed yet")
        )
    if s.non_reception_place and s.kind is not CaseKind.PETITION:
        problems.append(
            FieldProblem(("non_reception_place",), f"only a petition has one, not a {s.kind}")
        )
    return problems
