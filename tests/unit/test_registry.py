import pytest
import yaml
from concord_shared.enums import Level
from concord_shared.registry import DEFAULT_REGISTRY, Registry, load_registry
from pydantic import ValidationError


def test_the_sample_county_is_complete() -> None:
    registry = load_registry()
    levels = [p.level for p in registry.platforms]
    assert levels.count(Level.COUNTY) == 1
    assert levels.count(Level.TOWNSHIP) >= 6
    assert levels.count(Level.VILLAGE) >= 40
    assert len(registry.departments) >= 12
    for category in registry.categories:
        assert registry.departments_for(category.code, registry.county().code), category.code


def test_area_lookup_finds_the_most_local_platform() -> None:
    registry = load_registry()
    village = next(p for p in registry.platforms if p.level is Level.VILLAGE)
    assert registry.platform_for_area(village.code) == village
    assert registry.ancestor_at(village.code, Level.COUNTY) == registry.county()


def test_a_registry_with_a_dangling_parent_is_refused() -> None:
    data = yaml.safe_load(DEFAULT_REGISTRY.read_text(encoding="utf-8"))
    data["platforms"][5]["parent"] = "339999999"
    with pytest.raises(ValidationError, match="parent 339999999 does not exist"):
        Registry.model_validate(data)
