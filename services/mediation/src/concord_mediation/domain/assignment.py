"""Choosing a mediator: the least loaded available mediator of the platform who has the
skills (category and language); failing that, one who speaks the language; failing that,
anyone available there. A supervisor may name a mediator instead (manual override)."""

from collections.abc import Iterable, Mapping
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict


class Mediator(BaseModel):
    model_config = ConfigDict(frozen=True)

    ref: str
    platform: str
    categories: frozenset[str] = frozenset()
    languages: frozenset[str] = frozenset({"zh"})


def choose_mediator(
    mediators: Iterable[Mediator],
    *,
    platform: str,
    category: str,
    language: str,
    load: Mapping[str, int],
    unavailable: Iterable[str] = (),
) -> Mediator | None:
    away = set(unavailable)
    candidates = [m for m in mediators if m.platform == platform and m.ref not in away]
    speakers = [m for m in candidates if language in m.languages]
    skilled = [m for m in speakers if category in m.categories]
    pool = skilled or speakers or candidates
    if not pool:
        return None
    return min(pool, key=lambda m: (load.get(m.ref, 0), m.ref))


def load_mediators(path: Path | str) -> list[Mediator]:
    with Path(path).open(encoding="utf-8") as handle:
        data = yaml.safe_load(handle) or {}
    return [Mediator.model_validate(m) for m in data.get("mediators", [])]
