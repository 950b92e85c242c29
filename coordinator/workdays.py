"""Chinese working days (holidays and make-up working days included) from the chinese-calendar library."""
from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta

import chinese_calendar

log = logging.getLogger(__name__)
_years_without_data: set[int] = set()  # said once per year and process, not once per day counted


def is_working_day(day: date) -> bool:
    """Official working day; beyond the years the library knows, Monday to Friday (and say so in the log, once)."""
    if day.year not in _years_without_data:
        try:
            return chinese_calendar.is_workday(day)
        except NotImplementedError:
            _years_without_data.add(day.year)
            log.warning("chinese-calendar 没有 %s 年的节假日数据，按周一至周五计算工作日；请升级该库", day.year)
    return day.weekday() < 5


def add_working_days(start: date, count: int) -> date:
    """The `count`-th working day after `start` (start itself not counted)."""
    day = start
    remaining = count
    while remaining > 0:
        day += timedelta(days=1)
        if is_working_day(day):
            remaining -= 1
    return day


def deadline_after(moment: datetime, working_days: int) -> datetime:
    """End (23:59:59) of the `working_days`-th working day after the day of `moment`."""
    return datetime.combine(add_working_days(moment.date(), working_days), time(23, 59, 59))


def working_days_between(first: date, last: date) -> list[date]:
    """Every working day from `first` to `last`, both included."""
    days, day = [], first
    while day <= last:
        if is_working_day(day):
            days.append(day)
        day += timedelta(days=1)
    return days

