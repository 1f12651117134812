"""The Kafka broker factory: the same producer guarantees for every service."""

from faststream.kafka import KafkaBroker

from concord_shared.settings import ServiceSettings


def make_broker(settings: ServiceSettings, service: str) -> KafkaBroker:
    # acks=all with the idempotent producer: a retried send never duplicates or reorders
    # within a partition, and nothing counts as published before every replica has it.
    return KafkaBroker(
        settings.kafka_bootstrap_servers,
        client_id=f"concord-{service}",
        acks="all",
        enable_idempotence=True,
        linger_ms=2,
        request_timeout_ms=15_000,
        logger=None,
    )
