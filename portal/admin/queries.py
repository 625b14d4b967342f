"""What the administration pages read."""
from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date, time, timedelta

from sqlalchemy import select

from portal import audit, calendar
from portal.extensions import db

AUDIT_PAGE = 50

# How an audited object is named on the log page: its table and the columns that name it.
# Read through the tables (not the domains' models), one statement per object type shown.
_OBJECT_NAMES: dict[str, tuple[str, tuple[str, ...]]] = {
    "user": ("user_account", ("username", "display_name")),
    "leader": ("leader", ("name",)),
    "session": ("reception_session", ("day", "start_time")),
    "eval_matter": ("eval_matter", ("number",)),
    "eval_evaluator": ("eval_evaluator", ("name",)),
    "eval_hearing": ("eval_hearing", ("day",)),
    "eval_letter": ("eval_letter", ("number",)),
}


def calendar_overrides() -> list[calendar.CalendarOverride]:
    return list(db.session.scalars(
        select(calendar.CalendarOverride).order_by(calendar.CalendarOverride.day.desc())))


def calendar_years(today: date) -> list[dict]:
    """This year and the next: known to the library, confirmed, or neither."""
    confirmed = calendar.confirmed_years()
    return [{"year": y, "known": calendar.known_year(y), "confirmed": y in confirmed}
            for y in (today.year, today.year + 1)]


@dataclass(frozen=True)
class AuditFilter:
    """Who, what, which object, which days: one filter for the page (and any export)."""

    actor: str = ""
    action: str = ""  # an action code, or a prefix ending in "." ("booking.")
    object_type: str = ""
    object_id: str = ""
    since: date | None = None
    until: date | None = None

    def criteria(self) -> list:
        entry, found = audit.AuditEntry, []
        if self.actor:
            found.append(entry.actor == self.actor)
        if self.action.endswith("."):
            found.append(entry.action.startswith(self.action, autoescape=True))
        elif self.action:
            found.append(entry.action == self.action)
        if self.object_type:
            found.append(entry.object_type == self.object_type)
        if self.object_id:
            found.append(entry.object_id == self.object_id)
        if self.since:
            found.append(entry.at >= calendar.local(self.since, time(0)))
        if self.until:
            found.append(entry.at < calendar.local(self.until + timedelta(days=1), time(0)))
        return found

    def args(self) -> dict[str, str]:
        """The filter as query arguments (for the next page's link)."""
        return {f.name: str(getattr(self, f.name)) for f in fields(self)
                if getattr(self, f.name) not in ("", None)}


def audit_statement(filters: AuditFilter, before: int | None = None):
    """Entries matching ``filters``, newest first, before an id (keyset paging)."""
    query = select(audit.AuditEntry).where(*filters.criteria()).order_by(
        audit.AuditEntry.id.desc())
    if before:
        query = query.where(audit.AuditEntry.id < before)
    return query


def audit_page(before: int | None, filters: AuditFilter | None = None) -> list[audit.AuditEntry]:
    """The newest entries, or those before an id (keyset paging: fast at any depth)."""
    return list(db.session.scalars(
        audit_statement(filters or AuditFilter(), before).limit(AUDIT_PAGE)))


def object_names(entries) -> dict[tuple[str, str], str]:
    """(object type, id) -> the object's name today, for the entries shown."""
    wanted: dict[str, set[int]] = {}
    for e in entries:
        if e.object_type in _OBJECT_NAMES and e.object_id.isdigit():
            wanted.setdefault(e.object_type, set()).add(int(e.object_id))
    names = {}
    for object_type, ids in wanted.items():
        table_name, columns = _OBJECT_NAMES[object_type]
        table = db.metadata.tables[table_name]
        rows = db.session.execute(select(table.c.id, *(table.c[c] for c in columns))
                                  .where(table.c.id.in_(sorted(ids))))
        for row in rows:
            names[(object_type, str(row[0]))] = " ".join(
                calendar.format_date(v) if isinstance(v, date) else str(v)[:5]
                if isinstance(v, time) else str(v) for v in row[1:] if v not in (None, ""))
    return names
