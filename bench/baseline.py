"""The minimal baseline the portal is measured against (see CONVENTIONS.md, "Data and speed").

Bare Flask + SQLAlchemy + Jinja, one route per benchmark case doing the least work that answers
it: the same rows read from the portal's own tables (so they have exactly the portal's size
and indexes), SQL written out by hand, one loader-cached template, no sessions, no CSRF, no
rules. The database settings are the ones the portal uses (SQLite: WAL, busy timeout;
PostgreSQL: a small pool). The bare booking endpoint takes a place with one conditional UPDATE
of a counter (never more than the capacity) and inserts the form's fields into a table of its
own (``setup`` makes both). Run it with gunicorn like the portal:
``BASELINE_DATABASE_URL=... gunicorn bench.baseline:app``.
"""
from __future__ import annotations

import os
from datetime import UTC, date, datetime

from flask import Flask, abort, redirect, render_template, request
from sqlalchemy import (
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    create_engine,
    event,
    text,
)

HERE = os.path.dirname(os.path.abspath(__file__))
HOLDING = "('pending', 'confirmed', 'checked_in', 'no_show', 'expired', 'offered')"
FULL = "本场接访名额已满，请选择其他场次"

BASELINE = MetaData()
CAPACITY = Table("bench_capacity", BASELINE, Column("session_id", Integer, primary_key=True),
                 Column("capacity", Integer, nullable=False),
                 Column("booked", Integer, nullable=False, default=0))
BOOKING = Table("bench_booking", BASELINE, Column("id", Integer, primary_key=True),
                Column("session_id", Integer, nullable=False),
                Column("name", String(30)), Column("id_number", String(18)),
                Column("phone", String(11)), Column("category", String(20)),
                Column("summary", String(500)), Column("party_size", Integer),
                Column("created_at", DateTime(timezone=True)))

SCHEDULE = f"""SELECT s.id, s.day, s.start_time, s.end_time, s.place, l.name, l.post,
  (SELECT count(*) FROM reception_place p WHERE p.session_id = s.id AND NOT p.walk_in) AS places,
  (SELECT count(*) FROM booking b WHERE b.session_id = s.id AND b.status IN {HOLDING}) AS taken
FROM reception_session s JOIN leader l ON l.id = s.leader_id
WHERE s.status = 'published' AND s.day >= :today ORDER BY s.day, s.start_time, s.id LIMIT :n"""
SESSION = """SELECT s.id, s.day, s.start_time, s.end_time, s.place, l.name, l.post
FROM reception_session s JOIN leader l ON l.id = s.leader_id WHERE s.id = :id"""
PLACES = f"""SELECT p.number, p.start_time, EXISTS (SELECT 1 FROM booking b
  WHERE b.place_id = p.id AND b.status IN {HOLDING}) AS taken
FROM reception_place p WHERE p.session_id = :id AND NOT p.walk_in ORDER BY p.number"""
FREE = f"""SELECT count(*) FROM reception_place p WHERE p.session_id = :id AND NOT p.walk_in
  AND NOT EXISTS (SELECT 1 FROM booking b WHERE b.place_id = p.id AND b.status IN {HOLDING})"""
NOTICES = """SELECT h.id, h.day, h.start_time, h.place, h.notice_title, m.number, m.category
FROM eval_hearing h JOIN eval_matter m ON m.id = h.matter_id
WHERE h.notice_published_at IS NOT NULL ORDER BY h.day DESC, h.id DESC LIMIT :n"""
RESULTS = """SELECT h.id, h.day, h.start_time, h.place, h.notice_title, m.number, m.category,
  m.unit, p.present_count, p.manyi_count, p.bumanyi_count, p.result, t.number AS letter
FROM eval_hearing h JOIN eval_matter m ON m.id = h.matter_id
  JOIN eval_poll p ON p.hearing_id = h.id AND p.status = 'closed'
  JOIN eval_letter t ON t.hearing_id = h.id
WHERE h.result_published_at IS NOT NULL {where}
ORDER BY h.result_published_at DESC, h.id DESC LIMIT :n"""
DAY = """SELECT b.id, b.code, b.name, b.id_last4, b.category, b.status, p.number, p.start_time,
  r.outcome
FROM booking b JOIN reception_place p ON p.id = b.place_id
  LEFT JOIN reception_record r ON r.booking_id = b.id
WHERE b.session_id = :id ORDER BY p.number"""
SUPERVISION = """SELECT h.id, h.handed_on, h.due_on, h.status, u.name
FROM handover h JOIN unit u ON u.id = h.unit_id
WHERE h.status = 'open' ORDER BY h.due_on, h.id LIMIT 20"""
TAKE_PLACE = """UPDATE bench_capacity SET booked = booked + 1
WHERE session_id = :s AND booked < capacity"""


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


