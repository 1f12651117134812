from pathlib import Path

from concord_shared.settings import ServiceSettings
from pydantic_settings import SettingsConfigDict

from concord_routing.domain.access import ApiKey
from concord_routing.domain.rules import DEFAULT_RULES


class RoutingSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CONCORD_ROUTING_", extra="ignore")

    http_port: int = 8002
    # The files seed the store on first start; runtime changes go through the admin API.
    rules_path: Path = DEFAULT_RULES
    # After this many departments declined a case, the county platform coordinates it.
    max_declines: int = 3
    # API keys as JSON: {"<key>": {"role": "admin", "holder": "county letters office"}, ...}.
    api_keys: dict[str, ApiKey] = {}
