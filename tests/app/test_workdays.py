"""Working days: the official calendar where the library knows the year, Monday to Friday beyond it."""
from __future__ import annotations

import logging
from datetime import date

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
    assert len(days) == 261 and all(day.weekday() < 5 for day in days)
    warnings = [record for record in caplog.records if record.levelno == logging.WARNING]
    assert len(warnings) == 1 and "2099" in warnings[0].getMessage()
