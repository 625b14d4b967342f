"""What the administration pages read."""
from __future__ import annotations

from datetime import date

from sqlalchemy import select

from portal import audit, calendar
from portal.extensions import db

AUDIT_PAGE = 50


def calendar_overrides() -> list[calendar.CalendarOverride]:
    return list(db.session.scalars(
        select(calendar.CalendarOverride).order_by(calendar.CalendarOverride.day.desc())))


def calendar_years(today: date) -> list[dict]:
    """This year and the next: known to the library, confirmed, or neither."""
    confirmed = calendar.confirmed_years()
    return [{"year": y, "known": calendar.known_year(y), "confirmed": y in confirmed}
            for y in (today.year, today.year + 1)]


def audit_page(before: int | None) -> list[audit.AuditEntry]:
    """The newest entries, or those before an id (keyset paging: fast at any depth)."""
    query = select(audit.AuditEntry).order_by(audit.AuditEntry.id.desc()).limit(AUDIT_PAGE)
    if before:
        query = query.where(audit.AuditEntry.id < before)
    return list(db.session.scalars(query))
