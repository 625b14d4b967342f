"""What the Excel exports read: one statement per kind, whatever the number of rows.

Every row carries what its sheet shows through joins and grouped subqueries (no lazy loads,
no statement per row), and the rows are streamed (``yield_per``) so a year of bookings is
never held in memory at once.
"""
from __future__ import annotations

from collections.abc import Iterator
from datetime import date

from sqlalchemy import Row, and_, case, func, select
from sqlalchemy.orm import aliased

from portal.casework.models import HandOver, HandOverNote, ReceptionRecord, Unit
from portal.extensions import db
from portal.reception.models import PLACE_HOLDING, Booking, Leader, Place, ReceptionSession

BATCH = 500


def _stream(query) -> Iterator[Row]:
    return iter(db.session.execute(query.execution_options(yield_per=BATCH)))


def _in_range(start: date, end: date):
    return ReceptionSession.day.between(start, end)


def _counted(condition):
    return func.count(case((condition, 1)))


def sessions(start: date, end: date) -> Iterator[Row]:
    """Sessions held in the range, with their leaders and the day's numbers."""
    duty = aliased(Leader)
    places = (select(Place.session_id, _counted(Place.walk_in.is_(False)).label("bookable"))
              .group_by(Place.session_id).subquery())
    holding = Booking.status.in_(PLACE_HOLDING)
    counts = (
        select(Booking.session_id,
               _counted(and_(holding, Place.walk_in.is_(False))).label("booked"),
               _counted(Booking.status == "checked_in").label("checked_in"),
               _counted(Booking.status == "no_show").label("no_show"),
               _counted(and_(holding, Place.walk_in.is_(True))).label("walk_ins"))
        .join(Place, Place.id == Booking.place_id)
        .group_by(Booking.session_id).subquery())
    return _stream(
        select(ReceptionSession, Leader.name, Leader.post, duty.name,
               func.coalesce(places.c.bookable, 0), func.coalesce(counts.c.booked, 0),
               func.coalesce(counts.c.checked_in, 0), func.coalesce(counts.c.no_show, 0),
               func.coalesce(counts.c.walk_ins, 0))
        .join(Leader, Leader.id == ReceptionSession.leader_id)
        .join(duty, duty.id == ReceptionSession.duty_leader_id)
        .outerjoin(places, places.c.session_id == ReceptionSession.id)
        .outerjoin(counts, counts.c.session_id == ReceptionSession.id)
        .where(_in_range(start, end))
        .order_by(ReceptionSession.day, ReceptionSession.start_time, ReceptionSession.id))


def bookings(start: date, end: date) -> Iterator[Row]:
    """Bookings and walk-ins of the sessions in the range, each session's in the order of the
    staff session page (those holding a place first, by place)."""
    return _stream(
        select(Booking, ReceptionSession.day, Leader.name, Place.number, Place.walk_in)
        .join(ReceptionSession, ReceptionSession.id == Booking.session_id)
        .join(Leader, Leader.id == ReceptionSession.leader_id)
        .join(Place, Place.id == Booking.place_id)
        .where(_in_range(start, end))
        .order_by(ReceptionSession.day, ReceptionSession.start_time, ReceptionSession.id,
                  Booking.status.in_(PLACE_HOLDING).desc(), Booking.place_id, Booking.id))


def records(start: date, end: date) -> Iterator[Row]:
    """Reception records of the visits in the range."""
    duty = aliased(Leader)
    return _stream(
        select(ReceptionRecord, ReceptionSession.day, Leader.name, duty.name, Booking.code,
               Booking.name, Booking.id_cipher, Booking.id_last4)
        .join(Booking, Booking.id == ReceptionRecord.booking_id)
        .join(ReceptionSession, ReceptionSession.id == Booking.session_id)
        .join(Leader, Leader.id == ReceptionSession.leader_id)
        .join(duty, duty.id == ReceptionSession.duty_leader_id)
        .where(_in_range(start, end))
        .order_by(ReceptionSession.day, ReceptionSession.start_time, ReceptionSession.id,
                  Booking.place_id, ReceptionRecord.id))


def handovers(start: date, end: date) -> Iterator[Row]:
    """Hand-overs made in the range, with their unit, visitor, leader and note counts."""
    notes = (select(HandOverNote.handover_id,
                    _counted(HandOverNote.kind == "progress").label("progress"),
                    _counted(HandOverNote.kind == "reminder").label("reminders"))
             .group_by(HandOverNote.handover_id).subquery())
    return _stream(
        select(HandOver, Booking.code, Booking.name, Leader.name, Unit.name, Unit.kind,
               func.coalesce(notes.c.progress, 0), func.coalesce(notes.c.reminders, 0))
        .join(ReceptionRecord, ReceptionRecord.id == HandOver.record_id)
        .join(Booking, Booking.id == ReceptionRecord.booking_id)
        .join(ReceptionSession, ReceptionSession.id == Booking.session_id)
        .join(Leader, Leader.id == ReceptionSession.leader_id)
        .join(Unit, Unit.id == HandOver.unit_id)
        .outerjoin(notes, notes.c.handover_id == HandOver.id)
        .where(HandOver.handed_on.between(start, end))
        .order_by(HandOver.handed_on, HandOver.id))
