from concord_shared.settings import ServiceSettings
from pydantic_settings import SettingsConfigDict


class IntakeSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CONCORD_INTAKE_", extra="ignore")

    http_port: int = 8001
    # Key for the keyed hash that turns a phone or identity number into a party reference.
    # Change it and every party gets a new reference; set it from a secret in production.
    pseudonym_key: str = "concord-local-development-key"
    receipt_prefix: str = "QH"
