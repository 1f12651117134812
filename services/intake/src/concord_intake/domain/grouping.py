"""Repeats and collective matters: flags on a case, never reasons to refuse it.

A repeat is the same party (same pseudonymous reference, so the same normalised phone or
identity number) on a similar matter -- same category and area, similar description --
within a window. The same party on the same category and area, worded differently, is a
probable repeat: staff confirm or reject it (a returning citizen rarely tells it the same way).
A collective matter has many parties, or is one of several similar cases on
the same matter in a short time.

An early warning describes a situation, never a person to watch: its parties are never
matched (no repeat, no crowd of the same people), and it is grouped with other warnings on
the same place and category within a window -- a situation group.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta


def bigrams(text: str) -> set[str]:
    compact = "".join(ch for ch in text.lower() if ch.isalnum())
    return {compact[i : i + 2] for i in range(len(compact) - 1)} or {compact}


def similarity(a: str, b: str) -> float:
    """Jaccard similarity of character bigrams: works for Chinese and alphabetic text alike."""
    x, y = bigrams(a), bigrams(b)
    return len(x & y) / len(x | y) if x | y else 0.0


@dataclass(frozen=True)
class EarlierCase:
    case_id: str
    party_refs: frozenset[str]
    category: str
    area_code: str
    description: str
    received_at: datetime
    collective_group: str | None = None
    early_warning: bool = False
    situation_group: str | None = None


@dataclass(frozen=True)
class NewCase:
    party_refs: frozenset[str]
    party_count: int
    category: str
    area_code: str
    description: str
    received_at: datetime
    early_warning: bool = False
    case_id: str = ""  # an early warning that starts a situation names the group after itself


@dataclass(frozen=True)
class Grouping:
    repeat_of: str | None = None
    collective: bool = False
    collective_group: str | None = None
    situation_group: str | None = None
    # How many cases on the matter made it collective, this one included (within the window).
    group_size: int | None = None
    # The same party on the same category and area within the window, worded differently:
    # likely the same matter again, for staff to confirm or reject (not counted as a repeat
    # until they confirm).
    probable_repeat_of: str | None = None


def _same_matter(case: NewCase, earlier: EarlierCase, threshold: float) -> bool:
    return (
        earlier.category == case.category
        and earlier.area_code == case.area_code
        and similarity(earlier.description, case.description) >= threshold
    )


def group(
    case: NewCase,
    earlier: Sequence[EarlierCase],
    *,
    repeat_window: timedelta,
    collective_window: timedelta,
    threshold: float,
    party_threshold: int,
    min_cases: int,
    situation_window: timedelta | None = None,
) -> Grouping:
    if case.early_warning:
        return _situation(case, earlier, situation_window or collective_window, party_threshold)
    # An early warning is no earlier handling of anyone's matter: never a repeat's origin.
    matters = [e for e in earlier if not e.early_warning and _same_matter(case, e, threshold)]
    repeats = [
        e
        for e in matters
        if e.party_refs & case.party_refs and case.received_at - e.received_at <= repeat_window
    ]
    repeat_of = max(repeats, key=lambda e: e.received_at).case_id if repeats else None
    probable = (
        None
        if repeat_of
        else _latest(
            e
            for e in earlier
            if not e.early_warning
            and e.category == case.category
            and e.area_code == case.area_code
            and e.party_refs & case.party_refs
            and case.received_at - e.received_at <= repeat_window
        )
    )
    # Other people's cases on the same matter: one person coming back is a repeat, not a crowd.
    recent = sorted(
        (
            e
            for e in matters
            if not e.party_refs & case.party_refs
            and case.received_at - e.received_at <= collective_window
        ),
        key=lambda e: e.received_at,
    )
    if len(recent) + 1 >= min_cases:
        first = recent[0]
        return Grouping(
            repeat_of,
            True,
            first.collective_group or first.case_id,
            group_size=len(recent) + 1,
            probable_repeat_of=probable,
        )
    return Grouping(
        repeat_of, case.party_count >= party_threshold, None, probable_repeat_of=probable
    )


def _latest(cases: Iterable[EarlierCase]) -> str | None:
    found = max(cases, key=lambda e: e.received_at, default=None)
    return found.case_id if found else None


def _situation(
    case: NewCase, earlier: Sequence[EarlierCase], window: timedelta, party_threshold: int
) -> Grouping:
    """An early warning joins the situation of the earliest warning on the same place and
    category within the window, or starts one; who reported it or whom it names plays no
    part."""
    same = sorted(
        (
            e
            for e in earlier
            if e.early_warning
            and e.category == case.category
            and e.area_code == case.area_code
            and timedelta(0) <= case.received_at - e.received_at <= window
        ),
        key=lambda e: e.received_at,
    )
    situation = (same[0].situation_group or same[0].case_id) if same else case.case_id
    return Grouping(collective=case.party_count >= party_threshold, situation_group=situation)
