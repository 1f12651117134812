"""The Helm chart (deploy/helm/concord), checked offline: `helm lint`, `helm template` and
kubeconform against the bundled schemas of Kubernetes and of the operators' custom resources
(deploy/helm/fetch-tools.sh builds and fetches them into the cache), then what the rendered
resources say against the code: topics, users and ACLs, autoscaling, settings, secrets."""

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from concord_console.settings import ConsoleSettings
from concord_intake.settings import IntakeSettings
from concord_mediation.settings import MediationSettings
from concord_notification.settings import NotificationSettings
from concord_routing.settings import RoutingSettings
from concord_shared.catalog import consumed_topics
from concord_shared.kafka_access import Grant, grants, principals
from concord_shared.letter_seal import DeadLetterSettings
from concord_shared.registry import load_registry
from concord_shared.strimzi import CHART_CATALOG, render
from concord_shared.topics import SERVICES, all_topics
from pydantic_settings import BaseSettings
from pymongo.uri_parser import parse_uri

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "deploy" / "helm" / "concord"
SINGLE_NODE = CHART / "examples" / "single-node.yaml"
KUBERNETES_VERSION = "1.34.0"
SETTINGS: dict[str, type[BaseSettings]] = {
    "intake": IntakeSettings,
    "routing": RoutingSettings,
    "mediation": MediationSettings,
    "notification": NotificationSettings,
    "console": ConsoleSettings,
}
DEPARTMENTS = sorted(load_registry().department_codes())
Doc = dict[str, Any]


@pytest.fixture(scope="module")
def tools() -> Path:
    out = subprocess.run(
        [str(ROOT / "deploy" / "helm" / "fetch-tools.sh")],
        capture_output=True,
        text=True,
        check=True,
    )
    return Path(out.stdout.strip())


def helm(tools: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(tools / "bin" / "helm"), *args], capture_output=True, text=True, cwd=ROOT
    )


def template(tools: Path, *args: str) -> str:
    done = helm(
        tools, "template", "concord", str(CHART), "--kube-version", KUBERNETES_VERSION, *args
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def docs(text: str) -> list[Doc]:
    return [d for d in yaml.safe_load_all(text) if d]


def kubeconform(tools: Path, manifests: str) -> subprocess.CompletedProcess[str]:
    schemas = tools / "schemas"
    k8s = "{{ .NormalizedKubernetesVersion }}-local{{ .StrictSuffix }}"
    kind = "{{ .ResourceKind }}"
    crd = f"{{{{ .Group }}}}/{kind}_{{{{ .ResourceAPIVersion }}}}.json"
    return subprocess.run(
        [
            str(tools / "bin" / "kubeconform"),
            "-strict",
            "-summary",
            "-kubernetes-version",
            KUBERNETES_VERSION,
            "-schema-location",
            f"{schemas}/kubernetes/{k8s}/{kind}{{{{ .KindSuffix }}}}.json",
            "-schema-location",
            f"{schemas}/crds/{crd}",
            "-",
        ],
        input=manifests,
        capture_output=True,
        text=True,
    )


@pytest.fixture(scope="module")
def production(tools: Path) -> list[Doc]:
    return docs(template(tools))


@pytest.fixture(scope="module")
def single_node(tools: Path) -> list[Doc]:
    return docs(template(tools, "-f", str(SINGLE_NODE)))


def of_kind(rendered: list[Doc], kind: str) -> dict[str, Doc]:
    return {d["metadata"]["name"]: d for d in rendered if d["kind"] == kind}


def env_of(deployment: Doc) -> dict[str, Any]:
    [container] = deployment["spec"]["template"]["spec"]["containers"]
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in container["env"]}


# --- the offline checks ------------------------------------------------------------------


@pytest.mark.parametrize("values", [[], ["-f", str(SINGLE_NODE)]], ids=["production", "single"])
def test_helm_lint_passes(tools: Path, values: list[str]) -> None:
    done = helm(tools, "lint", "--strict", str(CHART), *values)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 chart(s) linted, 0 chart(s) failed" in done.stdout


