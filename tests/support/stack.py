"""The real local infrastructure and the four services as processes, for tests.

Every test session works in its own topic namespace and its own databases, so it never reads
what a `make run` stack or an earlier session left behind, and it removes both at the end.
"""

import json
import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from concord_shared.kafka_access import ADMIN, service_principal
from concord_shared.kafka_auth import local_auth

ROOT = Path(__file__).resolve().parents[2]
STACK_SH = ROOT / "deploy" / "local" / "stack.sh"
BIN = ROOT / ".venv" / "bin"
SERVICES = ("intake", "routing", "mediation", "notification")
# API keys the test services accept; tests use them by name.
INTEGRATION_KEY = "test-integration-key"
RECEPTION_KEY = "test-reception-chengguan"  # platform 339901001 (Chengguan town)
AUDITOR_KEY = "test-auditor-key"
NOTIFIER_KEY = "test-notifier-key"  # notification's key for intake's contact endpoint
API_KEYS = {
    INTEGRATION_KEY: {"role": "integration"},
    RECEPTION_KEY: {"role": "reception", "platform": "339901001"},
    AUDITOR_KEY: {"role": "auditor"},
    NOTIFIER_KEY: {"role": "notifier"},
}
# Keys of notification's subscriptions API.
LAND_KEY = "test-department-land"
HRSS_KEY = "test-department-hrss"
OPERATOR_KEY = "test-notification-operator"
NOTIFICATION_API_KEYS = {
    OPERATOR_KEY: {"role": "operator"},
    LAND_KEY: {"role": "department", "department": "land"},
    HRSS_KEY: {"role": "department", "department": "hrss"},
}
# Notification in tests: quick retries, a quick dispatcher, endpoints paused after 2 failures.
NOTIFICATION_TUNING = {
    "DELIVERY_ATTEMPTS": "3",
    "RETRY_BASE_DELAY_S": "0.05",
    "RETRY_MAX_DELAY_S": "0.2",
    "DISPATCH_INTERVAL_S": "0.2",
    "PAUSE_AFTER_FAILURES": "2",
    "SEND_TIMEOUT_S": "3",
}
# Routing's keys: an administrator (rules, registry, audit, every case), Chengguan's staff
# (township 339901001), the staff of one of its villages and of the other township, an auditor.
ROUTING_ADMIN_KEY = "test-routing-admin"
ROUTING_STAFF_KEY = "test-routing-staff-chengguan"
ROUTING_VILLAGE_STAFF_KEY = "test-routing-staff-001001"  # village 339901001001, below Chengguan
ROUTING_OTHER_TOWNSHIP_STAFF_KEY = "test-routing-staff-002"  # township 339901002
ROUTING_AUDITOR_KEY = "test-routing-auditor"
ROUTING_LAND_KEY = "test-routing-department-land"  # the console's clerks of one department
ROUTING_HRSS_KEY = "test-routing-department-hrss"
ROUTING_KEYS = {
    ROUTING_ADMIN_KEY: {"role": "admin", "holder": "test administrator"},
    ROUTING_STAFF_KEY: {"role": "staff", "platform": "339901001", "holder": "test staff"},
    ROUTING_VILLAGE_STAFF_KEY: {"role": "staff", "platform": "339901001001", "holder": "clerk-5"},
    ROUTING_OTHER_TOWNSHIP_STAFF_KEY: {"role": "staff", "platform": "339901002", "holder": "c-8"},
    ROUTING_AUDITOR_KEY: {"role": "auditor", "holder": "test auditor"},
    ROUTING_LAND_KEY: {"role": "department", "department": "land", "holder": "land-clerk-1"},
    ROUTING_HRSS_KEY: {"role": "department", "department": "hrss", "holder": "hrss-clerk-1"},
}
# Mediation's staff keys (CONCORD_MEDIATION_API_KEYS) for the session's services too.
MEDIATION_SUPERVISOR_KEY = "test-mediation-supervisor"
MEDIATION_STAFF_KEY = "test-mediation-staff-001001"  # staff of village platform 339901001001
MEDIATION_AUDITOR_KEY = "test-mediation-auditor"
MEDIATION_INTEGRATION_KEY = "test-mediation-integration"
MEDIATION_NEIGHBOUR_STAFF_KEY = "test-mediation-staff-001002"  # village 339901001002 (Xiguan)
MEDIATION_TOWNSHIP_STAFF_KEY = "test-mediation-staff-001"  # 339901001, the villages' parent
MEDIATION_API_KEYS = {
    MEDIATION_SUPERVISOR_KEY: {"role": "supervisor", "holder": "sup-1"},
    MEDIATION_STAFF_KEY: {"role": "staff", "platform": "339901001001", "holder": "clerk-7"},
    MEDIATION_NEIGHBOUR_STAFF_KEY: {
        "role": "staff",
        "platform": "339901001002",
        "holder": "clerk-9",
    },
    MEDIATION_TOWNSHIP_STAFF_KEY: {"role": "staff", "platform": "339901001", "holder": "clerk-3"},
    MEDIATION_AUDITOR_KEY: {"role": "auditor"},
    MEDIATION_INTEGRATION_KEY: {"role": "integration"},
}
# The console's keys towards the services (each for one scope of its users), added to the
# services' keys above; CONSOLE_KEYS maps the console's user scopes to them.
CONSOLE_RECEPTION_KEY = "test-console-reception-chengguan"
CONSOLE_MEDIATOR_KEY = "test-console-mediator-dongguan"
CONSOLE_TOWNSHIP_MEDIATOR_KEY = "test-console-mediator-chengguan"
CONSOLE_LEADER_KEY = "test-console-leader-county"
CONSOLE_CITIZEN_KEY = "test-console-citizen"
API_KEYS[CONSOLE_RECEPTION_KEY] = {"role": "reception", "platform": "339901001"}
MEDIATION_API_KEYS.update(
    {
        CONSOLE_MEDIATOR_KEY: {"role": "staff", "platform": "339901001001", "holder": "console"},
        CONSOLE_TOWNSHIP_MEDIATOR_KEY: {"role": "staff", "platform": "339901001"},
        CONSOLE_LEADER_KEY: {"role": "staff", "platform": "339901", "holder": "console"},
        CONSOLE_CITIZEN_KEY: {"role": "integration"},
    }
)
CONSOLE_KEYS = {
    "reception@339901001": {"intake": CONSOLE_RECEPTION_KEY},
    "mediator@339901001001": {"mediation": CONSOLE_MEDIATOR_KEY},
    "mediator@339901001": {"mediation": CONSOLE_TOWNSHIP_MEDIATOR_KEY},
    "leader@339901": {"mediation": CONSOLE_LEADER_KEY},
    "department@land": {"routing": ROUTING_LAND_KEY, "notification": LAND_KEY},
    "department@hrss": {"routing": ROUTING_HRSS_KEY, "notification": HRSS_KEY},
}
# Every development sign-in of deploy/sample/console-users.yaml has this password.
CONSOLE_PASSWORD = "concord-dev"
SERVICE_KEYS = {"intake": API_KEYS, "routing": ROUTING_KEYS, "mediation": MEDIATION_API_KEYS}
KAFKA = os.environ.get("CONCORD_TEST_KAFKA", "127.0.0.1:9092")
MONGO = os.environ.get("CONCORD_TEST_MONGO", "mongodb://127.0.0.1:27017")


