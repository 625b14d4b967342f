"""Walk-ins under real concurrency: many desk devices registering at the same instant never
exceed the session's walk-in places, nor give one person two places (separate processes, as
tests/reception/test_concurrency.py; SQLite here, PostgreSQL when TEST_DATABASE_URL is set)."""
from datetime import date, time

from sqlalchemy import func, select

from portal.extensions import db
from portal.reception import queries, services
from portal.reception.models import PLACE_HOLDING, Booking, Place
from tests import factories
from tests.conftest import FIXED_NOW
from tests.processes import at_once


def register_at_once(app, tmp_path, session_id, requests):
    jobs = [("walk_in", lambda r=r: services.create_booking(
        session_id, r, FIXED_NOW, walk_in=True, actor=factories.STAFF).place_id)
        for r in requests]
    return [(status, value) for _label, status, value in at_once(app, tmp_path, jobs)]


def today_session(walk_ins: int):
    return factories.session(day=date(2026, 11, 18), start=time(14, 0), end=time(15, 0),
                             walk_ins=walk_ins)


def test_twenty_simultaneous_walk_ins_fill_four_walk_in_places_exactly(app, tmp_path):
    session = today_session(walk_ins=4)
    requests = [factories.booking_request(id_number=factories.id_number(seq=i),
                                          phone=factories.phone(i)) for i in range(20)]
    outcomes = register_at_once(app, tmp_path, session.id, requests)
    registered = [o for o in outcomes if o[0] == "ok"]
    refused = [o for o in outcomes if o[0] == "refused"]
    assert len(registered) == 4 and len(refused) == 16
    assert all(message == "本场现场登记名额已满（4 个）" for _, message in refused)
    rows = db.session.execute(select(Booking.status, Place.walk_in).join(
        Place, Place.id == Booking.place_id).where(Booking.session_id == session.id)).all()
    assert sorted(rows) == [("checked_in", True)] * 4
    assert queries.free_places([session.id]) == {session.id: 3}  # bookable places untouched
    assert queries.free_places([session.id], walk_in=True) == {session.id: 0}


def test_one_person_at_many_desks_gets_one_place(app, tmp_path):
    session = today_session(walk_ins=10)
    number = factories.id_number(seq=998)
    requests = [factories.booking_request(id_number=number, phone=factories.phone(i))
                for i in range(8)]
    outcomes = register_at_once(app, tmp_path, session.id, requests)
    assert [o[0] for o in outcomes].count("ok") == 1
    assert all("已预约本场" in o[1] or "一人一号" in o[1] for o in outcomes if o[0] == "refused")
    assert db.session.scalar(select(func.count(Booking.id)).where(
        Booking.status.in_(PLACE_HOLDING))) == 1
