"""Notification's schedule of open deliveries, on the real store: a store written before the
schedule existed (its waiting deliveries in `pending_deliveries`, read whole every second)
keeps working -- its open deliveries come due after the upgrade, indexed once."""

from datetime import UTC, datetime, timedelta

import pytest
from concord_notification.adapters.delivery_log import DELIVERIES, DeliveryLog
from concord_notification.adapters.schedule import EARLIER_PENDING, DeliverySchedule
from pymongo.asynchronous.database import AsyncDatabase

pytestmark = pytest.mark.real


def _delivery(key: str, status: str, due_at: datetime, **more: object) -> dict[str, object]:
    return {"_id": key, "case_id": "c1", "status": status, "due_at": due_at, "spec": {}, **more}


async def test_a_store_from_before_the_schedule_has_its_open_deliveries_come_due(
    db: AsyncDatabase[dict[str, object]],
) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    # What the earlier version left: a retry due two hours ago, a notice held until
    # tomorrow morning, one whose sender died mid-send, one delivered.
    await db[DELIVERIES].insert_many(
        [
            _delivery("retry", "pending", now - timedelta(hours=2)),
            _delivery("held", "held", now + timedelta(hours=20)),
            _delivery(
                "crashed", "sending", now - timedelta(hours=3), lease_until=now - timedelta(1)
            ),
            _delivery("done", "delivered", now - timedelta(hours=5)),
        ]
    )
    await db[EARLIER_PENDING].create_index("due_at")  # every start of that version did
    schedule = DeliverySchedule(db)

    assert await schedule.backfill_once(DeliveryLog(db).open_deliveries) == 3

    assert {key for key, _ in await schedule.due(now)} == {"retry", "crashed"}
    tomorrow = now + timedelta(hours=21)
    assert {key for key, _ in await schedule.due(tomorrow)} == {"retry", "crashed", "held"}

    # Done once: a later start reads the log no more (a delivery only the log knows of,
    # as no version since writes one, stays unknown to the schedule).
    await db[DELIVERIES].insert_one(_delivery("late", "pending", now - timedelta(hours=1)))
    assert await schedule.backfill_once(DeliveryLog(db).open_deliveries) == 0
    assert "late" not in {key for key, _ in await schedule.due(now)}


async def test_a_fresh_store_needs_no_backfill(db: AsyncDatabase[dict[str, object]]) -> None:
    await db[DELIVERIES].insert_one(
        _delivery("new", "pending", datetime.now(UTC) - timedelta(minutes=1))
    )
    schedule = DeliverySchedule(db)
    assert await schedule.backfill_once(DeliveryLog(db).open_deliveries) == 0
    assert await schedule.due(datetime.now(UTC)) == []


async def test_a_delivery_is_held_and_taken_back_only_while_it_is_open(
    db: AsyncDatabase[dict[str, object]],
) -> None:
    """On the real store (findAndModify as FerretDB supports it): holding moves an open
    delivery and says when it was due; taking back (a reminder no longer owed) settles an
    open one as withdrawn, never one being sent or sent."""
    now = datetime.now(UTC).replace(microsecond=0)
    log = DeliveryLog(db)
    await db[DELIVERIES].insert_many(
        [
            _delivery("open", "pending", now),
            _delivery("reminder", "pending", now + timedelta(days=3)),
            _delivery("sending", "sending", now, lease_until=now + timedelta(minutes=1)),
            _delivery("sent", "delivered", now - timedelta(hours=1)),
        ]
    )
    tomorrow = now + timedelta(hours=10)
    assert await log.hold("open", tomorrow, now) == now
    held = await log.entry("open")
    assert held is not None and (held["status"], held["due_at"]) == ("held", tomorrow)
    assert await log.hold("sent", tomorrow, now) is None

    assert await log.withdraw("reminder", "CoordinationAnswered", now) == now + timedelta(days=3)
    taken = await log.entry("reminder")
    assert taken is not None and taken["status"] == "withdrawn"
    assert taken["withdrawn"]["why"] == "CoordinationAnswered"
    assert await log.withdraw("reminder", "again", now) is None  # once
    for key, status in (("sending", "sending"), ("sent", "delivered")):
        assert await log.withdraw(key, "too late", now) is None
        entry = await log.entry(key)
        assert entry is not None and entry["status"] == status
