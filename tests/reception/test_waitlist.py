"""Issue 9, 候补: a full session's waiting list — joining under the booking's rules, offers when
a place is freed (oldest first, held until a deadline never past the cut-off), confirming,
lapsing, and the day's close. The race is in test_waitlist_concurrency.py; the pages in
test_waitlist_pages.py."""
from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from portal import audit, calendar, events, settings
from portal.errors import DomainError
from portal.extensions import db
from portal.lifecycle import Lifecycle
from portal.reception import management, queries, services, waitlist
from portal.reception.lifecycle import BOOKING
from portal.reception.models import PLACE_HOLDING, Booking
from tests import factories
from tests.conftest import FIXED_NOW

CUTOFF = datetime(2026, 11, 20, 17, 0, tzinfo=calendar.TZ)  # the factories' session's cut-off
ON_THE_DAY = datetime(2026, 11, 23, 9, 0, tzinfo=calendar.TZ)
SEEN: list[events.Event] = []


@pytest.fixture
def seen(app):
    SEEN.clear()
    events.subscribe("booking.", SEEN.append)
    return SEEN


def refused(session, **overrides) -> DomainError:
    with pytest.raises(DomainError) as caught:
        services.join_waitlist(session.id, factories.booking_request(**overrides), calendar.now())
    db.session.rollback()
    return caught.value


def reload(booking: Booking) -> Booking:
    db.session.expire_all()
    return db.session.get(Booking, booking.id)


def held(session_id: int) -> list[int]:
    return list(db.session.scalars(select(Booking.place_id).where(
        Booking.session_id == session_id, Booking.status.in_(PLACE_HOLDING))))


# --- joining -------------------------------------------------------------------------------------

def test_only_a_full_session_has_a_waiting_list(app, seen):
    session = factories.session()  # 3 places
    assert refused(session).message == "本场还有名额，请直接预约"
    for _ in range(3):
        factories.book(session)
    entry = factories.join(session)
    assert (entry.status, entry.place_id, entry.offer_expires_at) == ("waitlisted", None, None)
    assert len(entry.code) == 8 and entry.phone and entry.summary
    assert [(e.name, e.audited, e.detail["code"]) for e in seen][-1] == (
        "booking.waitlist", False, entry.code)
    assert queries.waiting_position(entry) == 1
    assert queries.free_places([session.id])[session.id] == 0
    assert db.session.scalars(select(audit.AuditEntry.action)).all()[-1] == "session.create"


def test_the_list_has_a_limit_and_can_be_turned_off(app):
    session, _ = factories.full_session()
    assert settings.save({"waitlist_max": "2"}) == {}
    first, second = factories.join(session), factories.join(session)
    assert refused(session).message == "本场候补已满，请选择其他场次"
    assert [queries.waiting_position(e) for e in (first, second)] == [1, 2]
    assert settings.save({"waitlist_max": "0"}) == {}
    assert refused(session).message == "本场不设候补，请选择其他场次"


def test_every_booking_rule_applies_to_joining(app, clock, monkeypatch):
    session, _ = factories.full_session()
    # The window: closed after the cut-off, not yet open long before.
    clock.set(CUTOFF)
    assert "截止预约" in refused(session).message
    clock.set(FIXED_NOW)
    later = factories.session(day=date(2027, 1, 11))  # the window comes before fullness
    assert "开放预约" in refused(later).message
    # The fields, as for booking.
    assert set(refused(session, id_number="123", summary="短").reasons) == {"id_number", "summary"}
    assert "category" in refused(session, category="涉法涉诉").reasons
    # The no-show suspension.
    number = factories.id_number(seq=77)
    for day in (date(2026, 9, 14), date(2026, 10, 19), date(2026, 11, 2)):
        factories.recorded_no_show(clock, number, day)
    assert "暂停预约至" in refused(session, id_number=number).reasons["id_number"]
    # A matter evaluated 满意.
    monkeypatch.setattr(services, "satisfied_matter_refusal", lambda _n: "该事项已经评价为“满意”。")
    assert "满意" in refused(session, related_matter_no="XF-2026-0031").reasons["related_matter_no"]


