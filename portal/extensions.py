"""Extension singletons, initialised in create_app() (microblog / flaskr style)."""
from __future__ import annotations

from datetime import UTC

from flask import g, has_request_context, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from htmx_flask import Htmx
from sqlalchemy import DateTime, MetaData, TypeDecorator, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase

# Named constraints keep Alembic batch migrations stable on SQLite.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


# Objects stay readable after commit: a view commits, then renders what it just changed
# (relationships are lazy="raise", so an expired one could not be reloaded implicitly).
db = SQLAlchemy(model_class=Base, session_options={"expire_on_commit": False})
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
htmx = Htmx()
limiter = Limiter(key_func=get_remote_address, default_limits=[])


# On ``g`` while a view's read phase runs (``actions.reading``): its transaction only reads.
READ_PHASE = "_portal_read_phase"


def configure_sqlite(engine: Engine) -> None:
    """WAL, a busy timeout, foreign keys, and write transactions that lock up front.

    pysqlite's own BEGIN is switched off so that we emit it ourselves: BEGIN IMMEDIATE for any
    transaction that may write (everything except GET/HEAD requests and the read phases a view
    declares with ``actions.reading()``), so two writers never both read a snapshot and then
    fail to upgrade it (SQLITE_BUSY instead of waiting). Durability: WAL with synchronous=NORMAL
    (no fsync per commit; a power cut may lose the last commits, never corrupt the file).
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA busy_timeout = 30000")
        cur.execute("PRAGMA journal_mode = WAL")
        cur.execute("PRAGMA synchronous = NORMAL")
        cur.execute("PRAGMA foreign_keys = ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        read_only = has_request_context() and (
            request.method in ("GET", "HEAD") or g.get(READ_PHASE, False))
        conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


def sql_in(column: str, values) -> str:
    """``status IN ('a', 'b')`` for check constraints and partial indexes (our own constants,
    never user input)."""
    return f"{column} IN ({', '.join(repr(str(v)) for v in values)})"


class UTCDateTime(TypeDecorator):
    """An aware datetime stored in UTC. SQLite drops the zone; this puts UTC back on read."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None:
            if value.tzinfo is None:
                raise ValueError("naive datetime: use an aware one")
            value = value.astimezone(UTC)
            if dialect.name == "sqlite":
                value = value.replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value
