from concord_shared.settings import ServiceSettings
from pydantic_settings import SettingsConfigDict


class NotificationSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CONCORD_NOTIFICATION_", extra="ignore")

    http_port: int = 8004
