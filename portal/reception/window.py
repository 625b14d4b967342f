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
    """Closes at the cut-off time on the last working day before the session. Opens at 00:00
    N calendar days before the session — or earlier, at 00:00 of the M-th working day counted
    back from the cut-off day (that day included), whichever comes first: so the window always
    holds at least M working days, also for a session just after 国庆 or 春节, whose cut-off
    falls before the holiday."""
    values = values or settings.current_values()
    hour, minute = map(int, str(values[rules.CUTOFF_TIME.key]).split(":"))
    cutoff_day = cal.previous_working_day(session.day)
    first_working = cutoff_day
    for _ in range(values[rules.MIN_WORKING_DAYS.key] - 1):
        first_working = cal.previous_working_day(first_working)
    opens_day = min(session.day - timedelta(days=values[rules.OPEN_DAYS.key]), first_working)
    return Window(calendar.local(opens_day, time(0, 0)),
                  calendar.local(cutoff_day, time(hour, minute)))


def bookable_time(window: Window, now: datetime) -> timedelta:
    """How long, from ``now`` on, the public can still book in this window."""
    return max(window.closes_at - max(window.opens_at, now), timedelta(0))


def short_window_warning(session: ReceptionSession, window: Window, now: datetime) -> str | None:
    """For staff creating or publishing a session: the public gets less than a day to book."""
    if bookable_time(window, now) >= timedelta(days=1):
        return None
    when = f"{calendar.format_date(session.day)} 的接访"
    if now >= window.closes_at:
        return (f"{when}已过网上预约截止时间（{calendar.format_datetime(window.closes_at)}），"
                "群众不能再在网上预约，只能现场登记。请另行通知，或改期。")
    return (f"{when}网上预约时间不足一天：将于 {calendar.format_datetime(window.closes_at)} "
            "截止。请尽快告知群众，或改期。")


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
