"""The console's settings (CONCORD_CONSOLE_*). It keeps no store and reads no Kafka: it talks
to the four services over HTTP, with the keys of the signed-in user's scope."""

from pathlib import Path
from typing import Literal

from concord_shared.paths import SAMPLE
from concord_shared.registry import DEFAULT_REGISTRY
from pydantic import BaseModel, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_USERS = SAMPLE / "console-users.yaml"
# The session secret `make run` and the tests use; refused outside development.
DEVELOPMENT_SESSION_SECRET = "concord-console-development-session-secret"


class ServiceKeys(BaseModel):
    """The API keys one scope of users works with, one per service (none: no access)."""

    intake: str | None = None
    routing: str | None = None
    mediation: str | None = None
    notification: str | None = None


class ConsoleSettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="CONCORD_CONSOLE_", extra="ignore", env_nested_delimiter="__"
    )

    development: bool = False
    http_host: str = "127.0.0.1"
    http_port: int = 8000
    intake_url: str = "http://127.0.0.1:8001"
    routing_url: str = "http://127.0.0.1:8002"
    mediation_url: str = "http://127.0.0.1:8003"
    notification_url: str = "http://127.0.0.1:8004"
    request_timeout_s: float = 10.0
    registry_path: Path = DEFAULT_REGISTRY  # until routing's GET /registry first answers
    registry_refresh_s: float = 10.0
    users_path: Path = DEFAULT_USERS
    # Keys per user scope as JSON: {"mediator@339901001001": {"mediation": "..."}, ...}.
    keys: dict[str, ServiceKeys] = {}
    # Mediation's integration key: the citizens' satisfaction form is their channel.
    citizen_feedback_key: str = ""
    session_secret: str = DEVELOPMENT_SESSION_SECRET
    session_max_age_s: int = 8 * 3600
    # Cookies only over https outside development.
    secure_cookies: bool | None = None
    default_language: Literal["zh", "en"] = "zh"
    # Cases a mediator's queue shows at first; "more" shows as many again (up to 1,000),
    # so a busy platform's page does not read every case closed in three months.
    queue_page_size: int = Field(default=100, ge=1, le=1000)
    log_level: str = "INFO"
    log_format: Literal["auto", "json", "console"] = "auto"

    @property
    def https_only(self) -> bool:
        return self.secure_cookies if self.secure_cookies is not None else not self.development
