"""Working days: the official calendar where the library knows the year, Monday to Friday beyond it."""
from __future__ import annotations

import logging
from datetime import date, datetime

from coordinator import workdays


def test_holidays_and_make_up_days_follow_the_official_calendar():
    assert not workdays.is_working_day(date(2026, 10, 1))  # 国庆节, a Thursday
    assert workdays.is_working_day(date(2026, 9, 30))
    assert workdays.add_working_days(date(2026, 9, 30), 1) > date(2026, 10, 7)  # the whole holiday skipped


def test_a_year_the_library_does_not_know_counts_monday_to_friday_and_says_so_once(monkeypatch, caplog):
    monkeypatch.setattr(workdays, "_years_without_data", set())
    with caplog.at_level(logging.WARNING, logger=workdays.__name__):
        days = workdays.working_days_between(date(2099, 1, 1), date(2099, 12, 31))
        assert workdays.add_working_days(date(2099, 1, 2), 1) == date(2099, 1, 5)  # Friday → Monday
    # 261 weekdays less the fixed-date holidays on one: 1 January (Thu), 1 May (Fri), 1 and 2 October (Thu, Fri)
    assert len(days) == 257 and all(day.weekday() < 5 for day in days)
    assert {date(2099, 1, 1), date(2099, 5, 1), date(2099, 10, 1), date(2099, 10, 2)}.isdisjoint(days)
    warnings = [record for record in caplog.records if record.levelno == logging.WARNING]
    assert len(warnings) == 1 and "2099" in warnings[0].getMessage()


def test_a_deadline_across_new_year_skips_new_years_day_beyond_the_librarys_years():
    # A seed round opened on Thursday 31 December 2026 (the library knows 2026, not 2027): one working day later is
    # Monday 4 January 2027, not Friday 1 January, 元旦 in every year.
    assert not workdays.is_working_day(date(2027, 1, 1))
    assert workdays.deadline_after(datetime(2026, 12, 31, 10, 0), 1) == datetime(2027, 1, 4, 23, 59, 59)
    assert workdays.add_working_days(date(2028, 4, 28), 1) == date(2028, 5, 3)  # 1–2 May 2028: Monday, Tuesday
    assert workdays.add_working_days(date(2027, 9, 30), 1) == date(2027, 10, 4)  # 1 October, a Friday
