"""The Kafka broker factory: FastStream's broker, through which every service consumes.

What a service emits (outbox events, dead letters) goes through `publisher.Publisher`,
whose producer can be replaced after a failed send; this broker publishes nothing.
"""

from faststream.kafka import KafkaBroker

from concord_shared.kafka_auth import KafkaAuth
from concord_shared.settings import ServiceSettings


def make_broker(settings: ServiceSettings, service: str) -> KafkaBroker:
    return KafkaBroker(
        settings.kafka_bootstrap_servers,
        client_id=f"concord-{service}",
        request_timeout_ms=15_000,
        logger=None,
        security=KafkaAuth.of(settings).faststream(),
    )
