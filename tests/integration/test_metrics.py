"""Operators' metrics: after one case, every service's /metrics counts what it did for it
(real broker and store, the services as processes)."""

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.support.cases import neighbour_dispute, unique_phone
from tests.support.kafka import send
from tests.support.notifying import daytime
from tests.support.stack import AUTH, MEDIATION_SUPERVISOR_KEY, Services
from tests.support.wait import eventually

pytestmark = pytest.mark.real
__all__ = ["daytime"]  # autouse: no quiet hours holding the receipt

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


async def scrape(services: Services, name: str) -> Samples:
    async with httpx.AsyncClient(timeout=10) as http:
        r = await http.get(f"{services[name].url}/metrics")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(r.text)
        for s in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    """The sum of the samples of `name` whose labels include `labels`."""
    wanted = set(labels.items())
    return sum(v for (n, ls), v in samples.items() if n == name and wanted <= ls)


async def test_one_case_is_counted_by_every_service(services: Services) -> None:
    ns = services.namespace
    before = {name: await scrape(services, name) for name in services.processes}
    case = neighbour_dispute()
    case["parties"][0]["phone"] = unique_phone()
    async with httpx.AsyncClient(timeout=10) as http:
        r = await http.post(f"{services['intake'].url}/cases", json=case, headers=AUTH)
        assert r.status_code == 201, r.text
        case_id = r.json()["case_id"]

        async def opened() -> bool:
            r = await http.get(
                f"{services['mediation'].url}/cases/{case_id}",
                headers={"X-API-Key": MEDIATION_SUPERVISOR_KEY},
            )
            return r.status_code == 200

        await eventually(opened)
    # A message that is no event at all: dead-lettered, and counted as such.
    await send(f"{ns}.horizontal.replies", [b"not json"], key=case_id.encode())

    after: dict[str, Samples] = {}

    def grew(name: str, metric: str, **labels: str) -> bool:
        return value(after[name], metric, **labels) > value(before[name], metric, **labels)

    hops = (
        ("routing", "CaseReceived"),
        ("mediation", "CaseAssigned"),
        ("notification", "NotificationRequested"),
        ("intake", "CaseRouted"),
    )

    def handled(name: str, event_type: str) -> bool:
        return grew(
            name,
            "concord_messages_consumed_total",
            service=name,
            event_type=event_type,
            outcome="handled",
        )

    async def counted() -> bool:
        # Every hop, not only the first delivery: after the fault tests' broker restart a
        # consumer may still be rejoining its group when another topic's notice is delivered.
        nonlocal after
        after = {name: await scrape(services, name) for name in services.processes}
        return all(
            (
                grew("routing", "concord_dead_letters_total", service="routing"),
                grew(
                    "notification",
                    "concord_notification_deliveries_total",
                    result="delivered",
                ),
                *(handled(name, event_type) for name, event_type in hops),
            )
        )

    await eventually(counted, within=60)

    # Intake: the request (by its route template, not its path) and the event it published.
    assert grew(
        "intake",
        "concord_http_requests_total",
        service="intake",
        method="POST",
        route="/cases",
        status="201",
    )
    topic = f"{ns}.case.events"
    assert grew("intake", "concord_outbox_published_total", service="intake", topic=topic)
    assert grew("intake", "concord_outbox_publish_latency_seconds_count", service="intake")
    # Each hop handled its message, timed.
    for name, event_type in hops:
        assert handled(name, event_type), (name, event_type)
        assert grew(
            name, "concord_handler_duration_seconds_count", service=name, event_type=event_type
        )
    assert grew(
        "routing",
        "concord_messages_consumed_total",
        service="routing",
        outcome="dead_lettered",
    )
    # Every consumer's partitions have a lag, per topic and partition.
    for name in ("intake", "routing", "mediation", "notification"):
        lags = [ls for (n, ls) in after[name] if n == "concord_consumer_lag_records"]
        assert lags and all({"topic", "partition"} <= {k for k, _ in ls} for ls in lags), name
    # No series per case: a case id is never a label value.
    for samples in after.values():
        assert not any(case_id in v for (_, ls) in samples for _, v in ls)
