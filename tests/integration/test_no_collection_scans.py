"""No query a service sends while it works -- handling cases, its timers, its API -- makes the
store read a whole collection: on FerretDB such a query costs time in proportion to
everything ever stored, so the idle cost and every page would grow for ever.

The test runs last: it asks the store (`explain`) about every query shape the session's
services sent during the whole test run (tests/support/scans.py).
"""

import pytest
from pymongo import AsyncMongoClient

from tests.support.scans import query_shapes, scanning
from tests.support.stack import MONGO, SERVICES, Services

pytestmark = [pytest.mark.real, pytest.mark.last]

# Collections a query may read whole, because what they hold is bounded by work in flight,
# never by the cases stored over the years. Each says why.
BOUNDED: dict[tuple[str, str], str] = {
    ("notification", "subscriptions"): "webhook endpoints, a few per department: bounded by "
    "the registry's departments, not by cases",
}


async def test_no_query_of_a_running_service_reads_a_whole_collection(
    services: Services,
) -> None:
    shapes = query_shapes([services.store_command_log(name) for name in SERVICES])
    ours = {s for s in shapes if s.database.startswith(f"{services.namespace}_")}
    assert ours, "the services logged no store query"
    client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(MONGO)
    try:
        scans = await scanning(client, ours)
    finally:
        await client.close()
    unbounded = [s for s in scans if (s.service, s.collection) not in BOUNDED]
    print(f"store query shapes: {len(ours)}, scanning: {len(scans)}, unbounded: {len(unbounded)}")
    assert not unbounded, "queries that read a whole collection:\n" + "\n".join(
        str(s) for s in unbounded
    )
