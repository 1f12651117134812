"""A department's subscriber to its Concord topic: small, complete, runnable.

    pip install aiokafka
    CONCORD_KAFKA_PASSWORD=... python subscriber.py --department justice \
        [--bootstrap 127.0.0.1:9092] [--namespace concord] [--security-protocol SASL_SSL]

It logs in as its department's Kafka principal, ``department-<code>`` (SCRAM-SHA-512), which
may read its own topic only and use consumer groups named ``<namespace>.department.<code>.*``.

It follows the rules in contracts/README.md: its own consumer group, reading from the
earliest offset the first time, committing only after handling, ignoring unknown fields and
unknown event types, and deduplicating by event id (delivery is at least once).
"""

import argparse
import asyncio
import json
import os
import sqlite3
import ssl
from typing import Any

from aiokafka import AIOKafkaConsumer

HANDLED_TYPES = {"CoordinationRequested"}


class SeenEvents:
    """Event ids already handled, kept on disk so a restart does not handle them again."""

    def __init__(self, path: str) -> None:
        self.db = sqlite3.connect(path)
        self.db.execute("create table if not exists seen (event_id text primary key)")

    def first_time(self, event_id: str) -> bool:
        cursor = self.db.execute("insert or ignore into seen values (?)", (event_id,))
        self.db.commit()
        return cursor.rowcount == 1


def handle(event: dict[str, Any]) -> None:
    payload = event["payload"]
    # Read only the fields you need: new optional fields may appear at any time.
    print(
        f"{event['type']} case={event['case_id']} role={payload['role']} "
        f"platform={payload['platform']} category={payload['category']}: {payload['summary']}",
        flush=True,
    )


async def run(args: argparse.Namespace) -> int:
    topic = f"{args.namespace}.horizontal.{args.department}"
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=args.bootstrap,
        security_protocol=args.security_protocol,
        sasl_mechanism="SCRAM-SHA-512",
        sasl_plain_username=args.username or f"department-{args.department}",
        sasl_plain_password=os.environ.get("CONCORD_KAFKA_PASSWORD", ""),
        ssl_context=ssl.create_default_context() if args.security_protocol == "SASL_SSL" else None,
        group_id=f"{args.namespace}.department.{args.department}.{args.app}",
        auto_offset_reset="earliest",  # first start: read what is already there
        enable_auto_commit=False,  # commit after handling, never before
    )
    seen = SeenEvents(args.state)
    handled = 0
    idle = 0
    await consumer.start()
    try:
        while args.idle_exit == 0 or idle < args.idle_exit:
            batch = await consumer.getmany(timeout_ms=1000)
            records = [r for rs in batch.values() for r in rs]
            idle = 0 if records else idle + 1
            for record in records:
                try:
                    event = json.loads(record.value)
                except ValueError:
                    continue  # not ours to judge; Concord dead-letters its own bad messages
                if not isinstance(event, dict) or event.get("type") not in HANDLED_TYPES:
                    continue  # unknown event types are skipped
                if seen.first_time(event["event_id"]):
                    handle(event)
                    handled += 1
            if records:
                await consumer.commit()
    finally:
        await consumer.stop()
    return handled


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--department", required=True)
    parser.add_argument("--bootstrap", default="127.0.0.1:9092")
    parser.add_argument("--namespace", default="concord")
    parser.add_argument("--app", default="inbox", help="names the consumer group")
    parser.add_argument(
        "--security-protocol", default="SASL_PLAINTEXT", choices=["SASL_PLAINTEXT", "SASL_SSL"]
    )
    parser.add_argument("--username", help="default: department-<department>")
    parser.add_argument("--state", default="seen-events.sqlite3")
    parser.add_argument("--idle-exit", type=int, default=0, help="stop after N idle seconds")
    args = parser.parse_args()
    handled = asyncio.run(run(args))
    print(f"handled {handled} event(s)")


if __name__ == "__main__":
    main()
