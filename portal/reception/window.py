"""The booking window of a session: when booking (and the citizen's cancelling) opens and closes.

Shared by the citizen's rules (services), the lifecycle's cut-off guard and the schedule
queries, so none of them imports another for it.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from portal import calendar, settings
from portal.reception import rules
from portal.reception.models import ReceptionSession


@dataclass(frozen=True)
class Window:
    opens_at: datetime
    closes_at: datetime

    def state(self, now: datetime) -> str:
        if now < self.opens_at:
            return "not_open"
        if now >= self.closes_at:
            return "closed"
        return "open"


def booking_window(session: ReceptionSession, cal: calendar.WorkingCalendar,
                   values: dict | None = None) -> Window:
    """Opens N days ahead at 00:00; closes at the cut-off on the last working day before."""
    values = values or settings.current_values()
    hour, minute = map(int, str(values[rules.CUTOFF_TIME.key]).split(":"))
    opens = calendar.local(session.day - timedelta(days=values[rules.OPEN_DAYS.key]), time(0, 0))
    closes = calendar.local(cal.previous_working_day(session.day), time(hour, minute))
    return Window(opens, closes)


def is_bookable(session: ReceptionSession, window: Window, now: datetime) -> bool:
    return session.status == "published" and window.state(now) == "open"


def cancelled_notice(session: ReceptionSession) -> str | None:
    """What the public reads about a cancelled session; None when it is not cancelled."""
    if session.status != "cancelled":
        return None
    return f"本场接访已取消：{session.cancel_reason}" if session.cancel_reason else "本场接访已取消"


def window_message(session: ReceptionSession, window: Window, now: datetime) -> str | None:
    """Why this session cannot be booked now, in Chinese; None when it can."""
    if notice := cancelled_notice(session):
        return notice
    if session.status != "published":
        return "本场接访尚未发布"
    state = window.state(now)
    if state == "not_open":
        return f"本场接访将于 {calendar.format_datetime(window.opens_at)} 开放预约"
    if state == "closed":
        return f"本场接访已于 {calendar.format_datetime(window.closes_at)} 截止预约"
    return None
