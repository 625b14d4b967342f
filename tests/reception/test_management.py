"""Staff rules: leaders, sessions and series, review, the reception day, audit entries."""
from datetime import date, datetime, time

import pytest
from sqlalchemy import func, select

from portal import audit, calendar
from portal.errors import DomainError
from portal.extensions import db
from portal.reception import management, queries, services
from portal.reception.models import Booking, Place, ReceptionSession
from tests import factories
from tests.factories import STAFF


def actions() -> list[str]:
    return list(db.session.scalars(select(audit.AuditEntry.action).order_by(audit.AuditEntry.id)))


def test_leader_needs_name_post_and_valid_portfolio(app):
    with pytest.raises(DomainError) as caught:
        management.save_leader(None, "", "", [], STAFF)
    assert set(caught.value.reasons) == {"name", "post", "categories"}
    with pytest.raises(DomainError) as caught:
        management.save_leader(None, "王五", "副县长", ["教育", "不存在的类别"], STAFF)
    assert "categories" in caught.value.reasons
    leader = management.save_leader(None, "王五", "副县长", ["教育", "民政"], STAFF)
    assert leader.categories == ["教育", "民政"]
    management.save_leader(leader, "王五", "县长", ["林业"], STAFF)
    db.session.commit()
    assert leader.portfolio_text == "林业" and leader.post == "县长"
    assert actions()[-2:] == ["leader.create", "leader.update"]


def test_place_times_fill_the_window():
    assert management.place_times(time(9), time(10), 20) == [time(9), time(9, 20), time(9, 40)]
    assert management.place_times(time(9), time(9, 50), 20) == [time(9), time(9, 20)]
    assert management.place_times(time(9), time(9, 10), 20) == []


def test_series_skips_non_working_days(app):
    leader = factories.leader()
    # Mondays from 21 Sep 2026 for 4 weeks: 5 Oct is inside the National Day holiday.
    made, skipped = management.create_sessions(management.SessionPlan(
        leader_id=leader.id, first_day=date(2026, 11, 23), start_time=time(9),
        end_time=time(11, 30), place="县人民来访接待中心", weeks=8, publish=True), STAFF,
        calendar.now())
    db.session.commit()
    assert len(made) == 8 and skipped == []
    assert len({s.series_id for s in made}) == 1
    assert db.session.scalar(select(func.count(Place.id)).where(
        Place.session_id == made[0].id)) == 7  # 09:00–11:30 in 20-minute places


def test_series_over_a_holiday(app, clock):
    clock.set(datetime(2026, 9, 1, 9, 0))
    leader = factories.leader()
    made, skipped = management.create_sessions(management.SessionPlan(
        leader_id=leader.id, first_day=date(2026, 9, 21), start_time=time(9),
        end_time=time(10), place="县人民来访接待中心", weeks=4), STAFF, calendar.now())
    assert skipped == [date(2026, 10, 5)]
    assert [s.day for s in made] == [date(2026, 9, 21), date(2026, 9, 28), date(2026, 10, 12)]


@pytest.mark.parametrize("change, field", [
    (dict(end_time=time(8)), "end_time"),
    (dict(first_day=date(2026, 11, 1)), "first_day"),
    (dict(slot_minutes=200), "slot_minutes"),
    (dict(slot_minutes=5, end_time=time(15)), "slot_minutes"),
    (dict(place=""), "place"),
    (dict(mode="theme"), "theme"),
    (dict(weeks=60), "weeks"),
])
def test_session_plan_is_checked(app, change, field):
    leader = factories.leader()
    plan = dict(leader_id=leader.id, first_day=date(2026, 11, 23), start_time=time(9),
                end_time=time(10), place="县人民来访接待中心")
    plan.update(change)
    with pytest.raises(DomainError) as caught:
        management.create_sessions(management.SessionPlan(**plan), STAFF, calendar.now())
    assert field in caught.value.reasons


