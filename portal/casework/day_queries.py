"""What the reception day's pages read: the session with both leaders, its visitors in the
order they are received (booked places, then walk-ins), the reception records and hand-overs of
the day, the units a case can be handed to.

Each function is one statement, with what the page needs loaded in it, so the day view and the
printed day list do not grow in statements with their rows.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from portal.casework.models import UNIT_KINDS, HandOver, ReceptionRecord, Unit
from portal.extensions import db
from portal.reception.models import PLACE_HOLDING, Booking, Place, ReceptionSession


@dataclass(frozen=True)
class RecordSummary:
    """What a row of the day shows of a visit's record (nothing of its encrypted texts)."""

    record_id: int
    outcome_label: str
    handover_id: int | None = None
    unit_name: str = ""
    due_on: date | None = None


@dataclass(frozen=True)
class DayCounts:
    booked: int
    checked_in: int
    no_show: int
    walk_ins: int
    walk_in_places: int
    records: int
    handed_over: int


def day_session(session_id: int) -> ReceptionSession | None:
    """The session with its receiving leader and its duty leader (值班领导)."""
    return db.session.scalar(
        select(ReceptionSession)
        .options(joinedload(ReceptionSession.leader), joinedload(ReceptionSession.duty_leader))
        .where(ReceptionSession.id == session_id))


def day_bookings(session_id: int) -> list[Booking]:
    """The visitors of the day: every booking holding a place, booked places first in place
    order, then the walk-ins (现场登记) in the order they were registered."""
    return list(db.session.scalars(
        select(Booking).join(Place, Place.id == Booking.place_id)
        .options(joinedload(Booking.place))
        .where(Booking.session_id == session_id, Booking.status.in_(PLACE_HOLDING))
        .order_by(Place.walk_in, Place.number, Booking.id)))


def day_booking(booking_id: int) -> Booking | None:
    """One visitor of the day, with the place (number, time, walk-in) loaded."""
    return db.session.scalar(
        select(Booking).options(joinedload(Booking.place)).where(Booking.id == booking_id))


def visit(booking_id: int) -> Booking | None:
    """A visitor for the record page: place, session and both leaders loaded."""
    return db.session.scalar(
        select(Booking)
        .options(joinedload(Booking.place),
                 joinedload(Booking.session).joinedload(ReceptionSession.leader))
        .where(Booking.id == booking_id))


def _records(where) -> dict[int, RecordSummary]:
    rows = db.session.execute(
        select(ReceptionRecord, HandOver.id, HandOver.due_on, Unit.name)
        .join(Booking, Booking.id == ReceptionRecord.booking_id)
        .outerjoin(HandOver, HandOver.record_id == ReceptionRecord.id)
        .outerjoin(Unit, Unit.id == HandOver.unit_id)
        .where(where))
    return {record.booking_id: RecordSummary(record.id, record.outcome_label, handover_id,
                                             unit_name or "", due_on)
            for record, handover_id, due_on, unit_name in rows}


def session_records(session_id: int) -> dict[int, RecordSummary]:
    """booking id -> its record (and hand-over) for every record of the session's visitors."""
    return _records(Booking.session_id == session_id)


def booking_records(booking_id: int) -> dict[int, RecordSummary]:
    return _records(Booking.id == booking_id)


def received(booking: Booking) -> bool:
    """Checked in: the visitor was at the desk, so a reception record can be written."""
    return booking.status == "checked_in"


def day_counts(session: ReceptionSession, bookings: list[Booking],
               records: dict[int, RecordSummary]) -> DayCounts:
    """The figures at the top of the day view and the printed list (from loaded rows)."""
    return DayCounts(
        booked=sum(1 for b in bookings if not b.place.walk_in),
        checked_in=sum(1 for b in bookings if received(b)),
        no_show=sum(1 for b in bookings if b.status == "no_show"),
        walk_ins=sum(1 for b in bookings if b.place.walk_in),
        walk_in_places=session.walk_in_places,
        records=len(records),
        handed_over=sum(1 for r in records.values() if r.handover_id is not None))


def record_of(booking_id: int) -> tuple[ReceptionRecord | None, HandOver | None]:
    """A visit's record and its hand-over (unit loaded), in one statement."""
    row = db.session.execute(
        select(ReceptionRecord, HandOver)
        .outerjoin(HandOver, HandOver.record_id == ReceptionRecord.id)
        .options(joinedload(HandOver.unit))
        .where(ReceptionRecord.booking_id == booking_id)).first()
    return (row[0], row[1]) if row else (None, None)


def active_units() -> list[Unit]:
    """Units a case can be handed to: 县直部门 first, then 镇乡, by name."""
    order = list(UNIT_KINDS)
    units = db.session.scalars(select(Unit).where(Unit.active.is_(True)).order_by(Unit.name))
    return sorted(units, key=lambda u: order.index(u.kind))
