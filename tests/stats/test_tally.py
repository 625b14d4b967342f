"""The reception tally (portal/stats/tally.py) is kept by triggers on ``booking``: after each
kind of change it holds the sums a recount from the bookings gives (the conftest also checks
that after every test of reception, casework and statistics), on SQLite and on PostgreSQL,
under concurrent writers too."""
from __future__ import annotations

from datetime import datetime, time

from sqlalchemy import delete, select, text

from portal import calendar
from portal.extensions import db
from portal.notify.models import OutboxMessage
from portal.reception import desk, management, services
from portal.reception.models import Booking
from portal.stats import tally
from portal.stats.tally import MEASURES, SESSION_ROW
from tests import factories
from tests.conftest import FIXED_NOW
from tests.factories import STAFF
from tests.processes import at_once
from tests.tally_reference import assert_agrees, stored

LAND, TITLE = "征地拆迁", "土地权属"
RECEPTION_DAY = datetime(2026, 11, 23, 9, 30, tzinfo=calendar.TZ)


def sums(session_id: int) -> dict[str, dict[str, int]]:
    """The session's booking sums by category (its own row, holding places, apart)."""
    return {category: value for (sid, category), value in stored().items()
            if sid == session_id and category != SESSION_ROW}


def places(session_id: int) -> int:
    return stored().get((session_id, SESSION_ROW), {}).get("places", 0)


def figures(**given) -> dict[str, int]:
    return {m: given.get(m, 0) for m in MEASURES}


