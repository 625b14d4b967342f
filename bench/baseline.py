"""The minimal baseline the portal is measured against (see CONVENTIONS.md, "Data and speed").

Bare Flask + SQLAlchemy + Jinja: one route rendering a 20-row page read from the portal's own
``booking`` table (so the table has exactly the size of ours), through a loader-cached
template, on the same database settings the portal uses (SQLite: WAL, busy timeout). Run it
with gunicorn like the portal: ``BASELINE_DATABASE_URL=... gunicorn bench.baseline:app``.
"""
from __future__ import annotations

import os
from datetime import datetime

from flask import Flask, render_template
from sqlalchemy import DateTime, String, create_engine, event, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

HERE = os.path.dirname(os.path.abspath(__file__))
ROWS = 20


class Base(DeclarativeBase):
    pass


class Booking(Base):
    """Only the columns the page shows; the table is the portal's."""

    __tablename__ = "booking"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20))
    category: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(12))
    party_size: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


def make_engine(url: str):
    if url.startswith("sqlite"):
        engine = create_engine(url)

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record):
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA busy_timeout = 30000")
            cur.execute("PRAGMA journal_mode = WAL")
            cur.execute("PRAGMA synchronous = NORMAL")
            cur.close()

        return engine
    return create_engine(url, pool_size=2, max_overflow=3, pool_pre_ping=True)


def create_app(url: str | None = None) -> Flask:
    app = Flask(__name__, template_folder=os.path.join(HERE, "templates"))
    engine = make_engine(url or os.environ["BASELINE_DATABASE_URL"])

    @app.get("/")
    def page():
        with Session(engine) as session:
            rows = session.scalars(select(Booking).order_by(Booking.id.desc()).limit(ROWS)).all()
            return render_template("baseline.html", rows=rows)

    return app


def _lazy_app():
    # Imported by gunicorn in the master; the engine is created on first import, workers fork
    # before any connection is opened (SQLAlchemy connects lazily).
    return create_app() if "BASELINE_DATABASE_URL" in os.environ else None


app = _lazy_app()
