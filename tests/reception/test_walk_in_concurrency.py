"""Walk-ins under real concurrency: many desk devices registering at the same instant never
exceed the session's walk-in places, nor give one person two places (separate processes, as
tests/reception/test_concurrency.py; SQLite here, PostgreSQL when TEST_DATABASE_URL is set)."""
import multiprocessing
from datetime import date, time

from sqlalchemy import func, select

from portal import create_app
from portal.errors import DomainError
from portal.extensions import db
from portal.reception import queries, services
from portal.reception.models import PLACE_HOLDING, Booking, Place
from tests import factories
from tests.conftest import FIXED_NOW, base_config

CTX = multiprocessing.get_context("fork")


def _register(config, session_id, request, barrier, results):
    app = create_app(config)
    with app.app_context():
        db.session.execute(select(1))  # connect before the start line, not after it
        db.session.rollback()
        barrier.wait(timeout=60)
        try:
            booking = services.create_booking(session_id, request, FIXED_NOW, walk_in=True,
                                              actor=factories.STAFF)
            db.session.commit()
            results.put(("ok", booking.place_id))
        except DomainError as error:
            db.session.rollback()
            results.put(("refused", error.message))
        except Exception as error:  # reported to the parent, which fails the test
            results.put(("error", repr(error)))
        finally:
            db.session.remove()
            db.engine.dispose()


def register_at_once(app, tmp_path, session_id, requests):
    config = base_config(tmp_path, app.config["SQLALCHEMY_DATABASE_URI"])
    db.session.remove()
    db.engine.dispose()  # no connection of ours may cross the fork
    barrier, results = CTX.Barrier(len(requests)), CTX.Queue()
    workers = [CTX.Process(target=_register, args=(config, session_id, r, barrier, results))
               for r in requests]
    for worker in workers:
        worker.start()
    outcomes = [results.get(timeout=120) for _ in workers]
    for worker in workers:
        worker.join(timeout=60)
        assert worker.exitcode == 0
    assert not [o for o in outcomes if o[0] == "error"], outcomes
    return outcomes


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
