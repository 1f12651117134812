from pathlib import Path

from concord_shared.settings import ServiceSettings
from pydantic_settings import SettingsConfigDict

from concord_routing.domain.rules import DEFAULT_RULES


class RoutingSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CONCORD_ROUTING_", extra="ignore")

    http_port: int = 8002
    rules_path: Path = DEFAULT_RULES
