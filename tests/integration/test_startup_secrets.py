"""Outside development mode a service refuses to start with a development secret -- the
default pseudonym key, a too-short one, a "dev-" or short API key -- and says which setting;
with real secrets it starts. Each service is started as its own process, as in production."""

import json
import secrets
import subprocess

import pytest
from cryptography.fernet import Fernet

from tests.support.stack import BIN, ServiceProcess, Services, free_port

pytestmark = pytest.mark.real

GOOD_PSEUDONYM_KEY = secrets.token_urlsafe(32)
GOOD_API_KEYS = {
    "intake": {secrets.token_urlsafe(24): {"role": "integration"}},
    "routing": {secrets.token_urlsafe(24): {"role": "admin"}},
    "mediation": {secrets.token_urlsafe(24): {"role": "supervisor"}},
    "notification": {secrets.token_urlsafe(24): {"role": "operator"}},
}


def production_env(services: Services, name: str, **settings: str) -> dict[str, str]:
    """The session's settings for `name`, with development mode off and real secrets,
    then `settings` (without the prefix) on top."""
    prefix = f"CONCORD_{name.upper()}_"
    env = services.env_for(name, free_port())
    env[f"{prefix}DEVELOPMENT"] = "false"
    env[f"{prefix}API_KEYS"] = json.dumps(GOOD_API_KEYS[name])
    if name == "intake":
        env[f"{prefix}PSEUDONYM_KEY"] = GOOD_PSEUDONYM_KEY
    if name == "notification":
        env[f"{prefix}INTAKE_API_KEY"] = secrets.token_urlsafe(24)
    env["CONCORD_DLQ_KEY"] = Fernet.generate_key().decode()
    env.update({f"{prefix}{k}": v for k, v in settings.items()})
    return env


def refused(name: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / f"concord-{name}")],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


DEV_KEYS = {
    "intake": ("API_KEYS", json.dumps({"dev-integration": {"role": "integration"}})),
    "routing": ("API_KEYS", json.dumps({"dev-routing-admin": {"role": "admin"}})),
    "mediation": ("API_KEYS", json.dumps({"short-key": {"role": "supervisor"}})),
    "notification": ("INTAKE_API_KEY", "dev-notifier"),
}


@pytest.mark.parametrize("name", sorted(DEV_KEYS))
def test_a_development_api_key_stops_the_service_with_the_reason(
    services: Services, name: str
) -> None:
    setting, value = DEV_KEYS[name]
    result = refused(name, production_env(services, name, **{setting: value}))
    assert result.returncode != 0
    message = result.stderr
    assert "refusing to start outside development mode" in message
    assert f"CONCORD_{name.upper()}_{setting}" in message
    assert "dev-integration" not in message and "short-key" not in message  # no secret shown
    assert "Traceback" not in message


@pytest.mark.parametrize(
    ("pseudonym_key", "problem"),
    [
        (None, "the default development key"),
        ("too-short-a-key", "shorter than 32 characters"),
    ],
)
def test_intake_refuses_the_default_or_a_short_pseudonym_key(
    services: Services, pseudonym_key: str | None, problem: str
) -> None:
    env = production_env(services, "intake")
    del env["CONCORD_INTAKE_PSEUDONYM_KEY"]
    if pseudonym_key is not None:
        env["CONCORD_INTAKE_PSEUDONYM_KEY"] = pseudonym_key
    result = refused("intake", env)
    assert result.returncode != 0
    assert f"CONCORD_INTAKE_PSEUDONYM_KEY is {problem}" in result.stderr


def test_the_development_keys_of_make_run_start_in_development_mode(services: Services) -> None:
    """`make run` stays a development mode: deploy/local/dev.env's keys are accepted there
    (the session's services run that way too; this one proves it with a dev- key)."""
    port = free_port()
    env = production_env(
        services,
        "intake",
        DEVELOPMENT="true",
        PSEUDONYM_KEY="concord-local-development-key",
        API_KEYS=json.dumps({"dev-integration": {"role": "integration"}}),
        HTTP_PORT=str(port),
    )
    process = ServiceProcess("intake", env, services.log_dir / "intake-devmode.log", port)
    process.start()
    try:
        process.wait_ready()
    finally:
        process.stop()


@pytest.mark.parametrize("name", sorted(GOOD_API_KEYS))
def test_with_real_secrets_every_service_starts(services: Services, name: str) -> None:
    port = free_port()
    env = production_env(services, name, HTTP_PORT=str(port))
    process = ServiceProcess(name, env, services.log_dir / f"{name}-production.log", port)
    process.start()
    try:
        process.wait_ready()
        assert process.running
    finally:
        process.stop()


@pytest.mark.parametrize("name", sorted(GOOD_API_KEYS))
def test_without_a_dead_letter_key_a_service_stops_with_the_reason(
    services: Services, name: str
) -> None:
    env = production_env(services, name)
    del env["CONCORD_DLQ_KEY"]
    result = refused(name, env)
    assert result.returncode != 0
    assert "CONCORD_DLQ_KEY (the dead-letter key) is not set" in result.stderr
    assert "Traceback" not in result.stderr
