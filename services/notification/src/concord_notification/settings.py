from pathlib import Path

from concord_shared.paths import SAMPLE
from concord_shared.settings import ServiceSettings
from pydantic_settings import SettingsConfigDict

from concord_notification.domain.access import ApiKey

DEFAULT_CONTACTS = SAMPLE / "contacts.yaml"


class NotificationSettings(ServiceSettings):
    model_config = SettingsConfigDict(
        env_prefix="CONCORD_NOTIFICATION_", extra="ignore", env_nested_delimiter="__"
    )

    http_port: int = 8004
    # Subscriptions API keys as JSON: {"<key>": {"role": "department", "department": "land"}}.
    api_keys: dict[str, ApiKey] = {}
    # Where citizens' contacts come from (intake's internal API, role "notifier").
    intake_url: str = "http://127.0.0.1:8001"
    intake_api_key: str = ""
    # Staff (mediators, leaders) and departments' fallback addresses: work addresses only.
    contacts_path: Path = DEFAULT_CONTACTS
    # E-mail over SMTP.
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    smtp_sender: str = "notice@concord.example"
    smtp_starttls: bool = False
    smtp_username: str = ""
    smtp_password: str = ""
    # SMS gateway over HTTP: POST JSON {"to", "text", "sender"} with HTTP basic auth.
    sms_gateway_url: str = ""  # empty: SMS is recorded in the log only
    sms_gateway_username: str = ""
    sms_gateway_password: str = ""
    sms_sender: str = "QINGHE"
    # Retries of one delivery: attempts in all, exponential backoff with full jitter.
    delivery_attempts: int = 5
    retry_base_delay_s: float = 2.0
    retry_max_delay_s: float = 600.0
    send_timeout_s: float = 10.0
    # How often the dispatcher looks for deliveries that came due (retries, held notices).
    dispatch_interval_s: float = 1.0
    # A webhook endpoint failing this many deliveries in a row is paused.
    pause_after_failures: int = 3
    # Quiet hours for non-urgent citizen notices, local time; equal start and end: none.
    quiet_hours_start: str = "22:00"
    quiet_hours_end: str = "08:00"
    quiet_hours_timezone: str = "Asia/Shanghai"
    # Departments are reminded this many days before a coordination answer is due, at
    # 09:00 local time (0: no reminders).
    department_reminder_days: int = 1
    # A file holding an ISO time the service takes as "now" (tests, drills); unset: real time.
    clock_file: Path | None = None