def test_one_per_person_spans_bookings_and_the_waiting_list(app):
    number = factories.id_number(seq=42)
    session, _ = factories.full_session()
    other = factories.session(day=date(2026, 11, 24))
    factories.book(other, id_number=number)
    assert "一人一号" in refused(session, id_number=number).reasons["id_number"]
    waiting_number = factories.id_number(seq=43)
    factories.join(session, id_number=waiting_number)
    with pytest.raises(DomainError) as caught:
        services.create_booking(other.id, factories.booking_request(id_number=waiting_number),
                                calendar.now())
    assert "一人一号" in caught.value.reasons["id_number"]
    db.session.rollback()
    assert "一人一号" in refused(session, id_number=waiting_number).reasons["id_number"]


# --- offers ----------------------------------------------------------------------------------------

def test_a_cancelled_place_goes_to_the_oldest_entry_held_for_the_hold_time(app, seen):
    session, booked = factories.full_session()
    first, second = factories.join(session), factories.join(session)
    services.cancel_booking(booked[1], "有事", calendar.now())
    db.session.commit()
    first, second = reload(first), reload(second)
    assert (first.status, first.place_id) == ("offered", booked[1].place_id)
    assert first.offer_expires_at == FIXED_NOW + timedelta(hours=2)
    assert second.status == "waitlisted" and queries.waiting_position(second) == 1
    offer = [e for e in seen if e.name == "booking.offer"]
    assert [(e.object_id, e.audited, e.detail["code"], e.detail["session"]) for e in offer] == [
        (first.id, False, first.code, session.id)]
    assert offer[0].detail["expires_at"] == (FIXED_NOW + timedelta(hours=2)).isoformat()
    # An offered place is not free.
    assert queries.free_places([session.id])[session.id] == 0
    assert sorted(held(session.id)) == sorted(b.place_id for b in booked)


def test_a_declined_place_goes_to_the_first_waiting(app):
    session, booked = factories.full_session()
    entry = factories.join(session)
    management.change_booking(booked[0], "decline", factories.STAFF, calendar.now(), reason="不属于本场")
    db.session.commit()
    assert (reload(entry).status, reload(entry).place_id) == ("offered", booked[0].place_id)
    # The declined booking cannot come back: its place is held for the waiting entry.
    assert BOOKING.refusal(reload(booked[0]), "confirm", factories.STAFF, calendar.now()) == (
        "该号源已被他人预约，不能恢复")


def test_the_hold_never_passes_the_cut_off(app, clock):
    session, booked = factories.full_session()
    entry = factories.join(session)
    clock.set(CUTOFF - timedelta(minutes=30))
    services.cancel_booking(booked[0], "有事", calendar.now())
    db.session.commit()
    assert reload(entry).offer_expires_at == CUTOFF


def test_no_offer_after_the_cut_off_the_place_stays_for_the_desk(app, clock):
    session, booked = factories.full_session()
    entry = factories.join(session)
    clock.set(CUTOFF + timedelta(hours=1))
    management.change_booking(booked[0], "decline", factories.STAFF, calendar.now(), reason="材料不全")
    db.session.commit()
    assert reload(entry).status == "waitlisted"
    assert queries.free_places([session.id])[session.id] == 1
    assert waitlist.lapse_offers(calendar.now()) == 0
    assert reload(entry).status == "waitlisted"


def test_a_waiting_entrys_own_cancel_frees_nothing(app, seen):
    session, _ = factories.full_session()
    first, second = factories.join(session), factories.join(session)
    services.cancel_booking(first, "不等了", calendar.now())
    db.session.commit()
    assert reload(first).status == "cancelled" and reload(second).status == "waitlisted"
    assert queries.waiting_position(reload(second)) == 1
    assert not [e for e in seen if e.name == "booking.offer"]