def test_the_triggers_are_in_the_database(app):
    if db.engine.dialect.name == "postgresql":
        found = db.session.scalars(text(
            "SELECT tgname FROM pg_trigger WHERE tgrelid = 'booking'::regclass"))
    else:
        found = db.session.scalars(text(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'booking'"))
    assert {"booking_tally_insert", "booking_tally_update", "booking_tally_delete"} <= set(found)
    if db.engine.dialect.name == "postgresql":
        found = db.session.scalars(text(
            "SELECT tgname FROM pg_trigger WHERE tgrelid = 'reception_place'::regclass"))
    else:
        found = db.session.scalars(text("SELECT name FROM sqlite_master WHERE type = 'trigger' "
                                        "AND tbl_name = 'reception_place'"))
    assert {"place_tally_insert", "place_tally_update", "place_tally_delete"} <= set(found)


def test_a_session_row_counts_its_bookable_places_as_they_change(app):
    session = factories.session(end=time(11, 0), walk_ins=2)  # 6 bookable + 2 walk-in places
    assert places(session.id) == 6
    management.update_session(session, management.SessionPlan(
        leader_id=session.leader_id, first_day=session.day, start_time=time(9, 0),
        end_time=time(10, 0), place=session.place, slot_minutes=20, publish=True,
        walk_in_places=2), STAFF, calendar.now())
    db.session.commit()
    assert places(session.id) == 3
    desk.set_walk_in_places(session, 4, STAFF, calendar.now())  # walk-in places are not offered
    db.session.commit()
    assert places(session.id) == 3


def test_each_change_moves_a_booking_between_the_sums(app, clock):
    session = factories.session(end=time(11, 0), walk_ins=2)  # 6 bookable + 2 walk-in places
    first = factories.book(session, category=LAND, party_size=2)
    factories.book(session, category=TITLE)
    third = factories.book(session, category=LAND)
    assert sums(session.id) == {LAND: figures(bookings=2, taken=2),
                                TITLE: figures(bookings=1, taken=1)}

    services.cancel_booking(third, "有事来不了", calendar.now())
    db.session.commit()
    assert sums(session.id)[LAND] == figures(bookings=2, taken=1, cancelled=1)

    clock.set(RECEPTION_DAY)
    factories.walk_in(session, category=TITLE, party_size=3)
    desk.check_in_by_code(first.code, session.id, STAFF, calendar.now())
    db.session.commit()
    assert sums(session.id) == {
        LAND: figures(bookings=2, taken=1, cancelled=1, attended=1, people=2),
        TITLE: figures(bookings=1, taken=1, walk_ins=1, people=3)}

    clock.set(datetime(2026, 11, 23, 18, 0, tzinfo=calendar.TZ))
    management.close_session(session, STAFF, calendar.now())  # bulk: the unreviewed expire
    db.session.commit()
    assert sums(session.id)[TITLE] == figures(bookings=1, taken=1, walk_ins=1, people=3)
    assert_agrees()


def test_a_cancelled_session_moves_its_bookings_in_one_statement(app):
    session, booked = factories.full_session(places=3)
    management.cancel_session(session, "领导临时公务", STAFF, calendar.now())
    db.session.commit()
    assert sums(session.id) == {LAND: figures(bookings=3, cancelled=3)}


def test_a_waiting_list_entry_counts_once_it_is_offered_a_place(app):
    session, booked = factories.full_session(places=2)
    factories.join(session, category=TITLE)
    assert TITLE not in sums(session.id)  # waiting, without a place: not a booking
    services.cancel_booking(booked[0], "改期", calendar.now())  # the place goes to the waiting
    db.session.commit()
    assert sums(session.id) == {LAND: figures(bookings=2, taken=1, cancelled=1),
                                TITLE: figures(bookings=1, taken=1)}


def test_deleted_bookings_are_taken_away(app):
    session, _booked = factories.full_session(places=3)
    of_session = select(Booking.id).where(Booking.session_id == session.id)
    db.session.execute(delete(OutboxMessage).where(OutboxMessage.booking_id.in_(of_session)))
    db.session.execute(delete(Booking).where(Booking.session_id == session.id))
    db.session.commit()
    assert sums(session.id) == {}


def test_a_rebuild_gives_what_the_triggers_kept(app):
    session, booked = factories.full_session(places=3)
    services.cancel_booking(booked[1], "改期", calendar.now())
    db.session.commit()
    kept = stored()
    assert tally.rebuild() == (2, 0)  # the session's row and its one category
    db.session.commit()
    assert stored() == kept and kept


def test_the_recount_command_repairs_and_reports_a_tally_gone_wrong(app, runner):
    session, _booked = factories.full_session(places=3)
    db.session.execute(text("UPDATE reception_tally SET places = 9, bookings = 7, people = 2"))
    db.session.commit()
    result = runner.invoke(args=["reception", "recount-tally"])
    assert result.exit_code == 0
    assert "recounted 2 rows; 2 differed" in result.output
    assert sums(session.id) == {LAND: figures(bookings=3, taken=3)} and places(session.id) == 3


def test_concurrent_bookings_and_cancellations_keep_exact_sums(app, tmp_path):
    session = factories.session(end=time(13, 0))  # 12 places
    earlier = [factories.book(session, phone=factories.phone(i)) for i in range(4)]
    ids = [b.id for b in earlier]
    jobs = [("book", lambda i=i: services.create_booking(session.id, factories.booking_request(
        id_number=factories.id_number(seq=100 + i), phone=factories.phone(100 + i),
        category=(LAND, TITLE)[i % 2]), FIXED_NOW).id) for i in range(12)]
    jobs += [("cancel", lambda b=b: services.cancel_booking(
        db.session.get(Booking, b), "不去了", FIXED_NOW)) for b in ids]
    outcomes = at_once(app, tmp_path, jobs)
    booked = sum(1 for label, status, _ in outcomes if label == "book" and status == "ok")
    assert booked >= 8  # the four cancelled places may go to latecomers, or not
    assert_agrees()
    total = {m: sum(v[m] for v in sums(session.id).values()) for m in MEASURES}
    assert total["bookings"] == 4 + booked and total["cancelled"] == 4
    assert total["taken"] == booked


def test_a_session_cancelled_while_citizens_book_keeps_exact_sums(app, tmp_path):
    session = factories.session(end=time(13, 0))
    for i in range(5):
        factories.book(session, phone=factories.phone(i), category=(LAND, TITLE)[i % 2])
    jobs = [("book", lambda i=i: services.create_booking(session.id, factories.booking_request(
        id_number=factories.id_number(seq=200 + i), phone=factories.phone(200 + i),
        category=(LAND, TITLE)[i % 2]), FIXED_NOW).id) for i in range(6)]
    jobs.append(("cancel session", lambda: management.cancel_session(
        db.session.get(type(session), session.id), "领导临时公务", STAFF, FIXED_NOW)))
    at_once(app, tmp_path, jobs)
    assert_agrees()
