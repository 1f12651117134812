"""Dead letters keep the bytes a service could not process -- a submission with a name, a
phone and an identity number, say -- so those bytes are sealed: encrypted with Fernet
(AES-128-CBC and HMAC-SHA256, from the `cryptography` package) under the dead-letter key.
Only who holds the key (the services, and operators running ``concord-dlq show/replay``)
can open them; a reader of the topic sees a token.

    CONCORD_DLQ_KEY              Fernet keys, comma-separated: the first seals, each one opens
                                 (rotate by putting a new key first). Make one with
                                 ``python -c "from cryptography.fernet import Fernet;
                                 print(Fernet.generate_key().decode())"``.
    CONCORD_DLQ_RETENTION_DAYS   how long the broker keeps a dead letter (default 7).

One setting for every service and the CLI (like CONCORD_KAFKA_BOOTSTRAP_SERVERS for the
CLI): a letter sealed by any service is opened by the operators' tool.
"""

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from pydantic_settings import BaseSettings, SettingsConfigDict

# Used when no key is set, by a service in development mode and by the CLI on a developer's
# machine. Public (it is in the source): outside development a service refuses it.
DEVELOPMENT_KEY = "Y29uY29yZC1kZXZlbG9wbWVudC1kbHEta2V5LTAwMDA="
DEFAULT_RETENTION_DAYS = 7


class DeadLetterSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CONCORD_DLQ_", extra="ignore")

    key: str = ""
    retention_days: int = DEFAULT_RETENTION_DAYS


class DeadLetterKeyRefused(Exception):
    """Outside development mode: no dead-letter key, the public development key, or not a
    Fernet key. The service does not start."""

    def __init__(self, problem: str) -> None:
        super().__init__(f"refusing to start outside development mode: {problem}")


class CannotOpen(Exception):
    """The letter was sealed under a key this process does not hold (or was altered)."""


class LetterSeal:
    def __init__(self, keys: str) -> None:
        self._fernet = MultiFernet([Fernet(k.strip()) for k in keys.split(",") if k.strip()])

    def seal(self, original: bytes) -> str:
        return self._fernet.encrypt(original).decode("ascii")

    def open(self, token: str) -> bytes:
        try:
            return self._fernet.decrypt(token.encode("ascii"))
        except (InvalidToken, ValueError) as exc:
            raise CannotOpen(
                "this dead letter was sealed under another key: set CONCORD_DLQ_KEY to the "
                "services' dead-letter key"
            ) from exc


def cli_seal() -> LetterSeal:
    """The operators' tool's seal: CONCORD_DLQ_KEY, else the development key (which opens
    only letters sealed by services in development mode)."""
    return letter_seal(development=True)


def letter_seal(*, development: bool, settings: DeadLetterSettings | None = None) -> LetterSeal:
    """The seal of this process. Without a key: the development key in development mode (and
    for the CLI), otherwise DeadLetterKeyRefused -- a service must not start sealing letters
    with a key anyone can read in the source."""
    s = settings or DeadLetterSettings()
    if not s.key.strip():
        if not development:
            raise DeadLetterKeyRefused("CONCORD_DLQ_KEY (the dead-letter key) is not set")
        return LetterSeal(DEVELOPMENT_KEY)
    if not development and DEVELOPMENT_KEY in s.key:
        raise DeadLetterKeyRefused("CONCORD_DLQ_KEY holds the development dead-letter key")
    try:
        return LetterSeal(s.key)
    except ValueError as exc:
        raise DeadLetterKeyRefused(
            "CONCORD_DLQ_KEY is not a Fernet key (32 url-safe base64-encoded bytes)"
        ) from exc
