"""Working days in China: statutory holidays and make-up workdays (调休), plus staff overrides.

``chinesecalendar`` knows a year only once the State Council has published it; for later
years we fall back to Monday–Friday and staff record closures and extra working days in
``CalendarOverride``. Pages warn staff when the coming year is not yet known.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import lru_cache
from types import MappingProxyType
from zoneinfo import ZoneInfo

import chinese_calendar
from sqlalchemy import Date, String, select
from sqlalchemy.orm import Mapped, mapped_column

from portal import reference
from portal.extensions import UTCDateTime, db

TZ = ZoneInfo("Asia/Shanghai")
WEEKDAYS = "一二三四五六日"
FIRST_YEAR, LAST_YEAR = 2000, 2099  # the dates the portal accepts anywhere (request_guard)


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
    if not FIRST_YEAR <= year <= LAST_YEAR:
        return False
    try:
        chinese_calendar.is_workday(date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


@lru_cache(maxsize=8192)
def _statutory_working_day(day: date) -> bool:
    """The State Council's answer (Monday–Friday for a year it has not published): a pure
    function of the date and the installed library, so it is remembered per process
    (chinesecalendar validates every date it is asked about, which showed in the profile)."""
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        return day.weekday() < 5


def _load_overrides() -> MappingProxyType:
    return MappingProxyType(
        {o.day: o.is_working for o in db.session.scalars(select(CalendarOverride))})


class WorkingCalendar:
    """Answers working-day questions; the overrides are kept per process while the reference
    version stays (portal.reference), so a request normally reads none."""

    def __init__(self, overrides: dict[date, bool] | None = None):
        if overrides is None:
            overrides = reference.cached("calendar_overrides", _load_overrides)
        self.overrides = overrides

    def is_working_day(self, day: date) -> bool:
        if day in self.overrides:
            return self.overrides[day]
        return _statutory_working_day(day)

    def previous_working_day(self, day: date) -> date:
        """The last working day strictly before ``day``."""
        candidate = day - timedelta(days=1)
        for _ in range(60):
            if self.is_working_day(candidate):
                return candidate
            candidate -= timedelta(days=1)
        return day - timedelta(days=1)


class CalendarYear(db.Model):
    """An administrator's word that a year's holidays and make-up workdays are all entered."""

    __tablename__ = "calendar_year"

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    confirmed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    confirmed_by: Mapped[str] = mapped_column(String(80))


def confirmed_years() -> set[int]:
    return set(reference.cached("confirmed_years", _load_confirmed_years))


def _load_confirmed_years() -> frozenset[int]:
    return frozenset(db.session.scalars(select(CalendarYear.year)))


reference.watch(CalendarOverride, CalendarYear)


def year_settled(year: int, confirmed: set[int]) -> bool:
    """A year is settled when the library knows it or an administrator confirmed it; a single
    override entered for the year proves nothing about the other holidays."""
    return known_year(year) or year in confirmed


def unsettled_year_warnings(today: date) -> list[str]:
    """Warnings for staff: this year, whenever unsettled; next year, from October on (when
    the State Council publishes it and sessions start to be planned into it)."""
    years = [today.year] + ([today.year + 1] if today.month >= 10 else [])
    confirmed = confirmed_years()
    return [
        f"{year}年法定节假日和调休安排尚未确认：系统暂按周一至周五为工作日计算。"
        "请在“工作日历”中录入放假日和调休上班日，全部录入后由管理员确认该年日历。"
        for year in years if not year_settled(year, confirmed)
    ]


def format_date(day: date) -> str:
    """'2026年11月23日 星期一'."""
    return f"{day.year}年{day.month}月{day.day}日 星期{WEEKDAYS[day.weekday()]}"


def format_time(at: time) -> str:
    return at.strftime("%H:%M")


def format_datetime(moment: datetime) -> str:
    moment = moment.astimezone(TZ)
    return f"{format_date(moment.date())} {moment:%H:%M}"
