"""Settings common to every service; each service subclasses with its own env prefix
(``CONCORD_INTAKE_``, ``CONCORD_ROUTING_``, ...), so one environment can hold all four."""

from pathlib import Path
from typing import Literal

from pydantic_settings import BaseSettings, SettingsConfigDict

from concord_shared.registry import DEFAULT_REGISTRY


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CONCORD_", extra="ignore")

    # Development mode (`make run`, the tests): development keys and plain-HTTP loopback
    # webhooks are accepted. Outside it a service refuses to start with a development secret.
    development: bool = False
    kafka_bootstrap_servers: str = "127.0.0.1:9092"
    # The service's Kafka principal (SASL/SCRAM-SHA-512); empty: no authentication.
    kafka_security_protocol: Literal["PLAINTEXT", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    kafka_sasl_username: str = ""
    kafka_sasl_password: str = ""
    kafka_ssl_cafile: Path | None = None
    mongo_url: str = "mongodb://127.0.0.1:27017"
    mongo_db: str = ""  # empty: concord_<service>
    topic_namespace: str = "concord"
    http_host: str = "127.0.0.1"
    http_port: int = 8000
    registry_path: Path = DEFAULT_REGISTRY
    log_level: str = "INFO"
    log_format: Literal["auto", "json", "console"] = "auto"
    # Consumers: how many records one poll may hand a handler batch, and how a failing
    # handler is retried before its message is dead-lettered.
    consume_max_records: int = 200
    # How long a poll waits for records. FastStream sleeps as long again after an empty
    # poll, so on a quiet topic a new record may wait up to twice this at every hop: its
    # default of 200 ms added up to most of a case's latency at low load.
    consume_poll_ms: int = 20
    # How many cases of a batch are handled at once (each case's events stay in order).
    consume_concurrency: int = 32
    handler_attempts: int = 3
    handler_backoff_s: float = 0.2
    # Outbox relay: a write hands its documents to the relay directly; the sweep (reading
    # the markers of writes older than this, by _id) only finds what a crashed process or the
    # bulk importer left.
    outbox_sweep_interval_s: float = 30.0
    # Readiness fails while more records than this wait on the instance's partitions
    # (None: lag is reported, never fatal -- a backlog is work, not a fault).
    ready_max_lag: int | None = None

    # Traces (concord_shared/tracing.py): off unless a collector's OTLP/HTTP endpoint
    # (http://collector:4318/v1/traces) or a file for one JSON line per span is given.
    otlp_endpoint: str | None = None
    trace_file: Path | None = None

    # Diagnosis: append the shape of every store query to this file (see store.StoreCommandLog).
    store_command_log: Path | None = None

    def database_name(self, service: str) -> str:
        return self.mongo_db or f"concord_{service}"
