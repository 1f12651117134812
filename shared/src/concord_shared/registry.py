"""The platform and department registry: who exists, where, and what they handle.

Loaded from YAML (deploy/sample/registry.yaml ships a sample county). Intake validates area
codes and categories against it; routing decides with it; provisioning derives the horizontal
topics (one per department) from it.
"""

from collections.abc import Iterable
from functools import cached_property
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from concord_shared.enums import CaseKind, Desk, Level
from concord_shared.paths import SAMPLE

DEFAULT_REGISTRY = SAMPLE / "registry.yaml"


class Category(BaseModel):
    model_config = ConfigDict(frozen=True)

    code: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name_zh: str
    name_en: str
    kinds: list[CaseKind]
    simple: bool = False


class Platform(BaseModel):
    model_config = ConfigDict(frozen=True)

    code: str = Field(pattern=r"^[0-9]{6,12}$")
    name_zh: str
    name_en: str
    level: Level
    parent: str | None
    area_codes: list[str]
    desks: list[Desk]
    languages: list[str] = ["zh"]


class Department(BaseModel):
    model_config = ConfigDict(frozen=True)

    code: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name_zh: str
    name_en: str
    categories: list[str]
    areas: list[str]
    calendar: str = "cn_mainland"

    def covers(self, category: str, area_code: str) -> bool:
        return category in self.categories and any(area_code.startswith(a) for a in self.areas)


class Registry(BaseModel):
    """Validated on load: a registry with dangling references is refused as a whole."""

    model_config = ConfigDict(frozen=True, ignored_types=(cached_property,))

    version: int
    name: str
    categories: list[Category]
    platforms: list[Platform]
    departments: list[Department]

    @model_validator(mode="after")
    def _check_references(self) -> "Registry":
        problems: list[str] = []
        codes = [p.code for p in self.platforms]
        if len(set(codes)) != len(codes):
            problems.append("platform codes are not unique")
        known = set(codes)
        for p in self.platforms:
            if p.parent is not None and p.parent not in known:
                problems.append(f"platform {p.code}: parent {p.parent} does not exist")
            if (p.parent is None) != (p.level is Level.COUNTY):
                problems.append(f"platform {p.code}: only the county has no parent")
        category_codes = {c.code for c in self.categories}
        for d in self.departments:
            for c in d.categories:
                if c not in category_codes:
                    problems.append(f"department {d.code}: category {c} does not exist")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @cached_property
    def platforms_by_code(self) -> dict[str, Platform]:
        return {p.code: p for p in self.platforms}

    @cached_property
    def categories_by_code(self) -> dict[str, Category]:
        return {c.code: c for c in self.categories}

    @cached_property
    def departments_by_code(self) -> dict[str, Department]:
        return {d.code: d for d in self.departments}

    @cached_property
    def _area_index(self) -> dict[str, Platform]:
        return {area: p for p in self.platforms for area in p.area_codes}

    def platform_for_area(self, area_code: str) -> Platform | None:
        """The most local platform whose area contains area_code (longest prefix match)."""
        for length in range(len(area_code), 5, -1):
            platform = self._area_index.get(area_code[:length])
            if platform is not None:
                return platform
        return None

    def area_exists(self, area_code: str) -> bool:
        return area_code in self._area_index

    def parent_of(self, platform_code: str) -> Platform | None:
        parent = self.platforms_by_code[platform_code].parent
        return self.platforms_by_code[parent] if parent else None

    def ancestors(self, platform_code: str) -> tuple[str, ...]:
        """The platforms above one, parent first; none for a platform the registry lacks."""
        chain: list[str] = []
        platform = self.platforms_by_code.get(platform_code)
        while platform is not None and platform.parent is not None:
            chain.append(platform.parent)
            platform = self.platforms_by_code.get(platform.parent)
        return tuple(chain)

    def is_at_or_below(self, platform_code: str, above: str) -> bool:
        """Whether a platform is `above` itself or one of the platforms under it: the
        platforms whose cases a platform's staff supervise (a township its villages)."""
        return above in (platform_code, *self.ancestors(platform_code))

    def ancestor_at(self, platform_code: str, level: Level) -> Platform | None:
        """The platform itself or the ancestor at `level`, walking up."""
        platform: Platform | None = self.platforms_by_code.get(platform_code)
        while platform is not None and platform.level != level:
            platform = self.parent_of(platform.code)
        return platform

    def county(self) -> Platform:
        return next(p for p in self.platforms if p.level is Level.COUNTY)

    def departments_for(self, category: str, area_code: str) -> list[Department]:
        """Responsible departments in registry order; the first is the natural lead."""
        return [d for d in self.departments if d.covers(category, area_code)]

    def department_codes(self) -> Iterable[str]:
        return (d.code for d in self.departments)


def load_registry(path: Path | str | None = None) -> Registry:
    source = Path(path) if path else DEFAULT_REGISTRY
    with source.open(encoding="utf-8") as handle:
        return Registry.model_validate(yaml.safe_load(handle))
