from pathlib import Path

from concord_shared.api_keys import without_naming_keys
from concord_shared.calendar import DEFAULT_CALENDARS
from concord_shared.settings import ServiceSettings
from pydantic import field_validator
from pydantic_settings import SettingsConfigDict

from concord_routing.domain.access import ApiKey
from concord_routing.domain.rules import DEFAULT_RULES


class RoutingSettings(ServiceSettings):
    model_config = SettingsConfigDict(
        env_prefix="CONCORD_ROUTING_", extra="ignore", hide_input_in_errors=True
    )

    http_port: int = 8002
    # The files seed the store on first start; runtime changes go through the admin API.
    rules_path: Path = DEFAULT_RULES
    # Working days for the departments' answer deadlines (rules.yaml's `answers`): JSON list.
    calendar_paths: list[Path] = DEFAULT_CALENDARS
    # After this many departments declined a case, the county platform coordinates it.
    max_declines: int = 3
    # API keys as JSON: {"<key>": {"role": "admin", "holder": "county letters office"}, ...}.
    # Roles: admin (rules, registry, every case), staff with "platform" (recategorise its
    # cases; read the routing of cases at it or below), auditor (audit; routing minimised),
    # department with "department" (the console: its inbox, its replies).
    api_keys: dict[str, ApiKey] = {}

    _keys_unnamed_in_errors = field_validator("api_keys", mode="wrap")(without_naming_keys)