@pytest.mark.parametrize("values", [[], ["-f", str(SINGLE_NODE)]], ids=["production", "single"])
def test_every_rendered_resource_is_valid_against_its_schema(
    tools: Path, values: list[str]
) -> None:
    manifests = template(tools, *values)
    done = kubeconform(tools, manifests)
    count = len(docs(manifests))
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"{count} resources found" in done.stdout
    assert f"Valid: {count}, Invalid: 0, Errors: 0, Skipped: 0" in done.stdout


@pytest.mark.parametrize(
    ("right", "wrong"),
    [
        ("readinessProbe:", "readinesProbe:"),  # Kubernetes' own schema, strict
        ("patternType: prefix", "patternType: prefixes"),  # Strimzi's KafkaUser
        ("maxReplicaCount:", "maxReplicas:"),  # KEDA's ScaledObject
        ("antiAffinityTopologyKey:", "antiAffinityTopology:"),  # Percona's CR
    ],
)
def test_the_schema_check_fails_on_a_misspelt_field(
    tools: Path, production: list[Doc], right: str, wrong: str
) -> None:
    manifests = template(tools)
    assert right in manifests
    done = kubeconform(tools, manifests.replace(right, wrong, 1))
    assert done.returncode != 0
    assert "Invalid: 1," in done.stdout, done.stdout


def test_a_missing_secret_value_stops_the_rendering_naming_it(tools: Path) -> None:
    values = yaml.safe_load(SINGLE_NODE.read_text())
    del values["secrets"]["values"]["dlq-key"]
    done = subprocess.run(
        [str(tools / "bin" / "helm"), "template", "concord", str(CHART), "-f", "-"],
        input=yaml.safe_dump(values),
        capture_output=True,
        text=True,
    )
    assert done.returncode != 0
    assert "secrets.values.dlq-key is needed with secrets.create" in done.stderr


# --- Kafka: topics and users from the catalog -------------------------------------------


def test_the_charts_kafka_catalog_is_what_the_code_declares() -> None:
    assert CHART_CATALOG.read_text(encoding="utf-8") == render(DEPARTMENTS), (
        "deploy/helm/concord/files/kafka.json is out of date: run `concord-topics chart`"
    )


def test_a_kafka_topic_for_every_declared_topic_three_replicas_two_in_sync(
    production: list[Doc],
) -> None:
    topics = {t["spec"]["topicName"]: t for t in of_kind(production, "KafkaTopic").values()}
    declared = {t.full_name("concord"): t for t in all_topics(DEPARTMENTS)}
    assert set(topics) == set(declared)
    for name, topic in topics.items():
        spec = topic["spec"]
        assert topic["metadata"]["labels"]["strimzi.io/cluster"] == "concord"
        assert spec["partitions"] == declared[name].partitions
        assert spec["replicas"] == 3
        assert spec["config"] == {**declared[name].config(), "min.insync.replicas": "2"}
        assert "_" not in topic["metadata"]["name"]  # a DNS name, though the topic has one


def test_a_single_node_cluster_gets_one_replica(single_node: list[Doc]) -> None:
    for topic in of_kind(single_node, "KafkaTopic").values():
        assert topic["spec"]["replicas"] == 1
        assert topic["spec"]["config"]["min.insync.replicas"] == "1"


def test_the_topic_namespace_prefixes_topics_acls_and_groups(tools: Path) -> None:
    rendered = docs(template(tools, "--set", "topicNamespace=qinghe"))
    names = [t["spec"]["topicName"] for t in of_kind(rendered, "KafkaTopic").values()]
    assert names and all(n.startswith("qinghe.") for n in names)
    for user in of_kind(rendered, "KafkaUser").values():
        for acl in user["spec"]["authorization"]["acls"]:
            assert acl["resource"]["name"].startswith("qinghe."), acl
    for scaled in of_kind(rendered, "ScaledObject").values():
        for trigger in scaled["spec"]["triggers"]:
            assert trigger["metadata"]["consumerGroup"].startswith("qinghe.")
            assert trigger["metadata"]["topic"].startswith("qinghe.")