def test_publish_edit_and_cancel(app):
    session = factories.session(publish=False)
    management.publish_session(session, STAFF, calendar.now())
    with pytest.raises(DomainError):
        management.publish_session(session, STAFF, calendar.now())
    plan = management.SessionPlan(leader_id=session.leader_id, first_day=date(2026, 11, 24),
                                  start_time=time(14), end_time=time(15), place="青石镇人民政府",
                                  slot_minutes=30)
    management.update_session(session, plan, STAFF, calendar.now())
    db.session.commit()
    assert session.day == date(2026, 11, 24)
    assert queries.total_places([session.id]) == {session.id: 2}
    booking = factories.book(session)
    with pytest.raises(DomainError):
        management.update_session(session, plan, STAFF, calendar.now())
    db.session.rollback()
    count = management.cancel_session(session, "领导临时公务", STAFF, calendar.now())
    db.session.commit()
    assert count == 1
    booking = db.session.get(Booking, booking.id)
    assert booking.status == "cancelled" and "领导临时公务" in booking.status_reason
    assert [b.id for b in queries.call_list()] == [booking.id]
    management.mark_notified(booking, STAFF, calendar.now())
    db.session.commit()
    assert queries.call_list() == []
    assert actions()[-4:] == ["session.publish", "session.update", "session.cancel",
                              "booking.notified"]


def test_review_transitions_and_decline_reason(app, clock):
    session = factories.session()
    booking = factories.book(session)
    with pytest.raises(DomainError) as caught:
        management.change_booking(booking, "decline", STAFF, calendar.now(), reason="")
    assert "reason" in caught.value.reasons
    management.change_booking(booking, "decline", STAFF, calendar.now(),
                              reason="事项已进入诉讼程序")
    assert booking.status == "declined" and booking.status_reason == "事项已进入诉讼程序"
    assert queries.free_places([session.id])[session.id] == 3
    management.change_booking(booking, "confirm", STAFF, calendar.now())
    assert booking.status == "confirmed" and booking.status_reason == ""
    with pytest.raises(DomainError) as caught:
        management.change_booking(booking, "check_in", STAFF, calendar.now())
    assert "接访当天" in caught.value.message
    clock.set(datetime(2026, 11, 23, 8, 50))
    management.change_booking(booking, "check_in", STAFF, calendar.now())
    assert booking.status == "checked_in"
    with pytest.raises(DomainError):
        management.change_booking(booking, "confirm", STAFF, calendar.now())


def test_reconfirming_a_declined_booking_whose_place_was_taken_is_refused(app):
    session = factories.session(end=time(9, 20))
    first = factories.book(session)
    management.change_booking(first, "decline", STAFF, calendar.now(), reason="材料不全")
    db.session.commit()
    factories.book(session)
    with pytest.raises(DomainError) as caught:
        management.change_booking(first, "confirm", STAFF, calendar.now())
    assert "已被他人预约" in caught.value.message


def test_closing_the_day_records_no_shows_and_expiries(app, clock):
    session = factories.session()
    came, absent, unreviewed = factories.book(session), factories.book(session), factories.book(session)
    for booking in (came, absent):
        management.change_booking(booking, "confirm", STAFF, calendar.now())
    with pytest.raises(DomainError):
        management.close_session(session, STAFF, calendar.now())
    clock.set(datetime(2026, 11, 23, 12, 0))
    management.change_booking(came, "check_in", STAFF, calendar.now())
    counts = management.close_session(session, STAFF, calendar.now())
    db.session.commit()
    assert counts == {"no_show": 1, "expired": 1}
    statuses = {b.id: b.status for b in db.session.scalars(select(Booking))}
    assert statuses == {came.id: "checked_in", absent.id: "no_show", unreviewed.id: "expired"}
    # The person with an expired (unreviewed) booking may book again.
    assert services._active_booking_of(unreviewed.id_hash) is None


def test_close_past_sessions_job(app, clock):
    session = factories.session()
    factories.book(session)
    clock.set(datetime(2026, 11, 24, 1, 0))
    assert management.close_past_sessions(date(2026, 11, 24)) == 1
    db.session.commit()
    assert db.session.get(ReceptionSession, session.id).closed


def test_reveal_id_number_is_audited(app):
    number = factories.id_number(seq=77)
    booking = factories.book(factories.session(), id_number=number)
    assert management.reveal_id_number(booking, STAFF) == number
    db.session.commit()
    entry = db.session.scalars(select(audit.AuditEntry).order_by(audit.AuditEntry.id.desc())).first()
    assert entry.action == "booking.reveal_id" and number not in entry.detail
