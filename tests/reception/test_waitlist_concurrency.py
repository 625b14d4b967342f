"""候补 under real concurrency: a full session with a waiting list, and at the same instant one
citizen cancels (the place goes to the next waiting), several people try to book, the entry
already offered a place confirms it, and one still waiting tries to confirm too. Never more
bookings holding places than places, one place one booking, every refusal a clear message,
no unexpected error. Each worker is a separate OS process (as in test_concurrency.py); runs on
the test's SQLite file and on PostgreSQL when TEST_DATABASE_URL is set."""
from __future__ import annotations

from sqlalchemy import func, select

from portal import calendar
from portal.extensions import db
from portal.reception import queries, services
from portal.reception.models import PLACE_HOLDING, Booking
from tests import factories
from tests.conftest import FIXED_NOW
from tests.processes import at_once

BOOKERS = 6


def _act(booking_id: int | None, kind: str, payload):
    if kind == "book":
        session_id, request = payload
        return services.create_booking(session_id, request, FIXED_NOW).place_id
    booking = db.session.get(Booking, booking_id)
    if kind == "cancel":
        return services.cancel_booking(booking, "临时有事", FIXED_NOW)
    return services.accept_offer(booking, payload, FIXED_NOW)


def run_at_once(app, tmp_path, jobs: list[tuple]) -> list[tuple]:
    """``(booking_id, kind, payload)`` jobs at the same instant: ``(kind, status, result)``."""
    return at_once(app, tmp_path, [(kind, lambda b=b, k=kind, p=payload: _act(b, k, p))
                                   for b, kind, payload in jobs])


def test_a_cancellation_bookings_and_a_confirmation_at_once(app, tmp_path):
    session, booked = factories.full_session(places=3)
    offered = factories.join(session, phone="13900000001")
    waiting = [factories.join(session, phone=f"1390000001{i}") for i in range(3)]
    services.cancel_booking(booked[0], "有事", calendar.now())
    db.session.commit()
    assert db.session.get(Booking, offered.id).status == "offered"
    ids = {"cancelling": booked[1].id, "offered": offered.id, "next": waiting[0].id,
           "later": waiting[1].id}
    phones = {"offered": "13900000001", "later": "13900000011"}
    session_id, offered_place, freed_place = session.id, offered.place_id, booked[1].place_id
    jobs = [(ids["cancelling"], "cancel", None), (ids["offered"], "accept", phones["offered"]),
            (ids["later"], "accept", phones["later"])] + [
        (None, "book", (session_id, factories.booking_request(
            id_number=factories.id_number(seq=500 + i), phone=factories.phone(500 + i))))
        for i in range(BOOKERS)]
    outcomes = run_at_once(app, tmp_path, jobs)

    by_kind = {}
    for kind, outcome, detail in outcomes:
        by_kind.setdefault(kind, []).append((outcome, detail))
    assert by_kind["cancel"] == [("ok", True)]  # True: a place was let go
    assert ("ok", None) in by_kind["accept"]  # the offered entry confirms its place
    assert ("refused", "当前状态为“候补中”，不能确认候补名额") in by_kind["accept"]
    # The freed place went to the next waiting in the cancelling transaction: no booker got it.
    assert by_kind["book"] == [("refused", services.FULL)] * BOOKERS

    total = queries.total_places([session_id])[session_id]
    holders = list(db.session.execute(select(Booking.place_id, Booking.status, Booking.id).where(
        Booking.session_id == session_id, Booking.status.in_(PLACE_HOLDING))))
    assert len(holders) == total == 3 and len({p for p, _s, _i in holders}) == 3
    statuses = {i: s for _p, s, i in holders}
    assert statuses[ids["offered"]] == "pending"
    assert statuses[ids["next"]] == "offered"
    assert {p: i for p, _s, i in holders}[freed_place] == ids["next"]
    assert {i: p for p, _s, i in holders}[ids["offered"]] == offered_place
    assert queries.free_places([session_id])[session_id] == 0
    assert db.session.scalar(select(func.count(Booking.id)).where(
        Booking.session_id == session_id, Booking.status == "waitlisted")) == 2


def test_two_places_freed_at_once_go_to_two_entries(app, tmp_path):
    session, booked = factories.full_session(places=3)
    waiting = [factories.join(session, phone=f"1390000002{i}") for i in range(3)]
    outcomes = run_at_once(app, tmp_path, [(b.id, "cancel", None) for b in booked[:2]])
    assert [o[1] for o in outcomes] == ["ok", "ok"]
    statuses = [db.session.get(Booking, w.id).status for w in waiting]
    assert statuses == ["offered", "offered", "waitlisted"]
    places = [db.session.get(Booking, w.id).place_id for w in waiting[:2]]
    assert sorted(places) == sorted(b.place_id for b in booked[:2])
