"""The reception tally: the reception figures per session and category, kept by the database.

Counting bookings row by row for a year of reception days reads a quarter of a million rows
(measured: 0.3–1 s a figure at a million bookings). ``reception_tally`` holds, for each
session and category, the sums the figures need; database triggers on ``booking`` (migration
0012) add a booking's contribution when it is inserted, move it when its status, place,
category, party size or session changes, and take it away when it is deleted. Every writer —
the services, ``fire_where``'s bulk updates, the bulk seeding — keeps it right without knowing
it exists, in the writer's own transaction. On PostgreSQL the row's lock serialises concurrent
writers of one session and category until they commit.

Each session's own row (category ``SESSION_ROW``, empty) holds ``places``: its bookable (not
walk-in) places, kept by triggers on ``reception_place``; no booking touches that row, so
concurrent bookings of a session never wait for one another on it.

A booking *contributes* only once it has a place (a waiting-list entry never offered one does
not count), and its place says whether it came online or at the desk (walk-in):

- ``bookings``: online bookings; ``taken``: those still holding their place;
- ``cancelled`` / ``attended`` / ``no_show``: online bookings cancelled / checked in / 爽约;
- ``walk_ins``: walk-ins checked in; ``people``: party sizes of everyone checked in.

``CONTRIBUTION`` is that definition as SQL over a booking row ``b`` and its place ``p``. The
migration writes the triggers from it (changing it needs a migration that writes them again);
``rebuild`` (the backfill, the tests' reference) sums it over the bookings. Alembic's batch
mode on SQLite recreates a table without its triggers: a later migration that alters
``booking`` that way must create them again (a test checks that they exist).
"""
from __future__ import annotations

from sqlalchemy import ForeignKey, String, delete, select, text
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db
from portal.reception.models import PLACE_HOLDING

_HOLDING = ", ".join(f"'{s}'" for s in PLACE_HOLDING)

# measure -> SQL over the booking ``b`` (or a trigger's NEW/OLD) and its place ``p``
CONTRIBUTION = {
    "bookings": "CASE WHEN p.walk_in THEN 0 ELSE 1 END",
    "taken": f"CASE WHEN NOT p.walk_in AND b.status IN ({_HOLDING}) THEN 1 ELSE 0 END",
    "cancelled": "CASE WHEN NOT p.walk_in AND b.status = 'cancelled' THEN 1 ELSE 0 END",
    "attended": "CASE WHEN NOT p.walk_in AND b.status = 'checked_in' THEN 1 ELSE 0 END",
    "no_show": "CASE WHEN NOT p.walk_in AND b.status = 'no_show' THEN 1 ELSE 0 END",
    "walk_ins": "CASE WHEN p.walk_in AND b.status = 'checked_in' THEN 1 ELSE 0 END",
    "people": "CASE WHEN b.status = 'checked_in' THEN b.party_size ELSE 0 END",
}
BOOKING_MEASURES = tuple(CONTRIBUTION)
MEASURES = ("places", *BOOKING_MEASURES)
SESSION_ROW = ""  # the category of a session's own row


class ReceptionTally(db.Model):
    """Sums over the bookings (with a place) of one session and category. No CHECK (n >= 0):
    SQLite checks the row an upsert proposes before finding the conflict, and a change's
    proposed row holds the negative delta."""

    __tablename__ = "reception_tally"

    session_id: Mapped[int] = mapped_column(
        ForeignKey("reception_session.id", ondelete="CASCADE"), primary_key=True)
    category: Mapped[str] = mapped_column(String(20), primary_key=True)
    places: Mapped[int] = mapped_column(default=0)
    bookings: Mapped[int] = mapped_column(default=0)
    taken: Mapped[int] = mapped_column(default=0)
    cancelled: Mapped[int] = mapped_column(default=0)
    attended: Mapped[int] = mapped_column(default=0)
    no_show: Mapped[int] = mapped_column(default=0)
    walk_ins: Mapped[int] = mapped_column(default=0)
    people: Mapped[int] = mapped_column(default=0)


def contribution(source: str, row: str = "b", sign: str = "") -> str:
    """A SELECT of the contribution (``sign`` "-": its opposite) of each booking ``row`` of
    ``source``: a FROM clause naming the booking ``row`` and its place ``p``."""
    values = ", ".join(f"{sign}({sql.replace('b.', row + '.')}) AS {m}"
                       for m, sql in CONTRIBUTION.items())
    return (f"SELECT {row}.session_id AS session_id, {row}.category AS category, "
            f"0 AS places, {values} FROM {source}")


def place_contribution(source: str, row: str = "p", sign: str = "") -> str:
    """The same for each place ``row`` of ``source`` (a FROM clause naming it and its session
    ``s``, so a place deleted with its session adds nothing): one bookable place or none."""
    zeros = ", ".join(f"0 AS {m}" for m in BOOKING_MEASURES)
    return (f"SELECT {row}.session_id AS session_id, '{SESSION_ROW}' AS category, "
            f"{sign}(CASE WHEN {row}.walk_in THEN 0 ELSE 1 END) AS places, {zeros} "
            f"FROM {source}")


def add(*parts: str) -> str:
    """Add the ``contribution`` SELECTs to the tally: one INSERT ... ON CONFLICT DO UPDATE,
    grouped by key (rows that change nothing are skipped, so they take no lock) in key order
    (concurrent writers lock rows in one order)."""
    sums = ", ".join(f"SUM({m})" for m in MEASURES)
    changed = " OR ".join(f"SUM({m}) <> 0" for m in MEASURES)
    return (f"INSERT INTO reception_tally (session_id, category, {', '.join(MEASURES)}) "
            f"SELECT session_id, category, {sums} FROM ({' UNION ALL '.join(parts)}) AS d "
            f"WHERE true GROUP BY session_id, category HAVING {changed} "
            "ORDER BY session_id, category "
            "ON CONFLICT (session_id, category) DO UPDATE SET "
            + ", ".join(f"{m} = reception_tally.{m} + excluded.{m}" for m in MEASURES))


def booking_rows(table: str) -> str:
    """A FROM clause for ``contribution``: the bookings of ``table`` (or a transition table)
    with their places."""
    return f"{table} b JOIN reception_place p ON p.id = b.place_id"


def place_rows(table: str) -> str:
    """A FROM clause for ``place_contribution``: the places of ``table`` with their session."""
    return f"{table} p JOIN reception_session s ON s.id = p.session_id"


def recount() -> str:
    """Every session's sums from its places and bookings (the backfill, ``rebuild``)."""
    return add(contribution(booking_rows("booking")),
               place_contribution(place_rows("reception_place")))


def _rows() -> dict[tuple[int, str], tuple[int, ...]]:
    found = db.session.execute(select(ReceptionTally.session_id, ReceptionTally.category,
                                      *[ReceptionTally.__table__.c[m] for m in MEASURES]))
    return {(row[0], row[1]): tuple(row[2:]) for row in found if any(row[2:])}


def rebuild() -> tuple[int, int]:
    """Recount the tally from the bookings, in the caller's transaction. Returns (rows, rows
    that differed from what was kept) — the second should be 0."""
    kept = _rows()
    db.session.execute(delete(ReceptionTally))
    db.session.execute(text(recount()))
    counted = _rows()
    return len(counted), sum(kept.get(key) != counted.get(key) for key in kept.keys() | counted)
