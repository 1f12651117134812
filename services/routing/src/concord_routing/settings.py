from concord_shared.settings import ServiceSettings
from pydantic_settings import SettingsConfigDict


class RoutingSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CONCORD_ROUTING_", extra="ignore")

    http_port: int = 8002
