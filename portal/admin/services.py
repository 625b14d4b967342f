"""Administration rules: rule settings, working-calendar days and years. Callers commit;
every change is an audited event."""
from __future__ import annotations

from datetime import date, datetime

from portal import calendar, events, settings
from portal.errors import DomainError
from portal.extensions import db


def save_settings(submitted: dict[str, str], actor) -> None:
    """Store submitted rule numbers, all or none; the event lists what changed, old → new
    (as stored: a time "9:00" is kept as "09:00" and compared so)."""
    before = settings.current_values()
    if errors := settings.save(submitted):
        raise DomainError(errors)
    after = settings.current_values()
    changed = {k: {"old": settings.as_text(before[k]), "new": settings.as_text(after[k])}
               for k in submitted if k in before
               and settings.as_text(before[k]) != settings.as_text(after[k])}
    if changed:
        events.emit("settings.update", "settings", "rules", actor=actor, **changed)


def set_calendar_day(day: date, is_working: bool, note: str, actor) -> None:
    row = db.session.get(calendar.CalendarOverride, day)
    if row is None:
        row = calendar.CalendarOverride(day=day)
        db.session.add(row)
    row.is_working, row.note = is_working, (note or "").strip()
    events.emit("calendar.set", "calendar", day.isoformat(), actor=actor,
                is_working=row.is_working, note=row.note)


def delete_calendar_day(day: date, actor) -> None:
    row = db.session.get(calendar.CalendarOverride, day)
    if row is None:
        raise DomainError("该日期没有设置", status=404)
    db.session.delete(row)
    events.emit("calendar.delete", "calendar", day.isoformat(), actor=actor)


def set_year_confirmed(year: int, confirmed: bool, actor, now: datetime) -> None:
    """An administrator confirms (or withdraws) that ``year`` is entered in full."""
    if not calendar.FIRST_YEAR <= year <= calendar.LAST_YEAR:
        raise DomainError(f"年份应在 {calendar.FIRST_YEAR}–{calendar.LAST_YEAR} 之间", status=404)
    if calendar.known_year(year):
        raise DomainError(f"{year}年的安排已内置，无需确认", status=409)
    row = db.session.get(calendar.CalendarYear, year)
    if confirmed and row is None:
        db.session.add(calendar.CalendarYear(year=year, confirmed_at=now,
                                             confirmed_by=getattr(actor, "username", str(actor))))
    elif not confirmed and row is not None:
        db.session.delete(row)
    else:
        raise DomainError(f"{year}年日历{'已经确认' if confirmed else '尚未确认'}", status=409)
    events.emit("calendar.year_confirm" if confirmed else "calendar.year_revoke",
                "calendar_year", year, actor=actor)
