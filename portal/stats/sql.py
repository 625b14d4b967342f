"""The few date expressions whose SQL differs between SQLite and PostgreSQL, each compiled
for both (the aggregates around them are ordinary SQLAlchemy)."""
from __future__ import annotations

from datetime import date

from sqlalchemy import Date, DateTime, Integer, bindparam, extract
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement


class days_since(FunctionElement):  # noqa: N801 - a SQL function's name
    """Whole days from a fixed ``origin`` date to a date column (an integer)."""

    type = Integer()
    inherit_cache = True
    name = "days_since"


@compiles(days_since, "sqlite")
def _days_since_sqlite(element, compiler, **kw):
    column, origin = list(element.clauses)
    return (f"CAST(julianday({compiler.process(column, **kw)}) - "
            f"julianday({compiler.process(origin, **kw)}) AS INTEGER)")


@compiles(days_since)
def _days_since_default(element, compiler, **kw):
    column, origin = list(element.clauses)
    return f"({compiler.process(column, **kw)} - {compiler.process(origin, **kw)})"


def week_index(column, origin: date):
    """Monday-to-Sunday week number counted from ``origin`` (a Monday not after the column's
    days): 0, 1, 2 ... across year boundaries."""
    return days_since(column, bindparam(None, origin, type_=Date)) // 7


def month_key(column):
    """year * 12 + month - 1 of a date column (``extract`` compiles for both databases)."""
    return extract("year", column) * 12 + extract("month", column) - 1


class add_days(FunctionElement):  # noqa: N801
    """A date column plus a whole number of days."""

    type = Date()
    inherit_cache = True
    name = "add_days"


@compiles(add_days, "sqlite")
def _add_days_sqlite(element, compiler, **kw):
    column, days = list(element.clauses)
    return (f"date({compiler.process(column, **kw)}, '+' || "
            f"{compiler.process(days, **kw)} || ' days')")


@compiles(add_days)
def _add_days_default(element, compiler, **kw):
    column, days = list(element.clauses)
    return f"({compiler.process(column, **kw)} + CAST({compiler.process(days, **kw)} AS INTEGER))"


class china_midnight(FunctionElement):  # noqa: N801
    """The moment (UTC) of 00:00 in Asia/Shanghai on a date column plus a whole number of
    days, comparable with a stored moment so an index on the moment column serves the range
    (SQLite stores moments as 'YYYY-MM-DD HH:MM:SS.ffffff' text in UTC, which compares as
    text with what ``datetime()`` returns)."""

    type = DateTime(timezone=True)
    inherit_cache = True
    name = "china_midnight"


@compiles(china_midnight, "sqlite")
def _china_midnight_sqlite(element, compiler, **kw):
    column, days = list(element.clauses)
    return (f"datetime({compiler.process(column, **kw)}, '+' || "
            f"{compiler.process(days, **kw)} || ' days', '-8 hours')")


@compiles(china_midnight)
def _china_midnight_default(element, compiler, **kw):
    column, days = list(element.clauses)
    return (f"(CAST(({compiler.process(column, **kw)} + CAST({compiler.process(days, **kw)} "
            f"AS INTEGER)) AS TIMESTAMP) AT TIME ZONE 'Asia/Shanghai')")
