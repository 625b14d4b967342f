"""候补: a full session's waiting list — offering a freed place to the first waiting, and the
offers that lapse.

A waiting-list entry is a booking without a place (``waitlisted``). When a place is freed (the
citizen cancels, staff decline, an offer lapses) it is offered, in the same transaction, to
the first entry (oldest first): the place is held for them (``offered``) until
``offer_expires_at`` — the hold time, never past the booking window's cut-off. After the
cut-off nothing is offered: the place stays free for the desk. The database still enforces
capacity (``uq_booking_place_taken`` counts an offered place as taken). Callers commit.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from portal import calendar, settings
from portal.extensions import db
from portal.reception import queries, rules
from portal.reception.lifecycle import BOOKING, WAITING
from portal.reception.models import Booking, Place
from portal.reception.window import booking_window


def _postgresql() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def first_free_place(session_id: int, walk_in: bool = False) -> Place | None:
    """The first free place: a bookable one, or (``walk_in``) one kept for walk-ins."""
    query = (
        select(Place).where(Place.session_id == session_id, Place.walk_in.is_(walk_in),
                            ~queries.place_taken(Place.id))
        .order_by(Place.number).limit(1)
    )
    if _postgresql():
        # Concurrent bookers skip a place another transaction is taking instead of colliding.
        query = query.with_for_update(skip_locked=True, of=Place)
    return db.session.scalar(query)


def lock(booking: Booking) -> Booking:
    """Re-read ``booking``'s status and hold its row until commit (PostgreSQL; SQLite
    serialises writers), so that the citizen and the job never both act on a stale status."""
    lock_row(Booking, booking.id)
    db.session.refresh(booking, ["status", "place_id", "offer_expires_at"])
    return booking


def lock_row(model, row_id: int) -> None:
    """Hold one row until commit (PostgreSQL). The row alone: a lock cannot reach across the
    outer joins its relations may have been loaded with."""
    if _postgresql():
        db.session.execute(select(model.id).where(model.id == row_id).with_for_update())


def _first_waiting(session_id: int) -> Booking | None:
    query = (select(Booking).where(Booking.session_id == session_id,
                                   Booking.status == WAITING)
             .order_by(Booking.id).limit(1).execution_options(populate_existing=True))
    if _postgresql():
        # Two places freed at once go to two entries: each skips the one the other offers.
        query = query.with_for_update(skip_locked=True, of=Booking)
    return db.session.scalar(query)


def offer_deadline(session, now: datetime) -> datetime | None:
    """Until when a place offered now is held; None when nothing may be offered now (the
    session is not open for booking, or its cut-off has passed)."""
    if session.status != "published" or session.closed:
        return None
    values = settings.current_values()
    closes_at = booking_window(session, calendar.WorkingCalendar(), values).closes_at
    if now >= closes_at:
        return None
    return min(now + timedelta(hours=values[rules.WAITLIST_HOLD.key]), closes_at)


def offer_free_places(session_id: int, now: datetime) -> int:
    """Offer the session's free places to its waiting entries, oldest first; how many."""
    session = queries.session_by_id(session_id)
    expires = offer_deadline(session, now) if session is not None else None
    offered = 0
    while expires is not None and (entry := _first_waiting(session_id)) is not None:
        place = first_free_place(session_id)
        if place is None:
            break
        BOOKING.fire_where(
            Booking, "offer", Booking.id == entry.id, object_id=entry.id,
            values={"place_id": place.id, "offer_expires_at": expires, "updated_at": now},
            code=entry.code, session=session_id, expires_at=expires.isoformat())
        offered += 1
    return offered


def lapse_offers(now: datetime) -> int:
    """For the job: every offer past its time lapses and its place goes to the next waiting;
    any place left free while someone waits is offered too. Returns how many lapsed."""
    query = (select(Booking).where(Booking.status == "offered", Booking.offer_expires_at <= now)
             .order_by(Booking.offer_expires_at, Booking.id)
             .execution_options(populate_existing=True))
    if _postgresql():
        query = query.with_for_update(skip_locked=True, of=Booking)
    due = list(db.session.scalars(query))
    for booking in due:
        BOOKING.fire_where(Booking, "lapse", Booking.id == booking.id,
                           Booking.offer_expires_at <= now, object_id=booking.id,
                           values={"updated_at": now}, code=booking.code,
                           session=booking.session_id)
    for session_id in sorted({b.session_id for b in due} | queries.sessions_with_waiting()):
        offer_free_places(session_id, now)
    return len(due)
