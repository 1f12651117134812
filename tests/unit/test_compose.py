"""docker-compose.yml cannot run here (no Docker engine); this keeps it in agreement with the
code: the services, their ports, their environment variables and the topics they use."""

from pathlib import Path

import yaml
from concord_intake.settings import IntakeSettings
from concord_mediation.settings import MediationSettings
from concord_notification.settings import NotificationSettings
from concord_routing.settings import RoutingSettings
from concord_shared.settings import ServiceSettings
from pydantic_settings import BaseSettings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SETTINGS: dict[str, type[BaseSettings]] = {
    "intake": IntakeSettings,
    "routing": RoutingSettings,
    "mediation": MediationSettings,
    "notification": NotificationSettings,
}


def test_every_service_is_in_compose_with_its_own_dockerfile() -> None:
    for name in SETTINGS:
        service = COMPOSE["services"][name]
        dockerfile = service["build"]["dockerfile"]
        assert dockerfile == f"services/{name}/Dockerfile"
        assert (ROOT / dockerfile).is_file()
        assert f"concord-{name}" in (ROOT / dockerfile).read_text()


def test_ports_match_the_settings_defaults() -> None:
    for name, settings in SETTINGS.items():
        port = settings.model_fields["http_port"].default
        service = COMPOSE["services"][name]
        assert service["ports"] == [f"{port}:{port}"]
        assert service["environment"][f"CONCORD_{name.upper()}_HTTP_PORT"] == str(port)
        assert f"{port}/ready" in str(service["healthcheck"]["test"])


def test_environment_variables_are_settings_the_code_reads() -> None:
    for name, settings in SETTINGS.items():
        prefix = settings.model_config["env_prefix"]
        assert prefix == f"CONCORD_{name.upper()}_"
        env = COMPOSE["services"][name]["environment"]
        for key in env:
            assert key.startswith(prefix), key
            assert key.removeprefix(prefix).lower() in settings.model_fields, key
        for needed in ("KAFKA_BOOTSTRAP_SERVERS", "MONGO_URL", "MONGO_DB"):
            assert prefix + needed in env


def test_one_database_per_service_and_one_topic_namespace() -> None:
    databases = [
        COMPOSE["services"][n]["environment"][f"CONCORD_{n.upper()}_MONGO_DB"] for n in SETTINGS
    ]
    assert len(set(databases)) == len(databases)
    namespaces = {
        COMPOSE["services"][n]["environment"][f"CONCORD_{n.upper()}_TOPIC_NAMESPACE"]
        for n in SETTINGS
    }
    topics_job = COMPOSE["services"]["topics"]
    assert namespaces == {topics_job["environment"]["CONCORD_TOPIC_NAMESPACE"]}
    assert namespaces == {ServiceSettings.model_fields["topic_namespace"].default}
    assert "provision" in topics_job["command"]
    for name in SETTINGS:
        assert "topics" in COMPOSE["services"][name]["depends_on"]


def test_brokers_and_store_are_the_real_images() -> None:
    assert COMPOSE["services"]["kafka"]["image"].startswith("apache/kafka:4.")
    assert COMPOSE["services"]["mongo"]["image"].startswith("mongo:")
    assert COMPOSE["services"]["kafka"]["environment"]["KAFKA_PROCESS_ROLES"] == "broker,controller"
