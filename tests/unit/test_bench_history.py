"""The growth bench's copies of a template case (tests/bench/history.py): older by whole
days, with ids of their own, the same id given the same new id across a case's documents."""

from datetime import UTC, date, datetime

from tests.bench.history import Copy, _extended, copies

CASE = "d1b103af-3aa8-583a-8459-1dcec4793dfc"
PARTY = "p-ffc08211a2e4fa3c318c16cd"
TODAY = date(2026, 12, 2)
TEMPLATE = {
    "_id": CASE,
    "receipt_number": "QH202612022PLZFQ",
    "parties": [{"ref": PARTY, "phone": "18345438476"}],
    "area_code": "339901001004",
    "received_at": datetime(2026, 12, 2, 20, 22, 15, 244000, tzinfo=UTC),
    "text": "我们将在 2026-12-24 前告知",
    "key": "social_assistance|339901001004|2026-12",
    "delivery": f"{CASE}:{PARTY}:record",
}


def test_a_copy_is_older_by_whole_days_with_ids_of_its_own() -> None:
    copy = Copy(number=3, days=40, today=TODAY).of(_extended(TEMPLATE))
    assert copy["received_at"] == datetime(2026, 10, 23, 20, 22, 15, 244000, tzinfo=UTC)
    assert copy["text"] == "我们将在 2026-11-14 前告知"
    assert copy["key"] == "social_assistance|339901001004|2026-10"
    assert copy["_id"] != CASE and len(copy["_id"]) == len(CASE)
    party = copy["parties"][0]["ref"]
    assert party != PARTY and party.startswith("p-") and len(party) == len(PARTY)
    assert copy["delivery"] == f"{copy['_id']}:{party}:record"  # the same ids throughout
    assert copy["receipt_number"].startswith("QH20261023") and len(copy["receipt_number"]) == 16
    # What is not an id or a date stays as it was.
    assert copy["area_code"] == "339901001004" and copy["parties"][0]["phone"] == "18345438476"


def test_copies_differ_from_each_other_and_spread_over_the_years() -> None:
    made = list(copies(300, 3.0, TODAY))
    assert len({c.days for c in made}) == 300
    assert min(c.days for c in made) >= 1 and max(c.days for c in made) == 3 * 365
    ids = {c.of(_extended(TEMPLATE))["_id"] for c in made[:20]}
    assert len(ids) == 20
