"""Operators' view of the dead letters: list them, show one, replay one or all after a fix.

    concord-dlq list SERVICE             offset, reason, original topic/partition/offset, error
    concord-dlq show SERVICE OFFSET      one letter in full, with its original bytes
    concord-dlq replay SERVICE OFFSET    publish the original bytes back to the original topic
    concord-dlq replay SERVICE --all

Replaying is safe: consumers deduplicate on event id, so a letter whose first attempt had
partly succeeded changes nothing twice. The original bytes are sealed on the topic (they may
hold personal data): `show` and `replay` open them with CONCORD_DLQ_KEY (see letter_seal).
"""

import base64
import json
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from concord_shared.kafka_access import OPERATOR
from concord_shared.kafka_auth import KafkaAuth, cli_auth
from concord_shared.letter_seal import LetterSeal, cli_seal
from concord_shared.topics import dead_letter_topic


@dataclass(frozen=True)
class Letter:
    offset: int
    payload: dict[str, Any]

    def original(self, seal: LetterSeal) -> bytes:
        """The bytes the service could not process. Raises CannotOpen without their key."""
        if "original_value_sealed" in self.payload:
            return seal.open(self.payload["original_value_sealed"])
        # A version-1 letter, written before originals were sealed.
        return base64.b64decode(self.payload.get("original_value_b64", ""))


async def read_letters(
    bootstrap: str, namespace: str, service: str, auth: KafkaAuth | None = None
) -> list[Letter]:
    auth = auth or cli_auth(OPERATOR)
    topic = dead_letter_topic(service).full_name(namespace)
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, **auth.aiokafka())
    await admin.start()
    try:
        described = await admin.describe_topics([topic])
    finally:
        await admin.close()
    partitions = [
        TopicPartition(topic, p["partition"])
        for t in described
        if t["error_code"] == 0
        for p in t["partitions"]
    ]
    if not partitions:
        return []
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, **auth.aiokafka()
    )
    await consumer.start()
    letters: list[Letter] = []
    try:
        consumer.assign(partitions)
        end = await consumer.end_offsets(partitions)
        for tp, first in (await consumer.beginning_offsets(partitions)).items():
            consumer.seek(tp, first)

        async def unread() -> bool:
            return any([await consumer.position(tp) < end[tp] for tp in partitions])

        while await unread():
            batch = await consumer.getmany(timeout_ms=1000)
            for record in (r for rs in batch.values() for r in rs):
                letters.append(Letter(record.offset, json.loads(record.value)["payload"]))
    finally:
        await consumer.stop()
    return sorted(letters, key=lambda letter: letter.offset)


async def replay(
    bootstrap: str,
    letters: list[Letter],
    auth: KafkaAuth | None = None,
    seal: LetterSeal | None = None,
) -> int:
    auth = auth or cli_auth(OPERATOR)
    seal = seal or cli_seal()
    originals = [letter.original(seal) for letter in letters]  # all open, or none is sent
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, acks="all", enable_idempotence=True, **auth.aiokafka()
    )
    await producer.start()
    try:
        for letter, original in zip(letters, originals, strict=True):
            p = letter.payload
            await producer.send_and_wait(
                p["original_topic"],
                original,
                key=p["original_key"].encode() if p.get("original_key") is not None else None,
                headers=[(k, v.encode()) for k, v in p["original_headers"].items()]
                + [("replayed_from_offset", str(letter.offset).encode())],
            )
    finally:
        await producer.stop()
    return len(letters)
