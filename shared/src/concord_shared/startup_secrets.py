"""Outside development mode a service refuses to start with a development secret.

The defaults and the keys of deploy/local/dev.env are public: with the default pseudonym key
anyone can reverse a party reference to its phone or identity number by guessing, and a
development API key opens every endpoint. So a service that is not told it runs for a
developer (``CONCORD_<SERVICE>_DEVELOPMENT=true``, as `make run` and the tests do) stops at
start with a message naming the setting -- never the secret itself.
"""

from collections.abc import Iterable, Mapping

from pydantic_settings import BaseSettings

# The pseudonym key intake falls back to when none is set (public, in the source).
DEFAULT_PSEUDONYM_KEY = "concord-local-development-key"
# deploy/local/dev.env names every key "dev-…"; a short key can be guessed.
DEVELOPMENT_KEY_PREFIX = "dev-"
MIN_API_KEY_LENGTH = 16
# A keyed hash over 11-digit phone numbers is only as strong as its key: 32 characters.
MIN_HASH_KEY_LENGTH = 32


class DevelopmentSecret(Exception):
    """A development or guessable secret in a service that does not run in development."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(
            "refusing to start outside development mode: "
            + "; ".join(problems)
            + ". Set real secrets, or set DEVELOPMENT=true on a developer's machine only."
        )
        self.problems = problems


def _keys(value: str | Iterable[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def api_key_problem(key: str) -> str | None:
    if key.lower().startswith(DEVELOPMENT_KEY_PREFIX):
        return f"a development key (starting with {DEVELOPMENT_KEY_PREFIX!r})"
    if len(key) < MIN_API_KEY_LENGTH:
        return f"a key shorter than {MIN_API_KEY_LENGTH} characters"
    return None


def hash_key_problem(key: str) -> str | None:
    if key == DEFAULT_PSEUDONYM_KEY:
        return "the default development key"
    if len(key) < MIN_HASH_KEY_LENGTH:
        return f"shorter than {MIN_HASH_KEY_LENGTH} characters"
    return None


def refuse_development_secrets(
    settings: BaseSettings,
    api_keys: Mapping[str, str | Iterable[str]] | None = None,
    hash_keys: Mapping[str, str] | None = None,
) -> None:
    """Raise DevelopmentSecret unless the service runs in development mode or every secret
    is fit for production. `api_keys` and `hash_keys` map a setting's field name to its
    value (API keys: a key, or the keys of a key map; empty ones mean "not set")."""
    if getattr(settings, "development", False):
        return
    prefix = str(settings.model_config.get("env_prefix", "")).upper()
    problems: list[str] = []
    for name, value in (api_keys or {}).items():
        found = {p for k in _keys(value) if k and (p := api_key_problem(k))}
        problems.extend(f"{prefix}{name.upper()} holds {p}" for p in sorted(found))
    for name, key in (hash_keys or {}).items():
        if problem := hash_key_problem(key):
            problems.append(f"{prefix}{name.upper()} is {problem}")
    if problems:
        raise DevelopmentSecret(problems)
