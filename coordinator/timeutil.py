"""Local (Beijing) time: the county works in one time zone, so timestamps are stored as local wall time."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

BEIJING = timezone(timedelta(hours=8), "北京时间")


def now() -> datetime:
    return datetime.now(BEIJING).replace(tzinfo=None, microsecond=0)


def today() -> date:
    return now().date()
