"""A platform's queue a page at a time: the mark a page ends at, and the pages after it."""

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from concord_mediation.adapters.indexes import opened_ms
from concord_mediation.queues import OPEN, READ_LEAST, Entry, Loader, Mark, Page, Reader, _page

START = datetime(2026, 7, 1, tzinfo=UTC)


def case(n: int, minutes: int) -> dict[str, Any]:
    return {"_id": f"case-{n:03d}", "opened_at": START + timedelta(minutes=minutes)}


def ids_newest_first(docs: list[dict[str, Any]]) -> list[str]:
    return [d["_id"] for d in sorted(docs, key=lambda d: (d["opened_at"], d["_id"]), reverse=True)]


def sections_of(docs: dict[str, list[dict[str, Any]]], read: list[str]) -> list[tuple[str, Loader]]:
    """Each section's list: an entry per case (when it opened, its id, its platform)."""

    def loader(name: str) -> Loader:
        async def load() -> list[Entry]:
            read.append(name)
            return [Entry(opened_ms(d), d["_id"], "P") for d in docs[name]]

        return load

    return [(name, loader(name)) for name in docs]


def reader_of(
    docs: dict[str, list[dict[str, Any]]], fetched: list[str], gone: frozenset[str] = frozenset()
) -> Reader:
    """The cases of a section's entries, as the store gives them; those in `gone` have
    moved on since they were listed (a stale entry) and are not given."""
    by_id = {d["_id"]: d for section in docs.values() for d in section}

    async def read(section: str, entries: list[Entry]) -> list[dict[str, Any]]:
        fetched.extend(e.case_id for e in entries)
        return [by_id[e.case_id] for e in entries if e.case_id not in gone]

    return read


async def page_of(
    docs: dict[str, list[dict[str, Any]]],
    limit: int,
    after: Mark | None = None,
    listed: list[str] | None = None,
    fetched: list[str] | None = None,
    gone: frozenset[str] = frozenset(),
) -> Page:
    read = reader_of(docs, [] if fetched is None else fetched, gone)
    return await _page(sections_of(docs, [] if listed is None else listed), limit, after, read)


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
    pages = [await page_of(docs, limit)]
    while (mark := pages[-1].next) is not None:
        pages.append(await page_of(docs, limit, Mark.decode(mark.encode())))
    return pages


@pytest.mark.parametrize("limit", [1, 2, 3, 5, 17, 18, 100])
async def test_the_pages_hold_every_case_once_in_the_order_of_the_whole(limit: int) -> None:
    docs = queue_of(limit)
    whole = (await page_of(docs, 1000)).cases
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
    first = await page_of(docs, 9)  # the open ones, two of July
    assert first.next is not None and first.next.section == "2026-07"
    read: list[str] = []
    second = await page_of(docs, 2, first.next, listed=read)
    assert read == ["2026-07"]  # one more left in July: June not listed
    assert second.next is not None and second.next.section == "2026-07"
    read.clear()
    third = await page_of(docs, 3, second.next, listed=read)
    assert read == ["2026-07", "2026-06"]
    assert [d["_id"] for d in third.cases[1:]] == ids_newest_first(docs["2026-06"])[:2]


async def test_a_mark_in_a_month_gone_out_of_the_listing_ends_it() -> None:
    # The page before ended among May's closings; the month has turned since and May is
    # no longer listed, so nothing after the mark is part of the queue any more.
    docs = queue_of(3)
    read: list[str] = []
    page = await page_of(docs, 100, Mark("2026-05", 0, "case-000"), listed=read)
    assert page.cases == [] and page.next is None and read == []


def big_queue(open_cases: int) -> dict[str, list[dict[str, Any]]]:
    return {OPEN: [case(n, n) for n in range(open_cases)], "2026-07": [case(900, 5)]}


async def test_a_page_reads_the_cases_it_shows_not_all_its_section_lists() -> None:
    docs = big_queue(500)
    fetched: list[str] = []
    page = await page_of(docs, 50, fetched=fetched)
    newest = ids_newest_first(docs[OPEN])
    assert [d["_id"] for d in page.cases] == newest[:50]
    # The page's cases and the one that tells another page follows: none of the 449 others.
    assert fetched == newest[:51]
    fetched.clear()
    second = await page_of(docs, 50, page.next, fetched=fetched)
    assert [d["_id"] for d in second.cases] == newest[50:100]
    assert fetched == newest[50:101]


async def test_a_stale_entry_is_passed_over_and_the_page_still_full() -> None:
    docs = big_queue(200)
    newest = ids_newest_first(docs[OPEN])
    gone = frozenset(newest[3:40:4])  # ten cases that moved on since they were listed
    fetched: list[str] = []
    page = await page_of(docs, 50, fetched=fetched, gone=gone)
    assert [d["_id"] for d in page.cases] == [i for i in newest if i not in gone][:50]
    assert page.next is not None
    # The first read asked for 51; the ten it lacked were read next (at least READ_LEAST).
    assert fetched == newest[: 51 + max(10, READ_LEAST)]


async def test_the_last_page_ends_the_list_even_past_stale_entries() -> None:
    docs = big_queue(30)
    newest = ids_newest_first(docs[OPEN])
    gone = frozenset(newest[-5:])  # the oldest open ones moved on
    page = await page_of(docs, 26, gone=gone)
    # 25 open and July's one case: exactly the page, and nothing after it.
    assert [d["_id"] for d in page.cases] == [*newest[:25], "case-900"]
    assert page.next is None


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