def test_each_principal_is_a_kafka_user_with_exactly_the_acls_the_code_grants(
    production: list[Doc],
) -> None:
    users = of_kind(production, "KafkaUser")
    assert set(users) == set(principals(DEPARTMENTS))
    operations = {
        "Read": "READ",
        "Write": "WRITE",
        "Create": "CREATE",
        "Alter": "ALTER",
        "DescribeConfigs": "DESCRIBE_CONFIGS",
        "AlterConfigs": "ALTER_CONFIGS",
    }
    patterns = {"literal": "LITERAL", "prefix": "PREFIXED"}
    rendered = set()
    for name, user in users.items():
        assert user["spec"]["authentication"] == {"type": "scram-sha-512"}
        for acl in user["spec"]["authorization"]["acls"]:
            res = acl["resource"]
            for op in acl["operations"]:
                rendered.add(
                    Grant(
                        name,
                        res["type"].upper(),
                        res["name"],
                        patterns[res["patternType"]],  # type: ignore[arg-type]
                        operations[op],  # type: ignore[arg-type]
                        acl["type"].upper(),
                    )
                )
    assert rendered == set(grants("concord", DEPARTMENTS))


def test_a_department_reads_only_its_own_topic(production: list[Doc]) -> None:
    user = of_kind(production, "KafkaUser")["department-civil-affairs"]
    read = {
        a["resource"]["name"]
        for a in user["spec"]["authorization"]["acls"]
        if "Read" in a["operations"] and a["resource"]["type"] == "topic"
    }
    assert read == {"concord.horizontal.civil_affairs"}


# --- autoscaling on lag --------------------------------------------------------------------


def test_each_consuming_service_scales_on_the_lag_of_every_topic_its_group_reads(
    production: list[Doc],
) -> None:
    scaled = of_kind(production, "ScaledObject")
    assert set(scaled) == {f"concord-{s}" for s in SERVICES}
    deployments = of_kind(production, "Deployment")
    for service in SERVICES:
        spec = scaled[f"concord-{service}"]["spec"]
        assert spec["scaleTargetRef"]["name"] in deployments
        assert "replicas" not in deployments[f"concord-{service}"]["spec"]  # KEDA's to set
        topics = [t["metadata"]["topic"] for t in spec["triggers"]]
        assert topics == [t.full_name("concord") for t in consumed_topics(service, DEPARTMENTS)]
        for trigger in spec["triggers"]:
            assert trigger["type"] == "kafka"
            assert trigger["metadata"]["consumerGroup"] == f"concord.{service}"
            assert trigger["metadata"]["allowIdleConsumers"] == "false"
            assert trigger["authenticationRef"]["name"] == f"concord-{service}-kafka"


@pytest.mark.parametrize("asked", [2, 4, 12])
def test_replicas_never_exceed_the_partitions_of_the_topics_read(tools: Path, asked: int) -> None:
    args = [f"--set=services.{s}.maxReplicas={asked}" for s in SERVICES]
    rendered = docs(template(tools, *args))
    for service in SERVICES:
        spec = of_kind(rendered, "ScaledObject")[f"concord-{service}"]["spec"]
        most = max(t.partitions for t in consumed_topics(service, DEPARTMENTS))
        assert spec["maxReplicaCount"] == min(asked, most)
        assert spec["minReplicaCount"] <= spec["maxReplicaCount"]


def test_keda_reads_the_lag_as_the_service_over_tls(production: list[Doc]) -> None:
    auth = of_kind(production, "TriggerAuthentication")["concord-routing-kafka"]["spec"]
    scaler = of_kind(production, "ConfigMap")["concord-kafka-scaler"]["data"]
    params = {r["parameter"]: scaler[r["key"]] for r in auth["configMapTargetRef"]}
    assert params == {"sasl": "scram_sha512", "tls": "enable", "username": "concord-routing"}
    secrets = {r["parameter"]: (r["name"], r["key"]) for r in auth["secretTargetRef"]}
    assert secrets == {
        "password": ("concord-routing", "password"),  # Strimzi's Secret for the user
        "ca": ("concord-cluster-ca-cert", "ca.crt"),
    }


def test_without_autoscaling_the_deployments_keep_their_replicas(tools: Path) -> None:
    rendered = docs(template(tools, "--set", "autoscaling.enabled=false"))
    assert not of_kind(rendered, "ScaledObject")
    for deployment in of_kind(rendered, "Deployment").values():
        assert deployment["spec"]["replicas"] == 2


