"""A platform's queue a page at a time: the mark a page ends at, and the pages after it."""

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from concord_mediation.queues import OPEN, Loader, Mark, Page, _page

START = datetime(2026, 7, 1, tzinfo=UTC)


def case(n: int, minutes: int) -> dict[str, Any]:
    return {"_id": f"case-{n:03d}", "opened_at": START + timedelta(minutes=minutes)}


def ids_newest_first(docs: list[dict[str, Any]]) -> list[str]:
    return [d["_id"] for d in sorted(docs, key=lambda d: (d["opened_at"], d["_id"]), reverse=True)]


def sections_of(docs: dict[str, list[dict[str, Any]]], read: list[str]) -> list[tuple[str, Loader]]:
    def loader(name: str) -> Loader:
        async def load() -> list[dict[str, Any]]:
            read.append(name)
            return list(docs[name])

        return load

    return [(name, loader(name)) for name in docs]


def queue_of(seed: int) -> dict[str, list[dict[str, Any]]]:
    """Open cases and two months of closings, in no order, several opened in the same
    minute (a tie the case id breaks)."""
    rng = random.Random(seed)
    n = iter(range(1000))
    docs = {
        name: [case(next(n), rng.randrange(0, 40)) for _ in range(count)]
        for name, count in ((OPEN, 7), ("2026-07", 5), ("2026-06", 6))
    }
    for entries in docs.values():
        rng.shuffle(entries)
    return docs


async def every_page(docs: dict[str, list[dict[str, Any]]], limit: int) -> list[Page]:
    pages = [await _page(sections_of(docs, []), limit, None)]
    while (mark := pages[-1].next) is not None:
        pages.append(await _page(sections_of(docs, []), limit, Mark.decode(mark.encode())))
    return pages


@pytest.mark.parametrize("limit", [1, 2, 3, 5, 17, 18, 100])
async def test_the_pages_hold_every_case_once_in_the_order_of_the_whole(limit: int) -> None:
    docs = queue_of(limit)
    whole = (await _page(sections_of(docs, []), 1000, None)).cases
    assert len(whole) == 18
    pages = await every_page(docs, limit)
    assert [d["_id"] for p in pages for d in p.cases] == [d["_id"] for d in whole]
    assert all(len(p.cases) == limit for p in pages[:-1]) and pages[-1].next is None
    # The open ones first, then the months newest first; newest opened first in each.
    assert [d["_id"] for d in whole] == [
        *ids_newest_first(docs[OPEN]),
        *ids_newest_first(docs["2026-07"]),
        *ids_newest_first(docs["2026-06"]),
    ]


async def test_a_page_in_the_closings_reads_neither_the_open_cases_nor_later_months() -> None:
    docs = queue_of(7)
    first = await _page(sections_of(docs, []), 9, None)  # the open ones, two of July
    assert first.next is not None and first.next.section == "2026-07"
    read: list[str] = []
    second = await _page(sections_of(docs, read), 2, first.next)
    assert read == ["2026-07"]  # one more left in July: June not read
    assert second.next is not None and second.next.section == "2026-07"
    read.clear()
    third = await _page(sections_of(docs, read), 3, second.next)
    assert read == ["2026-07", "2026-06"]
    assert [d["_id"] for d in third.cases[1:]] == ids_newest_first(docs["2026-06"])[:2]


async def test_a_mark_in_a_month_gone_out_of_the_listing_ends_it() -> None:
    # The page before ended among May's closings; the month has turned since and May is
    # no longer listed, so nothing after the mark is part of the queue any more.
    docs = queue_of(3)
    read: list[str] = []
    page = await _page(sections_of(docs, read), 100, Mark("2026-05", 0, "case-000"))
    assert page.cases == [] and page.next is None and read == []


@pytest.mark.parametrize(
    "text",
    ["", "not-a-cursor", "W10", "WyJvcGVuIiwxXQ", "WyJtYXkiLDEsImEiXQ", "WyJvcGVuIiwiMSIsImEiXQ"],
)
def test_a_cursor_the_list_did_not_give_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="not a cursor"):
        Mark.decode(text)


def test_a_mark_reads_back_as_itself() -> None:
    for mark in (Mark(OPEN, 0, "a"), Mark("2026-06", 1_783_000_000_123, "case-é")):
        assert Mark.decode(mark.encode()) == mark