# --- confirming and lapsing ----------------------------------------------------------------------

def offered(session, booked, **overrides) -> Booking:
    entry = factories.join(session, **overrides)
    services.cancel_booking(booked[0], "有事", calendar.now())
    db.session.commit()
    entry = reload(entry)
    assert entry.status == "offered"
    return entry


def test_accepting_in_time_makes_a_booking_to_review(app, clock):
    session, booked = factories.full_session()
    entry = offered(session, booked, phone="13900000001")
    clock.set(FIXED_NOW + timedelta(hours=1, minutes=59))
    services.accept_offer(entry, "139 0000 0001", calendar.now())
    db.session.commit()
    entry = reload(entry)
    assert (entry.status, entry.place_id) == ("pending", booked[0].place_id)
    management.change_booking(entry, "confirm", factories.STAFF, calendar.now())
    assert entry.status == "confirmed"


def test_accepting_too_late_or_with_another_phone_is_refused(app, clock):
    session, booked = factories.full_session()
    entry = offered(session, booked, phone="13900000002")
    with pytest.raises(DomainError) as caught:
        services.accept_offer(entry, "13900000003", calendar.now())
    assert caught.value.reasons == {"phone": services.WRONG_PHONE}
    db.session.rollback()
    clock.set(FIXED_NOW + timedelta(hours=2))
    with pytest.raises(DomainError) as caught:
        services.accept_offer(reload(entry), "13900000002", calendar.now())
    assert caught.value.status == 409 and caught.value.message.startswith("候补名额保留时间已过")
    db.session.rollback()
    assert reload(entry).status == "offered"


def test_a_lapsed_offer_passes_to_the_next(app, clock, runner):
    session, booked = factories.full_session()
    first = offered(session, booked)
    second = factories.join(session)
    clock.set(FIXED_NOW + timedelta(hours=1))
    assert waitlist.lapse_offers(calendar.now()) == 0  # not yet
    clock.set(FIXED_NOW + timedelta(hours=2))
    result = runner.invoke(args=["reception", "offers-expire"])
    assert result.exit_code == 0 and result.output.strip() == "lapsed 1 offers"
    first, second = reload(first), reload(second)
    assert first.status == "lapsed"
    assert (second.status, second.place_id) == ("offered", booked[0].place_id)
    assert second.offer_expires_at == FIXED_NOW + timedelta(hours=4)
    with pytest.raises(DomainError):
        services.cancel_booking(first, "晚了", calendar.now())  # nothing left to cancel
    db.session.rollback()


def test_closing_the_day_lapses_what_still_waits(app, clock):
    session, booked = factories.full_session()
    first = offered(session, booked)
    second = factories.join(session)
    clock.set(ON_THE_DAY)
    counts = management.close_session(session, factories.STAFF, calendar.now())
    db.session.commit()
    assert counts == {"no_show": 0, "expired": 2, "lapsed": 2}
    assert (reload(first).status, reload(second).status) == ("lapsed", "lapsed")
    entry = db.session.scalars(select(audit.AuditEntry).order_by(audit.AuditEntry.id.desc())).first()
    assert (entry.action, entry.detail_dict) == ("session.close", counts)


def test_cancelling_the_session_cancels_the_waiting_list_too(app):
    session, booked = factories.full_session()
    first = offered(session, booked)
    second = factories.join(session)
    assert management.cancel_session(session, "公务", factories.STAFF, calendar.now()) == 4
    db.session.commit()
    assert {reload(first).status, reload(second).status} == {"cancelled"}


def test_a_record_starts_only_in_a_declared_entry_status(app):
    with pytest.raises(ValueError):
        BOOKING.new(Booking, "offered")
    assert BOOKING.new(Booking).status == "pending"
    assert BOOKING.new(Booking, "waitlisted").status == "waitlisted"
    with pytest.raises(ValueError):
        Lifecycle("x", {"a": "A"}, [], initial="a", entries=("b",))
