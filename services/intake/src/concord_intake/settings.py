from concord_shared.settings import ServiceSettings
from concord_shared.startup_secrets import DEFAULT_PSEUDONYM_KEY
from limits import parse
from pydantic import BaseModel, field_validator
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


class PublicLimitSettings(BaseModel):
    """Rate limits of the public endpoints (status lookup, Open311), in `limits` notation:
    "60/minute", "5 per 15 minutes"."""

    # Requests to the public endpoints from one client address (the peer, or the
    # X-Forwarded-For of a proxy the server trusts: uvicorn's FORWARDED_ALLOW_IPS).
    per_client: str = "60/minute"
    # Wrong verification codes for one receipt number; then it answers 429 until the
    # window has moved on.
    wrong_codes_per_receipt: str = "5/15 minutes"
    # Where the counters live: a `limits` storage URI ("memory://", "redis://host:6379"
    # with the redis package installed, ...).
    storage: str = "memory://"

    @field_validator("per_client", "wrong_codes_per_receipt")
    @classmethod
    def _a_limit(cls, value: str) -> str:
        parse(value)  # a wrong notation fails at start, not at the first request
        return value


class IntakeSettings(ServiceSettings):
    model_config = SettingsConfigDict(
        env_prefix="CONCORD_INTAKE_", extra="ignore", env_nested_delimiter="__"
    )

    http_port: int = 8001
    # Key for the keyed hash that turns a phone or identity number into a party reference.
    # Change it and every party gets a new reference; set it from a secret in production
    # (outside development mode the service refuses the default and keys under 32 characters).
    pseudonym_key: str = DEFAULT_PSEUDONYM_KEY
    receipt_prefix: str = "QH"
    # API keys as JSON: {"<key>": {"role": "reception", "platform": "339901001"}, ...}.
    # Empty: every authenticated endpoint answers 401.
    api_keys: dict[str, ApiKey] = {}
    grouping: GroupingSettings = GroupingSettings()
    # Categories and areas are routing's (changed at runtime through its admin API): intake
    # reads routing's GET /registry this often, starting from `registry_path` (the file
    # routing starts from) until routing answers. Empty: the file only.
    routing_url: str | None = "http://127.0.0.1:8002"
    registry_refresh_s: float = 10.0
    public_limits: PublicLimitSettings = PublicLimitSettings()
