"""docker-compose.yml cannot run here (no Docker engine); this keeps it in agreement with the
code: the services, their ports, their environment variables and the topics they use."""

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from concord_console.settings import ConsoleSettings
from concord_intake.settings import IntakeSettings
from concord_mediation.settings import MediationSettings
from concord_notification.settings import NotificationSettings
from concord_routing.settings import RoutingSettings
from concord_shared.kafka_access import ADMIN, CONTROLLER, principals, service_principal
from concord_shared.letter_seal import DeadLetterSettings
from concord_shared.settings import ServiceSettings
from pydantic_settings import BaseSettings
from pymongo.uri_parser import parse_uri

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SETTINGS: dict[str, type[BaseSettings]] = {
    "intake": IntakeSettings,
    "routing": RoutingSettings,
    "mediation": MediationSettings,
    "notification": NotificationSettings,
}


def test_every_service_is_an_image_of_the_one_dockerfile_built_for_it() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "ARG SERVICE" in dockerfile and "ARG PORT" in dockerfile
    assert '--package "concord-$SERVICE"' in dockerfile
    entry = (ROOT / "deploy" / "docker" / "entrypoint.sh").read_text()
    assert 'exec "/app/.venv/bin/concord-$CONCORD_SERVICE"' in entry
    every: dict[str, type[BaseSettings]] = {**SETTINGS, "console": ConsoleSettings}
    for name, settings in every.items():
        build = COMPOSE["services"][name]["build"]
        assert build["context"] == "." and build["dockerfile"] == "Dockerfile"
        assert build["args"]["SERVICE"] == name
        # Its scripts' names: the package's entry point the image runs.
        pyproject = (ROOT / "services" / name / "pyproject.toml").read_text()
        assert f'concord-{name} = "concord_{name}.main:run"' in pyproject
        assert build["args"]["PORT"] == str(settings.model_fields["http_port"].default)


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
        # The dead-letter key is one for all services (and the operators' tool).
        dlq_prefix = DeadLetterSettings.model_config["env_prefix"]
        for key in env:
            if key.startswith(dlq_prefix):
                assert key.removeprefix(dlq_prefix).lower() in DeadLetterSettings.model_fields
                continue
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
    # The job runs `concord-topics provision` with every principal's password (provision.sh).
    assert topics_job["command"] == ["sh", "/concord/provision.sh"]
    script = (ROOT / "deploy/compose/provision.sh").read_text()
    assert 'concord-topics}" provision --passwords' in script
    for name in SETTINGS:
        assert "topics" in COMPOSE["services"][name]["depends_on"]


def test_brokers_and_store_are_the_real_images() -> None:
    assert COMPOSE["services"]["kafka"]["image"].startswith("apache/kafka:4.")
    assert COMPOSE["services"]["mongo"]["image"].startswith("mongo:")
    assert COMPOSE["services"]["kafka"]["environment"]["KAFKA_PROCESS_ROLES"] == "broker,controller"


# --- Locked broker and store (issue 13): what compose must carry, checked without Docker. ---

COMPOSE_TEXT = (ROOT / "docker-compose.yml").read_text()
COMPOSE_DIR = ROOT / "deploy" / "compose"
REQUIRED = re.compile(r"\$\{(\w+):\?[^}]*\}")
KAFKA_ENV = COMPOSE["services"]["kafka"]["environment"]


def required_variable(value: str) -> str:
    """The one `${NAME:?...}` variable a value is made of (compose stops when it is unset)."""
    names = REQUIRED.findall(value)
    assert len(names) == 1, value
    return str(names[0])


