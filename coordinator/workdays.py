"""Chinese working days (holidays and make-up working days included) from the chinese-calendar library."""
from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta

import chinese_calendar

log = logging.getLogger(__name__)
_years_without_data: set[int] = set()  # said once per year and process, not once per day counted
# The holidays on fixed solar dates (全国年节及纪念日放假办法, 2024 revision): 元旦 1 January, 劳动节 1–2 May,
# 国庆节 1–3 October — holidays in every year, announced or not; the lunar ones and make-up days need the notice.
FIXED_HOLIDAYS = {(1, 1), (5, 1), (5, 2), (10, 1), (10, 2), (10, 3)}


def is_working_day(day: date) -> bool:
    """Official working day; beyond the years the library knows, Monday to Friday except the holidays on fixed
    dates (and say so in the log, once)."""
    if day.year not in _years_without_data:
        try:
            return chinese_calendar.is_workday(day)
        except NotImplementedError:
            _years_without_data.add(day.year)
            log.warning("chinese-calendar 没有 %s 年的节假日数据，按周一至周五（除元旦、劳动节、国庆节）计算工作日；"
                        "请升级该库", day.year)
    return day.weekday() < 5 and (day.month, day.day) not in FIXED_HOLIDAYS


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