def setup(url: str, capacities: dict[int, int]) -> None:
    """The bare booking endpoint's tables, with a counter per session: places left to take."""
    engine = make_engine(url)
    try:
        BASELINE.create_all(engine)
        with engine.begin() as conn:
            conn.execute(CAPACITY.delete())
            if capacities:
                conn.execute(CAPACITY.insert(), [{"session_id": s, "capacity": c, "booked": 0}
                                                 for s, c in capacities.items()])
    finally:
        engine.dispose()


def booked(url: str, session_id: int) -> int:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return conn.scalar(text("SELECT count(*) FROM bench_booking WHERE session_id = :s"),
                               {"s": session_id})
    finally:
        engine.dispose()


def _page(title: str, *tables, form=None):
    return render_template("rows.html", title=title, tables=tables, form=form)


def create_app(url: str | None = None) -> Flask:
    app = Flask(__name__, template_folder=os.path.join(HERE, "templates"))
    engine = make_engine(url or os.environ["BASELINE_DATABASE_URL"])

    def rows(sql: str, **params):
        with engine.connect() as conn:
            return conn.execute(text(sql), params).all()

    @app.get("/")
    def home():
        return _page("首页", ("近期接访", rows(SCHEDULE, today=date.today(), n=6)),
                     ("评价会公告", rows(NOTICES, n=3)),
                     ("评价结果", rows(RESULTS.format(where=""), n=3)))

    @app.get("/reception/")
    def schedule():
        return _page("接访安排", ("场次", rows(SCHEDULE, today=date.today(), n=50)))

    @app.get("/reception/sessions/<int:session_id>")
    def session_page(session_id: int):
        head = rows(SESSION, id=session_id) or abort(404)
        return _page("预约", ("场次", head), ("号源", rows(PLACES, id=session_id)),
                     form=session_id)

    @app.get("/reception/sessions/<int:session_id>/places")
    def places(session_id: int):
        return render_template("fragment.html", free=rows(FREE, id=session_id)[0][0])

    @app.get("/evaluation/notices/")
    def notices():
        return _page("评价会公告", ("公告", rows(NOTICES, n=21)))

    @app.get("/evaluation/results/")
    def results():
        return _page("评价结果", ("结果", rows(RESULTS.format(where=""), n=21)))

    @app.get("/evaluation/results/<int:hearing_id>")
    def result(hearing_id: int):
        found = rows(RESULTS.format(where="AND h.id = :id"), id=hearing_id, n=1) or abort(404)
        return _page("评价结果", ("结果", found))

    @app.get("/evaluation/feed.xml")
    def feed():
        body = render_template("feed.xml", notices=rows(NOTICES, n=20),
                               results=rows(RESULTS.format(where=""), n=20),
                               updated=datetime.now(UTC).isoformat())
        return body, 200, {"Content-Type": "application/atom+xml"}

    @app.get("/staff/reception/sessions/<int:session_id>/day")
    def day(session_id: int):
        head = rows(SESSION, id=session_id) or abort(404)
        return _page("当日接待", ("场次", head), ("来访人", rows(DAY, id=session_id)))

    @app.get("/staff/supervision/")
    def supervision():
        with engine.connect() as conn:
            total = conn.scalar(text("SELECT count(*) FROM handover WHERE status = 'open'"))
        return _page(f"督办（{total} 件）", ("办理中", rows(SUPERVISION)))

    @app.post("/book/<int:session_id>")
    def book(session_id: int):
        form = request.form
        fields = {k: form.get(k, "") for k in ("name", "id_number", "phone", "category",
                                                "summary")}
        if not all(fields.values()):
            return "请填写完整", 422
        with engine.begin() as conn:
            if not conn.execute(text(TAKE_PLACE), {"s": session_id}).rowcount:
                return FULL, 409
            conn.execute(BOOKING.insert(), dict(
                fields, session_id=session_id, party_size=int(form.get("party_size") or 1),
                created_at=datetime.now(UTC)))
        return redirect(f"/reception/sessions/{session_id}", 303)

    return app


def _lazy_app():
    # Imported by gunicorn in the master; the engine is created on first import, workers fork
    # before any connection is opened (SQLAlchemy connects lazily).
    return create_app() if "BASELINE_DATABASE_URL" in os.environ else None


app = _lazy_app()