def test_compose_is_valid_against_the_compose_specification() -> None:
    result = subprocess.run(
        [
            str(ROOT / ".venv/bin/check-jsonschema"),
            *("--builtin-schema", "vendor.compose-spec"),
            str(ROOT / "docker-compose.yml"),
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_kafka_takes_only_scram_logins_over_tls_and_denies_without_an_acl() -> None:
    protocols = dict(
        p.split(":") for p in KAFKA_ENV["KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"].split(",")
    )
    listeners = dict(item.split("://") for item in KAFKA_ENV["KAFKA_LISTENERS"].split(","))
    assert set(protocols) == set(listeners)
    controller = KAFKA_ENV["KAFKA_CONTROLLER_LISTENER_NAMES"]
    for name, protocol in protocols.items():
        # Clients reach SASL_SSL listeners only; the controller's is on the container's loopback.
        assert protocol == ("SASL_PLAINTEXT" if name == controller else "SASL_SSL"), name
    assert listeners[controller].startswith("localhost:")
    advertised = KAFKA_ENV["KAFKA_ADVERTISED_LISTENERS"]
    assert controller not in advertised
    assert KAFKA_ENV["KAFKA_SASL_ENABLED_MECHANISMS"] == "SCRAM-SHA-512"
    assert KAFKA_ENV["KAFKA_SASL_MECHANISM_INTER_BROKER_PROTOCOL"] == "SCRAM-SHA-512"
    assert KAFKA_ENV["KAFKA_SASL_MECHANISM_CONTROLLER_PROTOCOL"] == "PLAIN"
    assert (
        KAFKA_ENV["KAFKA_AUTHORIZER_CLASS_NAME"]
        == "org.apache.kafka.metadata.authorizer.StandardAuthorizer"
    )
    assert KAFKA_ENV["KAFKA_ALLOW_EVERYONE_IF_NO_ACL_FOUND"] == "false"
    assert KAFKA_ENV["KAFKA_SUPER_USERS"] == f"User:{ADMIN};User:{CONTROLLER}"
    # The same rules as the local broker of deploy/local.
    local = (ROOT / "deploy/local/kafka/server.properties.in").read_text()
    for line in (
        f"authorizer.class.name={KAFKA_ENV['KAFKA_AUTHORIZER_CLASS_NAME']}",
        "allow.everyone.if.no.acl.found=false",
        f"super.users={KAFKA_ENV['KAFKA_SUPER_USERS']}",
    ):
        assert line in local.splitlines()
    # No password is written into the broker's environment; start.sh reads them from secrets.
    assert not any("password" in str(v).lower() for v in KAFKA_ENV.values())
    assert set(COMPOSE["services"]["kafka"]["secrets"]) == {
        "kafka_admin_password",
        "kafka_controller_password",
    }


def rendered_properties(env: dict[str, str]) -> dict[str, str]:
    """The broker properties start.sh formats the storage with, from these variables."""
    script = COMPOSE_DIR / "kafka" / "start.sh"
    function = re.search(r"^render_properties\(\) \{.*?^\}", script.read_text(), re.S | re.M)
    assert function is not None
    result = subprocess.run(
        ["bash", "-c", f"{function.group(0)}\nrender_properties"],
        env={"PATH": os.environ["PATH"], **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return dict(line.split("=", 1) for line in result.stdout.splitlines())


def test_start_sh_names_the_properties_as_the_image_does() -> None:
    env = {k: str(v) for k, v in KAFKA_ENV.items() if k.startswith("KAFKA_")}
    env["KAFKA_LISTENER_NAME_INTERNAL_SCRAM___SHA___512_SASL_JAAS_CONFIG"] = "x required;"
    env["KAFKA_HEAP_OPTS"] = "-Xmx1g"  # a JVM option, not a property
    props = rendered_properties(env)
    assert props["listener.name.internal.scram-sha-512.sasl.jaas.config"] == "x required;"
    assert props["listener.name.controller.sasl.enabled.mechanisms"] == "PLAIN"
    assert props["allow.everyone.if.no.acl.found"] == "false"
    assert props["controller.quorum.voters"] == "1@localhost:9093"
    assert "heap.opts" not in props
    # The administrator's credential goes into the metadata when the storage is formatted.
    assert (
        '--add-scram "SCRAM-SHA-512=[name=concord-admin,'
        in (COMPOSE_DIR / "kafka" / "start.sh").read_text()
    )


def test_each_service_logs_in_to_kafka_as_its_own_principal_over_tls() -> None:
    secrets = COMPOSE["secrets"]
    topics = COMPOSE["services"]["topics"]
    seen = set()
    for name in SETTINGS:
        service = COMPOSE["services"][name]
        env = service["environment"]
        prefix = f"CONCORD_{name.upper()}_"
        assert env[prefix + "KAFKA_SECURITY_PROTOCOL"] == "SASL_SSL"
        assert env[prefix + "KAFKA_SASL_USERNAME"] == service_principal(name)
        assert service_principal(name) in principals([])
        variable = required_variable(env[prefix + "KAFKA_SASL_PASSWORD"])
        seen.add(variable)
        # The provisioning job sets that principal's password from the same variable.
        assert secrets[f"kafka_{name}_password"] == {"environment": variable}
        assert f"kafka_{name}_password" in topics["secrets"]
        assert env[prefix + "KAFKA_SSL_CAFILE"] == "/certs/ca.pem"
        assert "kafka-ca:/certs:ro" in service["volumes"]
        assert not any("kafka-tls" in v for v in service["volumes"])  # the broker's key
    assert len(seen) == len(SETTINGS)
    assert topics["environment"]["CONCORD_KAFKA_SASL_USERNAME"] == ADMIN
    assert {"kafka_admin_password", "kafka_passwords"} <= set(topics["secrets"])


def test_each_service_has_a_mongo_user_of_its_own_database_only() -> None:
    users = json.loads((COMPOSE_DIR / "mongo-init" / "users.json").read_text())
    mongo = COMPOSE["services"]["mongo"]
    assert mongo["environment"]["MONGO_INITDB_ROOT_USERNAME"]
    assert mongo["environment"]["MONGO_INITDB_ROOT_PASSWORD_FILE"].startswith("/run/secrets/")
    assert "./deploy/compose/mongo-init:/docker-entrypoint-initdb.d:ro" in mongo["volumes"]
    for name in SETTINGS:
        env = COMPOSE["services"][name]["environment"]
        prefix = f"CONCORD_{name.upper()}_"
        database = env[prefix + "MONGO_DB"]
        url = env[prefix + "MONGO_URL"]
        variable = required_variable(url)
        parsed = parse_uri(REQUIRED.sub("secret", url))
        assert parsed["username"] == database == f"concord_{name}"
        assert parsed["database"] == database
        assert parsed["options"]["authSource"] == database
        user = users[database]
        assert user["roles"] == [{"role": "readWrite", "db": database}]
        assert user["password_secret"] in mongo["secrets"]
        assert COMPOSE["secrets"][user["password_secret"]] == {"environment": variable}
    assert set(users) == {f"concord_{n}" for n in SETTINGS}


@pytest.mark.skipif(shutil.which("node") is None, reason="needs node to run the init script")
def test_the_init_script_creates_each_user_with_readwrite_on_its_own_database(
    tmp_path: Path,
) -> None:
    for name in SETTINGS:
        (tmp_path / f"mongo_{name}_password").write_text(f"pw-{name}\n")
    stub = """
        const calls = [];
        globalThis.print = () => {};
        const createUser = (db) => (u) => calls.push({ db, ...u });
        globalThis.db = { getSiblingDB: (name) => ({ createUser: createUser(name) }) };
        require(process.argv[1]);
        console.log(JSON.stringify(calls));
    """
    result = subprocess.run(
        ["node", "-e", stub, str(COMPOSE_DIR / "mongo-init" / "10-service-users.js")],
        env={
            "PATH": os.environ["PATH"],
            "CONCORD_INITDB_DIR": str(COMPOSE_DIR / "mongo-init"),
            "CONCORD_SECRETS": str(tmp_path),
        },
        capture_output=True,
        text=True,
        check=True,
    )
    created = {c["user"]: c for c in json.loads(result.stdout)}
    assert set(created) == {f"concord_{n}" for n in SETTINGS}
    for name in SETTINGS:
        user = created[f"concord_{name}"]
        assert user["db"] == f"concord_{name}"  # its authSource
        assert user["pwd"] == f"pw-{name}"
        assert user["roles"] == [{"role": "readWrite", "db": f"concord_{name}"}]


def test_no_secret_is_written_in_compose_and_the_example_names_each() -> None:
    for service in COMPOSE["services"].values():
        for key, value in (service.get("environment") or {}).items():
            if any(word in key for word in ("PASSWORD", "API_KEY", "PSEUDONYM_KEY")):
                if not key.endswith("_FILE"):
                    required_variable(str(value))
            if key.endswith("MONGO_URL"):
                required_variable(str(value))
    example = (COMPOSE_DIR / ".env.example").read_text()
    given = dict(
        line.split("=", 1) for line in example.splitlines() if line and not line.startswith("#")
    )
    needed = set(REQUIRED.findall(COMPOSE_TEXT))
    needed |= {s["environment"] for s in COMPOSE["secrets"].values() if "environment" in s}
    assert needed == set(given)
    for name, value in given.items():
        assert "<" in value or value.startswith("./"), f"{name} in .env.example holds a value"
    ignored = (COMPOSE_DIR / ".gitignore").read_text().split()
    assert ".env" in ignored and "secrets/" in ignored


def test_the_console_runs_beside_the_services_with_settings_it_reads() -> None:
    service = COMPOSE["services"]["console"]
    assert service["build"]["args"] == {
        "SERVICE": "console",
        "PORT": "8000",
        "HEALTH_PATH": "/health",
    }
    port = ConsoleSettings.model_fields["http_port"].default
    assert service["ports"] == [f"{port}:{port}"]
    env = service["environment"]
    for key in env:
        assert key.removeprefix("CONCORD_CONSOLE_").lower() in ConsoleSettings.model_fields, key
    # No store, no broker: the console works through the services' APIs only.
    assert not any("MONGO" in k or "KAFKA" in k for k in env)
    for name in SETTINGS:
        assert env[f"CONCORD_CONSOLE_{name.upper()}_URL"].startswith(f"http://{name}:")
    for secret in ("SESSION_SECRET", "KEYS", "CITIZEN_FEEDBACK_KEY"):
        required_variable(str(env[f"CONCORD_CONSOLE_{secret}"]))
