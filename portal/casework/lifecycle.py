"""Casework's lifecycle: a hand-over is 办理中 until it is concluded (办结), once.

Extensions, progress notes and reminders change no status: their services check that the
hand-over is still open (``HANDOVER.check(h, "supervise")``) and emit their own events.

Casework also guards reception's booking lifecycle: a visitor with a reception record was
received, so the booking cannot be marked 爽约 (the database refuses it too).
"""
from __future__ import annotations

from flask import g, has_request_context
from sqlalchemy import select

from portal.casework.models import HANDOVER_STATUSES, ReceptionRecord
from portal.extensions import db
from portal.lifecycle import Context, Lifecycle, Transition
from portal.reception.lifecycle import BOOKING
from portal.reception.models import Booking

STAFF = frozenset({"reception"})

HANDOVER = Lifecycle(
    "handover", HANDOVER_STATUSES,
    [
        Transition("conclude", frozenset({"open"}), "concluded", "办结", STAFF),
        # Not a status change: what an open hand-over allows (extend, note, remind).
        Transition("supervise", frozenset({"open"}), "open", "督办", STAFF),
    ],
    initial="open",
    wrong_status={"conclude": "该交办事项已办结，不能重复办结",
                  "supervise": "该交办事项已办结，不能再延期、记录进展或催办"},
)


def recorded_in_session(session_id: int) -> set[int]:
    """The bookings of a session that have a reception record; read once per request, so a
    page asking each row's actions adds one statement, not one per row."""
    cache = g.setdefault("recorded_in_session", {}) if has_request_context() else {}
    if session_id not in cache:
        cache[session_id] = set(db.session.scalars(
            select(ReceptionRecord.booking_id).join(Booking, Booking.id == ReceptionRecord.booking_id)
            .where(Booking.session_id == session_id)))
    return cache[session_id]


def forget_recorded(session_id: int) -> None:
    """After a record is written in this request."""
    if has_request_context():
        g.setdefault("recorded_in_session", {}).pop(session_id, None)


def _not_recorded(booking, _context: Context) -> str | None:
    if booking.id in recorded_in_session(booking.session_id):
        return "已有接谈记录：来访人已接谈，不能记为爽约"
    return None


def guard_reception() -> None:
    """Called by the factory."""
    for event in ("no_show", "correct_absent"):
        BOOKING.add_guard(event, _not_recorded)