def kafka_client_options(principal: str = ADMIN) -> dict[str, Any]:
    """Keyword arguments for any aiokafka client a test makes: the credentials of a Kafka
    principal on the local broker (its administrator by default). Use it in every AIOKafka*
    constructor."""
    return local_auth(principal).aiokafka()


ADMIN_AUTH = local_auth(ADMIN)


def kafka_settings(service: str) -> dict[str, str]:
    """A service's Kafka login, as its settings (without the prefix)."""
    auth = local_auth(service_principal(service))
    if not auth.sasl:
        return {}
    return {
        "KAFKA_SECURITY_PROTOCOL": auth.security_protocol,
        "KAFKA_SASL_USERNAME": auth.username,
        "KAFKA_SASL_PASSWORD": auth.password,
    }


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex((host, port)) == 0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def stack(command: str) -> None:
    subprocess.run([str(STACK_SH), command], check=True, timeout=600)


def ensure_stack() -> None:
    """Start the local broker and store unless something already answers on their ports."""
    if not (port_open(9092) and port_open(27017)):
        stack("up")


@dataclass
class ServiceProcess:
    name: str
    env: dict[str, str]
    log_path: Path
    port: int
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            [str(BIN / f"concord-{self.name}")],
            env={**os.environ, **self.env},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited: {self.log_path.read_text()[-3000:]}")
            try:
                if httpx.get(f"{self.url}/ready", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise TimeoutError(f"{self.name} not ready in {timeout}s: {self.log_path}")

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, sig)
            self.proc.wait(timeout=30)

    def stop(self) -> None:
        self.kill(signal.SIGTERM)


