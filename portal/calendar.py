"""Working days in China: statutory holidays and make-up workdays (调休), plus staff overrides.

``chinesecalendar`` knows a year only once the State Council has published it; for later
years we fall back to Monday–Friday and staff record closures and extra working days in
``CalendarOverride``. Pages warn staff when the coming year is not yet known.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar
from sqlalchemy import Date, String, select
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db

TZ = ZoneInfo("Asia/Shanghai")
WEEKDAYS = "一二三四五六日"


class CalendarOverride(db.Model):
    __tablename__ = "calendar_override"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    is_working: Mapped[bool]
    note: Mapped[str] = mapped_column(String(100), default="")


def now() -> datetime:
    """The current time in Asia/Shanghai (aware)."""
    return datetime.now(TZ)


def local(day: date, at: time) -> datetime:
    return datetime.combine(day, at, tzinfo=TZ)


def known_year(year: int) -> bool:
    """True when chinesecalendar has the State Council's schedule for ``year``."""
    try:
        chinese_calendar.is_workday(date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


class WorkingCalendar:
    """Answers working-day questions; loads the overrides once per instance."""

    def __init__(self, overrides: dict[date, bool] | None = None):
        if overrides is None:
            overrides = {
                o.day: o.is_working for o in db.session.scalars(select(CalendarOverride))
            }
        self.overrides = overrides

    def is_working_day(self, day: date) -> bool:
        if day in self.overrides:
            return self.overrides[day]
        try:
            return chinese_calendar.is_workday(day)
        except NotImplementedError:
            return day.weekday() < 5

    def previous_working_day(self, day: date) -> date:
        """The last working day strictly before ``day``."""
        candidate = day - timedelta(days=1)
        for _ in range(60):
            if self.is_working_day(candidate):
                return candidate
            candidate -= timedelta(days=1)
        return day - timedelta(days=1)


def unknown_year_warning(today: date) -> str | None:
    """A warning for staff when next year's holidays are neither known nor entered."""
    year = today.year + 1
    if today.month < 10 or known_year(year):
        return None
    entered = db.session.scalar(
        select(CalendarOverride.day)
        .where(CalendarOverride.day >= date(year, 1, 1), CalendarOverride.day < date(year + 1, 1, 1))
        .limit(1)
    )
    if entered:
        return None
    return (
        f"{year}年法定节假日和调休安排尚未录入：系统暂按周一至周五为工作日计算。"
        "国务院公布安排后，请在“工作日历”中录入放假日和调休上班日。"
    )


def format_date(day: date) -> str:
    """'2026年11月23日 星期一'."""
    return f"{day.year}年{day.month}月{day.day}日 星期{WEEKDAYS[day.weekday()]}"


def format_time(at: time) -> str:
    return at.strftime("%H:%M")


def format_datetime(moment: datetime) -> str:
    moment = moment.astimezone(TZ)
    return f"{format_date(moment.date())} {moment:%H:%M}"
