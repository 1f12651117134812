"""Intake's listing indexes on the real store (adapters/listings.py): the Open311 listings
read day documents keyed by `_id`, never a range over the cases, and find what a range
query would -- an old case, each case once, the oldest updates -- also in a store written
before the indexes existed."""

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import cast

import pytest
from concord_intake.adapters.listings import LISTING_INDEX
from concord_intake.adapters.repository import CaseRepository
from concord_intake.domain import open311
from concord_intake.domain.cases import PublicStatus
from concord_intake.handlers import Intake, Registered, Registration
from concord_intake.settings import GroupingSettings
from concord_shared.envelope import Envelope, envelope
from concord_shared.events import CaseStatusChanged
from concord_shared.outbox import Outbox
from concord_shared.registry import load_registry
from concord_shared.registry_source import RegistrySource
from concord_shared.submission import CaseSubmission
from pymongo.asynchronous.database import AsyncDatabase

from tests.support.cases import neighbour_dispute

pytestmark = pytest.mark.real
REGISTRY = Path(__file__).parents[2] / "deploy" / "sample" / "registry.yaml"
NOW = datetime.now(UTC).replace(microsecond=0)


class Clock:
    def __init__(self) -> None:
        self.at = NOW

    def now(self) -> datetime:
        return self.at


def intake_on(db: AsyncDatabase[dict[str, object]], clock: Clock) -> Intake:
    return Intake(
        repo=CaseRepository(db),
        registry_source=RegistrySource(load_registry(REGISTRY), None),
        pseudonym_key="k" * 32,
        receipt_prefix="QH",
        outbox=Outbox("test", "intake"),
        clock=clock,
        grouping=GroupingSettings(),
    )


async def registered(
    intake: Intake, clock: Clock, ago: timedelta, key: str | None = None, **case: str
) -> str:
    clock.at = NOW - ago
    submission = CaseSubmission.model_validate(neighbour_dispute(**case))
    result = await intake.register(Registration(submission, "test", key))
    assert isinstance(result, Registered)
    return result.record.case_id


async def test_the_requests_listing_finds_old_cases_once_newest_first_by_service(
    db: AsyncDatabase[dict[str, object]],
) -> None:
    clock = Clock()
    intake = intake_on(db, clock)
    await intake.repo.ensure_indexes()
    old = await registered(intake, clock, timedelta(days=80), key="letter-1")
    family = await registered(intake, clock, timedelta(days=1, hours=2), category="family")
    recent = await registered(intake, clock, timedelta(days=1))
    # A retry of the old case today: the same case, listed once, on its own day.
    assert await registered(intake, clock, timedelta(0), key="letter-1") == old
    # An entry whose case was never inserted is not listed.
    await db[LISTING_INDEX].update_one(
        {"_id": f"received:{NOW:%Y-%m-%d}"},
        {"$addToSet": {"members": f"{NOW.isoformat()}|neighbour|{uuid.uuid4()}"}},
        upsert=True,
    )
    listings = intake.repo.listings
    start = NOW - timedelta(days=90)

    every = await listings.received_between(start, NOW, None, 1000)
    assert [r.case_id for r in every] == [recent, family, old]
    assert every[2].received_at == NOW - timedelta(days=80)
    neighbour = await listings.received_between(start, NOW, {"neighbour"}, 1000)
    assert [r.case_id for r in neighbour] == [recent, old]
    assert [r.case_id for r in await listings.received_between(start, NOW, None, 2)] == [
        recent,
        family,
    ]
    since_yesterday = await listings.received_between(NOW - timedelta(days=1), NOW, None, 1000)
    assert [r.case_id for r in since_yesterday] == [recent]


async def test_a_store_from_before_the_indexes_is_indexed_once_at_start(
    db: AsyncDatabase[dict[str, object]],
) -> None:
    clock = Clock()
    intake = intake_on(db, clock)
    first = await registered(intake, clock, timedelta(days=5))
    second = await registered(intake, clock, timedelta(days=4))
    repo = intake.repo
    for case_id, days_ago in ((first, 3), (second, 1), (first, 2)):
        at = NOW - timedelta(days=days_ago)
        fields = {"status": "routed", "updated_at": at}
        assert await repo.update_public_status(case_id, uuid.uuid4().hex, fields, "routed")
    await db.drop_collection(LISTING_INDEX)  # as a store written before the indexes

    await CaseRepository(db).ensure_indexes()
    listings = CaseRepository(db).listings
    listed = await listings.received_between(NOW - timedelta(days=90), NOW, None, 1000)
    assert [r.case_id for r in listed] == [second, first]
    updated = await listings.updated_between(NOW - timedelta(days=10), NOW, 1000)
    assert sorted(d["_id"] for d in updated) == sorted([first, second])
    first_doc = next(d for d in updated if d["_id"] == first)
    assert len(first_doc["public_updates"]) == 2 and first_doc["receipt_number"]
    # The oldest update first: a limit of one reads the day of the oldest and stops.
    oldest = await listings.updated_between(NOW - timedelta(days=10), NOW, 1)
    assert [d["_id"] for d in oldest] == [first]
    # A case whose latest update is after the range is not in it (as a range query).
    assert await listings.updated_between(NOW - timedelta(days=4), NOW - timedelta(days=3), 9) == []
    assert await db[LISTING_INDEX].find_one({"_id": "backfill"}) is not None


