"""Date ranges of the statistics: parsing a requested range, the previous period of the same
length, week buckets (Monday to Sunday, across a year boundary as any other week), months,
and the UTC instants that bound a range of China days (for columns that hold moments)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from portal import calendar
from portal.request_guard import MAX_DATE, MIN_DATE

MAX_DAYS = 3 * 366  # at most three years at once


@dataclass(frozen=True)
class Period:
    """The China days ``start``..``end``, both included."""

    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> Period:
        """The period of the same number of days just before this one."""
        end = self.start - timedelta(days=1)
        return Period(end - timedelta(days=self.days - 1), end)

    def utc_bounds(self) -> tuple[datetime, datetime]:
        """[from, to): the moments of these China days."""
        return day_start(self.start), day_start(self.end + timedelta(days=1))

    def weeks(self) -> list[Week]:
        """The Monday-to-Sunday weeks that meet the period, in order; a week's index is what
        ``sql.week_index(day, period.origin)`` computes for its days."""
        found, monday, index = [], self.origin, 0
        while monday <= self.end:
            found.append(Week(index, monday, max(monday, self.start),
                              min(monday + timedelta(days=6), self.end)))
            monday += timedelta(days=7)
            index += 1
        return found

    @property
    def origin(self) -> date:
        """The Monday on or before ``start``: week 0 begins there."""
        return self.start - timedelta(days=self.start.weekday())

    def label(self) -> str:
        return f"{calendar.format_date(self.start)} 至 {calendar.format_date(self.end)}"


@dataclass(frozen=True)
class Week:
    index: int
    monday: date
    first: date  # the week's first day inside the period
    last: date  # and its last

    @property
    def label(self) -> str:
        """``2025-12-29 周`` style: the Monday (ISO week of that Monday's year is ambiguous
        across a year boundary, the Monday is not); cut weeks show their days."""
        if self.first == self.monday and self.last == self.monday + timedelta(days=6):
            return f"{self.monday:%Y-%m-%d} 起一周"
        return f"{self.first:%Y-%m-%d}—{self.last:%m-%d}"


def day_start(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=calendar.TZ)


def default_period(today: date) -> Period:
    """This month so far."""
    return Period(today.replace(day=1), today)


def parse(raw_start: str, raw_end: str, today: date) -> tuple[Period, dict[str, str]]:
    """The requested period, or the default one with field -> reason (Chinese) when what was
    given cannot be used. Empty fields take the default's value."""
    default = default_period(today)
    errors: dict[str, str] = {}
    start = _date(raw_start, "start", errors) or default.start
    end = _date(raw_end, "end", errors) or default.end
    if not errors and end < start:
        errors["end"] = "结束日期不能早于开始日期"
    elif not errors and (end - start).days + 1 > MAX_DAYS:
        errors["end"] = f"统计期间最长 {MAX_DAYS} 天（三年），请缩小日期范围"
    if errors:
        return default, errors
    return Period(start, end), errors


def _date(raw: str, field: str, errors: dict[str, str]) -> date | None:
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        value = date.fromisoformat(raw)
    except ValueError:
        errors[field] = "日期格式不正确，应为 2026-01-01 这样的日期"
        return None
    if not MIN_DATE <= value <= MAX_DATE:
        errors[field] = f"日期应在 {MIN_DATE.year} 年至 {MAX_DATE.year} 年之间"
        return None
    return value


def months(first: date, last: date) -> list[tuple[int, int]]:
    """(year, month) from ``first``'s month to ``last``'s, in order."""
    found, year, month = [], first.year, first.month
    while (year, month) <= (last.year, last.month):
        found.append((year, month))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return found
