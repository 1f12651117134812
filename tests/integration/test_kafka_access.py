"""The broker is locked: SASL/SCRAM logins, the StandardAuthorizer, deny by default.

Each principal's ACLs come from the topic catalog (concord_shared.kafka_access); here they are
tried with the real credentials on the real broker: a department reads its own topic only and
cannot forge a case event, a service writes only what it owns, a client without a login or
with a wrong password gets nothing.
"""

import asyncio
import json
import uuid

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.errors import (
    GroupAuthorizationFailedError,
    KafkaConnectionError,
    KafkaError,
    TopicAuthorizationFailedError,
)
from concord_shared.kafka_access import (
    INTEGRATION,
    department_group_prefix,
    department_principal,
    service_principal,
)
from concord_shared.topics import (
    CASE_EVENTS,
    HORIZONTAL_REPLIES,
    INTAKE_SUBMISSIONS,
    VERTICAL_ASSIGN,
    all_topics,
    dead_letter_topic,
    department_topic,
)

from tests.support.security import SECURITY
from tests.support.stack import ADMIN_AUTH, KAFKA, Services, kafka_client_options

pytestmark = pytest.mark.skipif(not ADMIN_AUTH.sasl, reason="the broker has no authentication")


async def _plant(topic: str) -> bytes:
    """One record on partition 0 of `topic`, written by the administrator."""
    marker = f"access-probe-{uuid.uuid4().hex}".encode()
    producer = AIOKafkaProducer(bootstrap_servers=KAFKA, **kafka_client_options(), acks="all")
    await producer.start()
    try:
        await producer.send_and_wait(topic, marker, key=b"probe", partition=0)
    finally:
        await producer.stop()
    return marker


async def _reads(principal: str, topic: str, marker: bytes) -> bool:
    """Whether `principal` reads the planted record; False only when the broker refuses."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=KAFKA, **kafka_client_options(principal), enable_auto_commit=False
    )
    await consumer.start()
    try:
        # The broker's metadata leaves out every topic a principal may not even describe.
        if topic not in await consumer.topics():
            return False
        tp = TopicPartition(topic, 0)
        consumer.assign([tp])
        await consumer.seek_to_beginning(tp)
        for _ in range(20):
            batch = await consumer.getmany(timeout_ms=500)
            if any(r.value == marker for rs in batch.values() for r in rs):
                return True
        raise AssertionError(f"{principal} neither read {topic} nor was refused")
    except TopicAuthorizationFailedError:
        return False
    finally:
        await consumer.stop()


async def _writes(principal: str, topic: str, value: bytes) -> bool:
    producer = AIOKafkaProducer(
        bootstrap_servers=KAFKA,
        **kafka_client_options(principal),
        acks="all",
        request_timeout_ms=10_000,
    )
    await producer.start()
    try:
        await producer.send_and_wait(topic, value, key=b"probe")
        return True
    except TopicAuthorizationFailedError:
        return False
    finally:
        await producer.stop()


def _forged_status(case_id: str) -> bytes:
    return json.dumps(
        {
            "event_id": str(uuid.uuid4()),
            "type": "CaseStatusChanged",
            "case_id": case_id,
            "payload": {"status": "closed"},
        }
    ).encode()


async def test_a_department_reads_its_own_topic_only_and_cannot_forge_events(
    services: Services,
) -> None:
    ns = services.namespace
    topics = [t.full_name(ns) for t in all_topics(["land", "hrss"])]
    markers = {topic: await _plant(topic) for topic in topics}
    for department in ("land", "hrss"):
        principal = department_principal(department)
        for topic in topics:
            if await _reads(principal, topic, markers[topic]):
                SECURITY.readable(department, topic.removeprefix(f"{ns}."))
        own = department_topic(department).full_name(ns)
        readable = SECURITY.readable_by_department[department]
        assert readable == {own.removeprefix(f"{ns}.")}
        # It answers on the replies topic, and can write nowhere else: no forged case event,
        # no forged submission, nothing on another department's topic.
        assert await _writes(principal, HORIZONTAL_REPLIES.full_name(ns), b'{"probe": 1}')
        for target in (CASE_EVENTS, INTAKE_SUBMISSIONS, VERTICAL_ASSIGN, department_topic("hrss")):
            assert not await _writes(principal, target.full_name(ns), _forged_status("c-1")), (
                department,
                target.name,
            )


async def test_each_service_writes_only_what_it_owns(services: Services) -> None:
    ns = services.namespace
    # Routing assigns cases; notification does not. Intake reads submissions; mediation does not.
    assign = VERTICAL_ASSIGN.full_name(ns)
    assert await _writes(service_principal("routing"), assign, b'{"probe": 1}')
    assert not await _writes(service_principal("notification"), assign, b'{"probe": 1}')
    # Routing sends the replies clerks give in the department console; mediation only reads them.
    replies = HORIZONTAL_REPLIES.full_name(ns)
    assert await _writes(service_principal("routing"), replies, b'{"probe": 1}')
    assert not await _writes(service_principal("mediation"), replies, b'{"probe": 1}')
    submissions = INTAKE_SUBMISSIONS.full_name(ns)
    marker = await _plant(submissions)
    assert await _reads(service_principal("intake"), submissions, marker)
    assert not await _reads(service_principal("mediation"), submissions, marker)
    # Integrators may submit, and read nothing, dead letters least of all.
    assert await _writes(INTEGRATION, submissions, b'{"probe": 1}')
    letters = dead_letter_topic("intake").full_name(ns)
    assert not await _reads(INTEGRATION, letters, await _plant(letters))


async def test_a_department_may_only_use_consumer_groups_of_its_own(services: Services) -> None:
    ns = services.namespace
    topic = department_topic("land").full_name(ns)
    marker = await _plant(topic)

    async def joins(group: str) -> bool:
        consumer = AIOKafkaConsumer(
            topic,
            bootstrap_servers=KAFKA,
            **kafka_client_options(department_principal("land")),
            group_id=group,
            auto_offset_reset="earliest",
        )
        try:
            await consumer.start()
            for _ in range(30):
                batch = await consumer.getmany(timeout_ms=500)
                if any(r.value == marker for rs in batch.values() for r in rs):
                    return True
            raise AssertionError(f"neither joined {group} nor was refused")
        except GroupAuthorizationFailedError:
            return False
        finally:
            await consumer.stop()

    assert await joins(f"{department_group_prefix(ns, 'land')}case-desk")
    # The notification service's group: joining it would take its partitions away.
    assert not await joins(f"{ns}.notification")


async def test_no_login_or_a_wrong_password_gets_nothing(services: Services) -> None:
    topic = CASE_EVENTS.full_name(services.namespace)
    wrong = {
        **kafka_client_options(department_principal("land")),
        "sasl_plain_password": "not-the-password",
    }
    for options in ({}, wrong):
        consumer = AIOKafkaConsumer(
            topic, bootstrap_servers=KAFKA, request_timeout_ms=5000, **options
        )
        refused = False
        try:
            await asyncio.wait_for(consumer.start(), timeout=20)
            await asyncio.wait_for(consumer.getmany(timeout_ms=2000), timeout=10)
        except (KafkaError, KafkaConnectionError, TimeoutError):
            refused = True
        finally:
            await consumer.stop()
        assert refused, "a client without a valid login was served"
        SECURITY.endpoint(f"kafka login {'none' if not options else 'wrong password'}", 401)