@dataclass
class Services:
    namespace: str
    log_dir: Path
    processes: dict[str, ServiceProcess] = field(default_factory=dict)
    extra: list[ServiceProcess] = field(default_factory=list)  # more instances
    overrides: dict[str, str] = field(default_factory=dict)  # settings for every service
    # Extra settings per service (without prefix), e.g. where notification's channels go.
    extra_env: dict[str, dict[str, str]] = field(default_factory=dict)
    ports: dict[str, int] = field(default_factory=dict)
    # Log the shape of every store query (tests/support/scans.py); the benchmark turns it off.
    log_store_commands: bool = True
    # Every finished span to a file per service (tests/integration/test_tracing.py); the
    # benchmark turns it off too: tracing is off by default in production.
    trace_spans: bool = True

    def store_command_log(self, name: str) -> Path:
        return self.log_dir / f"{name}-store-commands.jsonl"

    def span_file(self, name: str) -> Path:
        """The service's finished spans, a JSON line each (its TRACE_FILE)."""
        return self.log_dir / f"{name}-spans.jsonl"

    @property
    def clock_file(self) -> Path:
        """Notification's clock: write an ISO time here to move its "now"; remove to reset."""
        return self.log_dir / "notification-clock"

    def env_for(self, name: str, port: int) -> dict[str, str]:
        prefix = f"CONCORD_{name.upper()}_"
        overrides = {f"{prefix}{k}": v for k, v in self.overrides.items()}
        extra = {f"{prefix}{k}": v for k, v in self.extra_env.get(name, {}).items()}
        if name == "notification":
            extra.update(
                {
                    f"{prefix}INTAKE_URL": f"http://127.0.0.1:{self.ports['intake']}",
                    f"{prefix}INTAKE_API_KEY": NOTIFIER_KEY,
                    f"{prefix}API_KEYS": json.dumps(NOTIFICATION_API_KEYS),
                    f"{prefix}CLOCK_FILE": str(self.clock_file),
                    **{f"{prefix}{k}": v for k, v in NOTIFICATION_TUNING.items()},
                    **extra,
                }
            )
        if name == "intake":
            # Tests poll the public status many times a second, all from one address.
            extra.setdefault(f"{prefix}PUBLIC_LIMITS__PER_CLIENT", "100000/minute")
            # The registry is routing's: read it from the session's routing, quickly.
            if "routing" in self.ports:
                extra.setdefault(
                    f"{prefix}ROUTING_URL", f"http://127.0.0.1:{self.ports['routing']}"
                )
            extra.setdefault(f"{prefix}REGISTRY_REFRESH_S", "1")
        return {
            **extra,
            f"{prefix}DEVELOPMENT": "true",
            f"{prefix}KAFKA_BOOTSTRAP_SERVERS": KAFKA,
            **{f"{prefix}{k}": v for k, v in kafka_settings(name).items()},
            f"{prefix}MONGO_URL": MONGO,
            f"{prefix}MONGO_DB": f"{self.namespace}_{name}",
            f"{prefix}TOPIC_NAMESPACE": self.namespace,
            f"{prefix}HTTP_PORT": str(port),
            f"{prefix}LOG_FORMAT": "json",
            f"{prefix}OUTBOX_SWEEP_INTERVAL_S": "2",
            **({f"{prefix}TRACE_FILE": str(self.span_file(name))} if self.trace_spans else {}),
            # Every store query's shape, for the test that no hot path scans a collection.
            **(
                {f"{prefix}STORE_COMMAND_LOG": str(self.store_command_log(name))}
                if self.log_store_commands
                else {}
            ),
            **(
                {f"{prefix}API_KEYS": json.dumps(SERVICE_KEYS[name])}
                if name in SERVICE_KEYS
                else {}
            ),
            **overrides,
        }

    def start_all(self, ready_timeout: float = 60) -> None:
        """Every service, waiting for each to be ready (a store to backfill at its first
        start can take minutes: the benchmark's years of history)."""
        self.ports = {name: free_port() for name in SERVICES}
        for name in SERVICES:
            port = self.ports[name]
            process = ServiceProcess(
                name, self.env_for(name, port), self.log_dir / f"{name}.log", port
            )
            process.start()
            self.processes[name] = process
        for process in self.processes.values():
            process.wait_ready(ready_timeout)

    def start_instance(
        self, name: str, label: str, settings: dict[str, str] | None = None
    ) -> ServiceProcess:
        """Another instance of a service, in the same consumer group and database;
        `settings` (without the prefix) override the session's."""
        port = free_port()
        log_path = self.log_dir / f"{name}-{label}.log"
        prefix = f"CONCORD_{name.upper()}_"
        env = {**self.env_for(name, port)}
        env.update({f"{prefix}{k}": v for k, v in (settings or {}).items()})
        process = ServiceProcess(name, env, log_path, port)
        process.start()
        self.extra.append(process)
        process.wait_ready()
        return process

    def stop_all(self) -> None:
        for process in [*self.extra, *self.processes.values()]:
            process.stop()

    def __getitem__(self, name: str) -> ServiceProcess:
        return self.processes[name]


AUTH = {"X-API-Key": INTEGRATION_KEY}