# --- the Deployments ---------------------------------------------------------------------


def test_one_deployment_service_and_disruption_budget_per_service(
    production: list[Doc],
) -> None:
    names = {f"concord-{s}" for s in SETTINGS}
    assert set(of_kind(production, "Deployment")) == names
    assert set(of_kind(production, "Service")) == names
    budgets = of_kind(production, "PodDisruptionBudget")
    assert set(budgets) == names
    for name, budget in budgets.items():
        assert budget["spec"]["maxUnavailable"] == 1
        selector = budget["spec"]["selector"]["matchLabels"]
        pod = of_kind(production, "Deployment")[name]["spec"]["template"]["metadata"]
        assert selector.items() <= pod["labels"].items()


def test_probes_ask_health_and_ready_on_the_services_port(production: list[Doc]) -> None:
    for service, settings in SETTINGS.items():
        deployment = of_kind(production, "Deployment")[f"concord-{service}"]
        [container] = deployment["spec"]["template"]["spec"]["containers"]
        port = settings.model_fields["http_port"].default
        assert container["ports"] == [{"name": "http", "containerPort": port, "protocol": "TCP"}]
        assert container["livenessProbe"]["httpGet"] == {"path": "/health", "port": "http"}
        assert container["startupProbe"]["httpGet"] == {"path": "/health", "port": "http"}
        assert container["readinessProbe"]["httpGet"] == {"path": "/ready", "port": "http"}
        assert container["image"] == f"registry.example.org/concord/concord-{service}:0.1.0"
        annotations = deployment["spec"]["template"]["metadata"]["annotations"]
        assert annotations["prometheus.io/port"] == str(port)
        assert annotations["prometheus.io/path"] == "/metrics"


def test_every_environment_variable_is_a_setting_the_code_reads(production: list[Doc]) -> None:
    dlq = DeadLetterSettings.model_config["env_prefix"]
    for service, settings in SETTINGS.items():
        env = env_of(of_kind(production, "Deployment")[f"concord-{service}"])
        prefix = settings.model_config["env_prefix"]
        for key in env:
            if key == "MONGO_PASSWORD":  # only to be put into the store's URL
                continue
            if key.startswith(dlq):
                assert key.removeprefix(dlq).lower() in DeadLetterSettings.model_fields
                continue
            assert key.startswith(prefix), key
            assert key.removeprefix(prefix).lower() in settings.model_fields, key
        # Each setting given parses as the service reads it.
        plain = {
            k.removeprefix(prefix).lower(): v
            for k, v in env.items()
            if k.startswith(prefix) and isinstance(v, str)
        }
        if service in ("routing", "mediation"):  # the deadlines' working days
            assert json.loads(plain["calendar_paths"]) == ["/etc/concord/config/calendar.yaml"]


def test_each_backend_logs_in_as_its_own_principal_and_store_user(production: list[Doc]) -> None:
    for service in SERVICES:
        env = env_of(of_kind(production, "Deployment")[f"concord-{service}"])
        p = f"CONCORD_{service.upper()}_"
        assert env[p + "KAFKA_SECURITY_PROTOCOL"] == "SASL_SSL"
        assert env[p + "KAFKA_SASL_USERNAME"] == f"concord-{service}"
        assert env[p + "KAFKA_SASL_PASSWORD"] == {
            "secretKeyRef": {"name": f"concord-{service}", "key": "password"}
        }
        assert env["MONGO_PASSWORD"] == {
            "secretKeyRef": {"name": "concord-secrets", "key": f"mongo-{service}-password"}
        }
        # $(MONGO_PASSWORD) is filled in by Kubernetes from the variable declared before.
        names = list(env)
        assert names.index("MONGO_PASSWORD") < names.index(p + "MONGO_URL")
        uri = parse_uri(env[p + "MONGO_URL"].replace("$(MONGO_PASSWORD)", "secret"))
        assert uri["username"] == f"concord_{service}"
        assert uri["database"] == env[p + "MONGO_DB"] == f"concord_{service}"
        assert uri["options"]["authSource"] == f"concord_{service}"
        assert uri["options"]["replicaSet"] == "rs0"


