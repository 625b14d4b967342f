"""Hearings and the working calendar (``portal.calendar.WorkingCalendar``).

A hearing on a day the calendar calls a non-working day (a weekend, a statutory holiday, a day
an administrator closed) is warned about, never refused: the office may hold one on purpose.
The calendar can change after a hearing is planned, so dashboards ask again on every view.
"""
from __future__ import annotations

from datetime import date, timedelta

from portal import calendar


def is_off_day(day: date, working: calendar.WorkingCalendar | None = None) -> bool:
    return not (working or calendar.WorkingCalendar()).is_working_day(day)


def off_day_warning(day: date) -> str:
    return (f"评价会定于 {calendar.format_date(day)}，按工作日历该日为非工作日"
            "（周末、法定节假日或调休休息日）：请核实是否照常举行，或改期后重新公告。")


def earliest_working_day(start: date, working: calendar.WorkingCalendar | None = None) -> date:
    """The first working day on or after ``start`` (``start`` itself after 60 days off)."""
    working = working or calendar.WorkingCalendar()
    for offset in range(60):
        if working.is_working_day(start + timedelta(days=offset)):
            return start + timedelta(days=offset)
    return start


def off_day_hearings(hearings) -> list:
    """Those of ``hearings`` on a non-working day (one calendar load for all)."""
    working = calendar.WorkingCalendar()
    return [h for h in hearings if is_off_day(h.day, working)]
