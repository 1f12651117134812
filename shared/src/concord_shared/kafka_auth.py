"""How a Concord process logs in to Kafka: SASL/SCRAM-SHA-512, over TLS in production.

One value, `KafkaAuth`, gives the options of each client library that Concord uses (aiokafka
for consuming and publishing, FastStream's broker, confluent-kafka for provisioning), so the
credentials are spelled once.
"""

import os
import ssl
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from faststream.security import BaseSecurity, SASLScram512

from concord_shared.kafka_access import local_password
from concord_shared.settings import ServiceSettings

MECHANISM = "SCRAM-SHA-512"


@dataclass(frozen=True)
class KafkaAuth:
    security_protocol: str = "PLAINTEXT"
    username: str = ""
    password: str = ""
    cafile: Path | None = None

    @classmethod
    def of(cls, settings: ServiceSettings) -> "KafkaAuth":
        return cls(
            settings.kafka_security_protocol,
            settings.kafka_sasl_username,
            settings.kafka_sasl_password,
            settings.kafka_ssl_cafile,
        )

    @property
    def sasl(self) -> bool:
        return self.security_protocol.startswith("SASL")

    @property
    def tls(self) -> bool:
        return self.security_protocol in ("SSL", "SASL_SSL")

    def _ssl_context(self) -> ssl.SSLContext | None:
        if not self.tls:
            return None
        return ssl.create_default_context(cafile=str(self.cafile) if self.cafile else None)

    def aiokafka(self) -> dict[str, Any]:
        """Keyword arguments for AIOKafkaProducer, AIOKafkaConsumer and AIOKafkaAdminClient."""
        if self.security_protocol == "PLAINTEXT":
            return {}
        options: dict[str, Any] = {"security_protocol": self.security_protocol}
        if self.tls:
            options["ssl_context"] = self._ssl_context()
        if self.sasl:
            options |= {
                "sasl_mechanism": MECHANISM,
                "sasl_plain_username": self.username,
                "sasl_plain_password": self.password,
            }
        return options

    def faststream(self) -> BaseSecurity | None:
        if not self.sasl:
            return None
        return SASLScram512(
            self.username, self.password, use_ssl=self.tls, ssl_context=self._ssl_context()
        )

    def confluent(self) -> dict[str, str]:
        """librdkafka's configuration properties."""
        config = {"security.protocol": self.security_protocol.lower()}
        if self.sasl:
            config |= {
                "sasl.mechanism": MECHANISM,
                "sasl.username": self.username,
                "sasl.password": self.password,
            }
        if self.tls and self.cafile:
            config["ssl.ca.location"] = str(self.cafile)
        return config


NO_AUTH = KafkaAuth()


def local_secret() -> str | None:
    """The developer machine's Kafka secret (written by deploy/local/env.sh), if there is one."""
    state = os.environ.get("CONCORD_STATE") or os.path.expanduser("~/.local/state/concord")
    path = os.environ.get("CONCORD_KAFKA_LOCAL_SECRET") or os.path.join(state, "kafka-secret")
    try:
        with open(path) as f:
            return f.read().strip() or None
    except OSError:
        return None


def local_passwords(principals: Iterable[str]) -> dict[str, str] | None:
    """Every given principal's password on the local broker, or None off a developer's
    machine (no local secret)."""
    secret = local_secret()
    if secret is None:
        return None
    return {p: local_password(secret, p) for p in principals}


def local_auth(principal: str) -> KafkaAuth:
    """A principal's login on the local broker of deploy/local."""
    secret = local_secret()
    if secret is None:
        return NO_AUTH
    return KafkaAuth("SASL_PLAINTEXT", principal, local_password(secret, principal))


def cli_auth(principal: str) -> KafkaAuth:
    """How an operator's command logs in: CONCORD_KAFKA_SECURITY_PROTOCOL,
    CONCORD_KAFKA_SASL_USERNAME and CONCORD_KAFKA_SASL_PASSWORD if set, else as `principal`
    on the local broker of a developer's machine."""
    settings = ServiceSettings()
    if settings.kafka_sasl_username:
        return KafkaAuth.of(settings)
    return local_auth(principal)