def test_the_store_has_one_user_per_service_on_its_own_database(production: list[Doc]) -> None:
    [store] = of_kind(production, "PerconaServerMongoDB").values()
    spec = store["spec"]
    assert spec["replsets"][0]["size"] == 3
    assert "unsafeFlags" not in spec
    users = {u["name"]: u for u in spec["users"]}
    assert set(users) == {f"concord_{s}" for s in SERVICES}
    for service in SERVICES:
        user = users[f"concord_{service}"]
        assert user["db"] == f"concord_{service}"
        assert user["roles"] == [{"name": "readWrite", "db": f"concord_{service}"}]
        assert user["passwordSecretRef"]["key"] == f"mongo-{service}-password"


def test_a_store_of_ones_own_needs_its_hosts(tools: Path) -> None:
    done = helm(tools, "template", "concord", str(CHART), "--set", "mongodb.create=false")
    assert done.returncode != 0
    assert "mongodb.hosts is needed when mongodb.create is false" in done.stderr
    rendered = docs(
        template(
            tools,
            "--set",
            "mongodb.create=false",
            "--set",
            "mongodb.hosts=m0:27017\\,m1:27017/?replicaSet=rs1",
        )
    )
    assert not of_kind(rendered, "PerconaServerMongoDB")
    env = env_of(of_kind(rendered, "Deployment")["concord-routing"])
    uri = parse_uri(env["CONCORD_ROUTING_MONGO_URL"].replace("$(MONGO_PASSWORD)", "s"))
    assert uri["nodelist"] == [("m0", 27017), ("m1", 27017)]
    assert uri["options"]["authSource"] == "concord_routing"


def test_every_secret_key_the_pods_use_is_one_the_chart_secret_has(
    single_node: list[Doc],
) -> None:
    [secret] = of_kind(single_node, "Secret").values()
    keys = set(secret["stringData"])
    used = set()
    for deployment in of_kind(single_node, "Deployment").values():
        pod = deployment["spec"]["template"]["spec"]
        for value in env_of(deployment).values():
            ref = value.get("secretKeyRef") if isinstance(value, dict) else None
            if ref and ref["name"] == secret["metadata"]["name"]:
                used.add(ref["key"])
        for volume in pod["volumes"]:
            if volume.get("secret", {}).get("secretName") == secret["metadata"]["name"]:
                used.update(i["key"] for i in volume["secret"]["items"])
    assert used == keys
    documented = (CHART / "values.yaml").read_text()
    for key in keys:
        stem = key.split("-")[0]
        assert (
            key in documented
            or f"{stem}-<service>" in documented
            or (key.endswith("-api-keys") and "<service>-api-keys" in documented)
        ), key


def test_the_files_the_services_read_are_mounted_from_the_config_map(
    production: list[Doc],
) -> None:
    [config] = [c for n, c in of_kind(production, "ConfigMap").items() if n.endswith("-config")]
    sample = ROOT / "deploy" / "sample"
    assert config["data"]["registry.yaml"] == (sample / "registry.yaml").read_text().rstrip("\n")
    assert config["data"]["calendar.yaml"] == (
        (sample / "calendar-cn-2026.yaml").read_text().rstrip("\n")
    )
    for service in SETTINGS:
        deployment = of_kind(production, "Deployment")[f"concord-{service}"]
        [container] = deployment["spec"]["template"]["spec"]["containers"]
        mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
        assert mounts["/etc/concord/config"] == "config"
        for key, value in env_of(deployment).items():
            if isinstance(value, str) and value.startswith("/etc/concord/config/"):
                assert value.removeprefix("/etc/concord/config/") in config["data"], key
        checksum = deployment["spec"]["template"]["metadata"]["annotations"]["checksum/config"]
        assert len(checksum) == 64  # a change to the files rolls the pods


def test_the_dashboard_ships_in_the_chart(production: list[Doc]) -> None:
    board = of_kind(production, "ConfigMap")["concord-dashboard"]
    assert board["metadata"]["labels"]["grafana_dashboard"] == "1"
    shipped = json.loads(board["data"]["concord-services.json"])
    source = CHART / "files" / "dashboards" / "concord-services.json"
    assert shipped == json.loads(source.read_text())
    assert shipped["panels"]
