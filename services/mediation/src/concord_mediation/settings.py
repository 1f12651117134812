from pathlib import Path

from concord_shared.api_keys import without_naming_keys
from concord_shared.calendar import DEFAULT_CALENDARS
from concord_shared.paths import SAMPLE
from concord_shared.settings import ServiceSettings
from pydantic import field_validator
from pydantic_settings import SettingsConfigDict

from concord_mediation.domain.access import ApiKey
from concord_mediation.domain.deadlines import DeadlineRule
from concord_mediation.domain.rating import RatingPolicy


class MediationSettings(ServiceSettings):
    model_config = SettingsConfigDict(
        env_prefix="CONCORD_MEDIATION_",
        extra="ignore",
        env_nested_delimiter="__",
        hide_input_in_errors=True,
    )

    http_port: int = 8003
    # Defaults after the 2022 Regulations on Letters and Visits, in working days.
    acceptance_days: int = 15
    handling_days: int = 60
    high_severity_warning_hours: int = 4
    # JSON list of {kind?, level?, severity?, acceptance, handling} (spans like 15wd, 30d,
    # 4h); the most specific matching rule wins. Empty: the defaults above.
    deadline_rules: list[DeadlineRule] = []
    extension_max_days: int = 30  # working days, once
    review_window_days: int = 30  # calendar days after closing
    warn_share: float = 0.8
    calendar_paths: list[Path] = DEFAULT_CALENDARS
    mediators_path: Path = SAMPLE / "mediators.yaml"
    rating: RatingPolicy = RatingPolicy()
    api_keys: dict[str, ApiKey] = {}
    # Deadline timers: how often to look for due ones. Each look reads the due buckets of
    # the hours that hold something (a document or two), not the cases. The clock file,
    # when set, holds the current time as ISO text (a controllable clock for tests).
    timer_interval_s: float = 5.0
    clock_file: Path | None = None

    _keys_unnamed_in_errors = field_validator("api_keys", mode="wrap")(without_naming_keys)
