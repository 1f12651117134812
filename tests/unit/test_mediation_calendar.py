"""Working-day deadlines on the 2026 mainland calendar, worked out by hand."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

from concord_mediation.domain.deadlines import (
    DeadlinePolicy,
    DeadlineRule,
    Span,
    due_alarms,
)
from concord_shared.calendar import WorkingCalendar, load_calendar
from concord_shared.enums import CaseKind, Level, Severity
from concord_shared.paths import SAMPLE

CST = timezone(timedelta(hours=8))
CAL = load_calendar(SAMPLE / "calendar-cn-2026.yaml")


def at(year: int, month: int, day: int, hour: int = 0) -> datetime:
    return datetime(year, month, day, hour, tzinfo=CST)


def policy(**kw: object) -> DeadlinePolicy:
    rules = (DeadlineRule(acceptance="15wd", handling="60wd"),)
    return DeadlinePolicy(rules=rules, calendar=CAL, **kw)  # type: ignore[arg-type]


def test_the_2026_calendar_knows_holidays_and_make_up_days() -> None:
    assert not CAL.is_working_day(at(2026, 10, 1).date())  # 国庆节, a Thursday
    assert CAL.is_working_day(at(2026, 10, 10).date())  # a Saturday worked (调休)
    assert CAL.is_working_day(at(2026, 9, 20).date())  # a Sunday worked
    assert not CAL.is_working_day(at(2026, 10, 11).date())  # an ordinary Sunday
    assert not CAL.is_working_day(at(2026, 2, 16).date())  # 春节
    assert CAL.is_working_day(at(2026, 11, 26).date())  # an ordinary Thursday


def test_fifteen_working_days_count_the_make_up_saturday() -> None:
    # From Friday 9 October 10:00: Sat 10 (make-up), 12-16, 19-23, 26-29 -> 15th is Thu 29.
    due = CAL.add_working_days(at(2026, 10, 9, 10), 15)
    assert due == at(2026, 10, 29, 10)
    without_make_up = WorkingCalendar("plain", CST, CAL.holidays, frozenset())
    assert without_make_up.add_working_days(at(2026, 10, 9, 10), 15) == at(2026, 10, 30, 10)


def test_a_deadline_across_the_national_day_holiday() -> None:
    # Wed 30 Sep 09:00: 15h that day, 1-7 Oct off, Thu 8 and Fri 9 whole, 9h of Sat 10.
    assert CAL.add_working_days(at(2026, 9, 30, 9), 3) == at(2026, 10, 10, 9)


def test_working_time_between_skips_weekends_and_holidays() -> None:
    seconds = CAL.working_time_between(at(2026, 9, 30, 12), at(2026, 10, 9, 12))
    assert seconds == (12 + 24 + 12) * 3600  # Sep 30 from noon, Oct 8, Oct 9 to noon


def test_the_clock_pauses_while_waiting_on_the_citizen() -> None:
    p = policy(warn_share=0.8)
    timer = p.start("acceptance", Span.parse("5wd"), at(2026, 11, 2, 9))  # a Monday
    assert timer.due_at == at(2026, 11, 9, 9)
    assert timer.warn_at == at(2026, 11, 6, 9)  # 4 of 5 working days
    paused = p.pause(timer, at(2026, 11, 4, 9))
    assert due_alarms(paused, at(2026, 11, 12)) == []  # nothing fires while paused
    resumed = p.resume(paused, at(2026, 11, 16, 9))
    # 3 working days were left at the pause (Wed 15h, Thu, Fri, Mon 9h); 2 to the warning.
    assert resumed.due_at == at(2026, 11, 19, 9)
    assert resumed.warn_at == at(2026, 11, 18, 9)


def test_warning_then_breach_each_once() -> None:
    p = policy()
    timer = p.start("acceptance", Span.parse("5wd"), at(2026, 11, 2, 9))
    assert due_alarms(timer, at(2026, 11, 6, 8)) == []
    assert due_alarms(timer, at(2026, 11, 6, 9)) == ["warning"]
    warned = replace(timer, warned=True)
    assert due_alarms(warned, at(2026, 11, 8)) == []
    assert due_alarms(warned, at(2026, 11, 9, 9)) == ["breach"]
    assert due_alarms(replace(warned, breached=True), at(2026, 12, 1)) == []
    assert due_alarms(timer, at(2026, 12, 1)) == ["warning", "breach"]  # a jump past both


def test_high_severity_early_warnings_are_in_hours() -> None:
    rules = (
        DeadlineRule(acceptance="15wd", handling="60wd"),
        DeadlineRule(
            kind=CaseKind.EARLY_WARNING, severity=Severity.HIGH, acceptance="4h", handling="24h"
        ),
        DeadlineRule(
            kind=CaseKind.PETITION, level=Level.COUNTY, acceptance="10wd", handling="30wd"
        ),
    )
    p = DeadlinePolicy(rules=rules, calendar=CAL)
    acceptance, _ = p.spans(CaseKind.EARLY_WARNING, Level.VILLAGE, Severity.HIGH)
    timer = p.start("acceptance", acceptance, at(2026, 10, 3, 22))  # a holiday night
    assert timer.due_at == at(2026, 10, 4, 2)  # hours run on holidays too
    assert p.spans(CaseKind.PETITION, Level.COUNTY, Severity.LOW)[0] == Span.parse("10wd")
    assert p.spans(CaseKind.PETITION, Level.VILLAGE, Severity.LOW)[0] == Span.parse("15wd")


def test_one_extension_of_at_most_thirty_working_days() -> None:
    p = policy()
    timer = p.start("handling", Span.parse("20wd"), at(2026, 11, 2, 9))
    assert timer.due_at == at(2026, 11, 30, 9)
    extended = p.extend(timer, Span.parse("10wd"), at(2026, 11, 3))
    assert extended.due_at == at(2026, 12, 14, 9)  # Dec 1-4, 7-11, 14
    try:
        p.extend(extended, Span.parse("5wd"), at(2026, 11, 3))
    except ValueError as exc:
        assert "only one extension" in str(exc)
    else:
        raise AssertionError("a second extension was allowed")
    try:
        p.extend(timer, Span.parse("31wd"), at(2026, 11, 3))
    except ValueError as exc:
        assert "longer than allowed" in str(exc)
    else:
        raise AssertionError("a 31-day extension was allowed")


def test_a_departments_answer_is_due_on_the_nth_working_day_after_the_day_it_is_asked() -> None:
    # Asked on Wednesday 30 September: 1-7 October are 国庆节; Thu 8, Fri 9, Sat 10 (make-up),
    # Mon 12, Tue 13 -> the fifth is Tuesday 13 October.
    assert CAL.working_day_after(at(2026, 9, 30, 15), 5).isoformat() == "2026-10-13"
    # The day is the calendar's local one: 17:00 UTC on the 9th is 01:00 on Saturday the
    # 10th in Beijing; then Mon 12 .. Fri 16.
    late = datetime(2026, 10, 9, 17, tzinfo=UTC)
    assert CAL.working_day_after(late, 5).isoformat() == "2026-10-16"
    # One working day from a Friday is the Monday.
    assert CAL.working_day_after(at(2026, 12, 4, 11), 1).isoformat() == "2026-12-07"