def status_changed(case_id: str, to: str, at: datetime) -> Envelope[CaseStatusChanged]:
    event = envelope(
        CaseStatusChanged(platform="339901001", from_status="received", to_status=to),
        source="mediation",
        case_id=case_id,
    )
    return event.model_copy(update={"occurred_at": at})


async def requests_of_today(intake: Intake) -> dict[str, str]:
    rows = await intake.repo.listings.received_between(NOW - timedelta(days=1), NOW, None, 1000)
    return {r.case_id: open311.service_request(r, intake.registry)["status_notes"] for r in rows}


async def test_the_requests_listing_shows_each_case_as_it_now_stands_even_after_a_crash(
    db: AsyncDatabase[dict[str, object]],
) -> None:
    clock = Clock()
    intake = intake_on(db, clock)
    await intake.repo.ensure_indexes()
    first = await registered(intake, clock, timedelta(hours=3))
    second = await registered(intake, clock, timedelta(hours=2))
    assert await requests_of_today(intake) == {first: "received", second: "received"}

    await intake.on_status_changed(status_changed(first, "accepted", NOW - timedelta(hours=1)))
    assert await requests_of_today(intake) == {first: "accepted", second: "received"}

    # The process dies after writing the case's public update, before its listed row: the
    # event comes again (it was not acknowledged), and the listing is then right.
    crashed = status_changed(second, "accepted", NOW - timedelta(minutes=30))
    fields = {"status": "accepted", "updated_at": crashed.occurred_at}
    assert await intake.repo.update_public_status(second, crashed.event_id, fields, "now")
    await intake.on_status_changed(crashed)
    assert await requests_of_today(intake) == {first: "accepted", second: "accepted"}

    # An older update delivered late (or a second instance's) does not put an older row back.
    closing = status_changed(first, "closed", NOW - timedelta(minutes=10))
    await intake.on_status_changed(closing)
    await intake.repo.listings._set_row(  # as a writer that read the case before the close
        (await intake.repo.listings.received_between(NOW - timedelta(days=1), NOW, None, 9))[
            1
        ].model_copy(update={"public": PublicStatus(status="accepted", updated_at=NOW)}),
        1,
    )
    assert await requests_of_today(intake) == {first: "closed", second: "accepted"}
    # What a listing shows of a case is what the case itself says.
    for case_id, notes in (await requests_of_today(intake)).items():
        record = await intake.repo.get(case_id)
        assert record is not None and record.public.status == notes


async def test_a_store_from_before_the_rows_gets_them_once_at_start(
    db: AsyncDatabase[dict[str, object]],
) -> None:
    clock = Clock()
    intake = intake_on(db, clock)
    await intake.repo.ensure_indexes()
    case_id = await registered(intake, clock, timedelta(hours=2))
    await intake.on_status_changed(status_changed(case_id, "routed", NOW - timedelta(hours=1)))
    # As a store of the version before the rows: the day entries are there, no rows.
    await db[LISTING_INDEX].delete_many({"_id": {"$regex": "^rows:"}})
    await db[LISTING_INDEX].delete_one({"_id": "rows-backfill"})
    assert await requests_of_today(intake) == {case_id: "routed"}  # from the case itself

    await CaseRepository(db).ensure_indexes()
    rows = [d async for d in db[LISTING_INDEX].find({"_id": {"$regex": "^rows:"}})]
    assert [list(cast(dict[str, str], d["rows"])) for d in rows] == [[case_id]]
    assert rows[0]["v"] == {case_id: 1}  # its one public update
    assert await requests_of_today(intake) == {case_id: "routed"}
    assert await db[LISTING_INDEX].find_one({"_id": "rows-backfill"}) is not None
