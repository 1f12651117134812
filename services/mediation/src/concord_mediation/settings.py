from concord_shared.settings import ServiceSettings
from pydantic_settings import SettingsConfigDict


class MediationSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CONCORD_MEDIATION_", extra="ignore")

    http_port: int = 8003
    # Defaults after the 2022 Regulations on Letters and Visits (calendar days for now).
    acceptance_days: int = 15
    handling_days: int = 60
    high_severity_warning_hours: int = 4
