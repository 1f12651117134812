from concord_shared.settings import ServiceSettings
from pydantic import BaseModel
from pydantic_settings import SettingsConfigDict

from concord_intake.domain.access import ApiKey


class GroupingSettings(BaseModel):
    """How repeats and collective matters are recognised (flags, never rejections)."""

    repeat_window_days: int = 180
    similarity_threshold: float = 0.35  # character-bigram Jaccard of the descriptions
    collective_party_threshold: int = 5
    collective_window_hours: int = 72
    collective_min_cases: int = 3
    # Early warnings on one place (area code) and category within this many hours are one
    # situation (a situation group); their parties are never matched.
    situation_window_hours: int = 72


class IntakeSettings(ServiceSettings):
    model_config = SettingsConfigDict(
        env_prefix="CONCORD_INTAKE_", extra="ignore", env_nested_delimiter="__"
    )

    http_port: int = 8001
    # Key for the keyed hash that turns a phone or identity number into a party reference.
    # Change it and every party gets a new reference; set it from a secret in production.
    pseudonym_key: str = "concord-local-development-key"
    receipt_prefix: str = "QH"
    # API keys as JSON: {"<key>": {"role": "reception", "platform": "339901001"}, ...}.
    # Empty: every authenticated endpoint answers 401.
    api_keys: dict[str, ApiKey] = {}
    grouping: GroupingSettings = GroupingSettings()
