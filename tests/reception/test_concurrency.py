"""Invariants under real concurrency: many processes booking at the same instant.

Each worker is a separate OS process with its own app, engine and connection (fork start
method: the children build a fresh app; the parent's pool is disposed first). They all wait
on one barrier, then book. Runs on the SQLite file of the test and on PostgreSQL when
TEST_DATABASE_URL is set.
"""
from datetime import time

from sqlalchemy import func, select

from portal.extensions import db
from portal.reception import queries, services
from portal.reception.models import PLACE_HOLDING, Booking
from tests import factories
from tests.conftest import FIXED_NOW
from tests.processes import at_once


def run_at_once(app, tmp_path, session_id, requests):
    jobs = [("book", lambda r=r: services.create_booking(session_id, r, FIXED_NOW).place_id)
            for r in requests]
    return [(status, value) for _label, status, value in at_once(app, tmp_path, jobs)]


def held(session_id) -> list[int]:
    return list(db.session.scalars(select(Booking.place_id).where(
        Booking.session_id == session_id, Booking.status.in_(PLACE_HOLDING))))


def test_fifty_simultaneous_bookings_fill_ten_places_exactly(app, tmp_path):
    session = factories.session(start=time(9, 0), end=time(10, 40), slot=10)
    assert queries.total_places([session.id])[session.id] == 10
    requests = [factories.booking_request(id_number=factories.id_number(seq=i),
                                          phone=factories.phone(i)) for i in range(50)]
    outcomes = run_at_once(app, tmp_path, session.id, requests)
    booked = [o for o in outcomes if o[0] == "ok"]
    refused = [o for o in outcomes if o[0] == "refused"]
    assert len(booked) == 10 and len(refused) == 40
    assert all("名额已满" in message for _, message in refused)
    places = held(session.id)
    assert len(places) == 10 and len(set(places)) == 10
    assert sorted(p for _, p in booked) == sorted(places)
    assert queries.free_places([session.id])[session.id] == 0


def test_one_id_number_from_many_processes_gets_one_booking(app, tmp_path):
    session = factories.session(start=time(9, 0), end=time(12, 20), slot=10)  # 20 places
    number = factories.id_number(seq=999)
    requests = [factories.booking_request(id_number=number, phone=factories.phone(i))
                for i in range(20)]
    outcomes = run_at_once(app, tmp_path, session.id, requests)
    assert [o[0] for o in outcomes].count("ok") == 1
    assert all("一人一号" in o[1] for o in outcomes if o[0] == "refused")
    assert db.session.scalar(select(func.count(Booking.id))) == 1


def test_the_database_itself_refuses_a_second_booking_of_a_place(app):
    """The partial unique index holds even when the service's checks are bypassed."""
    from sqlalchemy.exc import IntegrityError

    session = factories.session()
    first = factories.book(session)
    clone = Booking(**{c.key: getattr(first, c.key) for c in Booking.__table__.columns
                       if c.key not in ("id", "code", "id_hash")},
                    code="CLONE234", id_hash="f" * 64)
    db.session.add(clone)
    try:
        db.session.flush()
        raise AssertionError("the database accepted two bookings for one place")
    except IntegrityError:
        db.session.rollback()
    # A cancelled booking no longer holds the place.
    clone = Booking(**{c.key: getattr(first, c.key) for c in Booking.__table__.columns
                       if c.key not in ("id", "code", "id_hash", "status")},
                    code="CLONE235", id_hash="f" * 64, status="cancelled")
    db.session.add(clone)
    db.session.flush()
