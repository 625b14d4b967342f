"""Messages are written by event subscribers in the transaction of the change: with it, and
never without it."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest

from portal import calendar, events, settings
from portal.casework import services as casework
from portal.errors import DomainError
from portal.extensions import db
from portal.notify import messages
from portal.reception import management, services
from portal.reception.models import Booking, ReceptionSession
from tests import factories
from tests.casework import builders
from tests.factories import STAFF
from tests.notify.helpers import kinds, outbox


@pytest.fixture
def bureau_set(app):
    settings.save({"bureau_name": "某某县信访局", "bureau_phone": "0579-12345678"})
    db.session.commit()


def test_a_booking_writes_booking_received_with_the_session(app, bureau_set):
    session = factories.session()
    booking = factories.book(session, phone="13912345678")
    [message] = outbox()
    assert message.kind == "booking_received" and message.booking_id == booking.id
    assert message.phone == "13912345678" and message.status == "pending"
    assert message.next_attempt_at == calendar.now()
    body = message.body
    assert booking.code in body and "2026年11月23日 星期一 09:00" in body
    assert "县人民来访接待中心" in body and "等待审核" in body and "【某某县信访局】" in body
    assert f"https://portal.test/reception/bookings/{booking.code}" in body.replace("http:", "https:")
    # encrypted at rest: the row holds neither the phone nor the text
    assert "13912345678" not in message.phone_cipher and booking.code not in message.body_cipher


def test_links_use_public_base_url(app):
    app.config["PUBLIC_BASE_URL"] = "https://xinfang.example.gov.cn/portal"
    booking = factories.book(factories.session())
    assert (f"https://xinfang.example.gov.cn/portal/reception/bookings/{booking.code}"
            in outbox()[0].body)


def test_a_refused_booking_writes_nothing(app):
    session = factories.session()
    number = factories.id_number()
    factories.book(session, id_number=number)
    with pytest.raises(DomainError):  # 一人一号
        services.create_booking(session.id, factories.booking_request(id_number=number),
                                calendar.now())
    db.session.rollback()
    assert kinds() == ["booking_received"]


def test_confirm_and_decline_write_their_messages(app):
    booking = factories.book(factories.session())
    management.change_booking(booking, "confirm", STAFF, calendar.now())
    db.session.commit()
    management.change_booking(booking, "decline", STAFF, calendar.now(), reason="不属于本场范围")
    db.session.commit()
    assert kinds() == ["booking_received", "booking_confirmed", "booking_declined"]
    confirmed, declined = outbox()[1:]
    assert "审核通过" in confirmed.body and booking.code in confirmed.body
    assert "未通过审核" in declined.body


def test_the_decline_reason_reaches_the_citizen(app):
    # Needs management.change_booking to pass the reason in the event ("reason" detail).
    booking = factories.book(factories.session())
    management.change_booking(booking, "decline", STAFF, calendar.now(), reason="不属于本场范围")
    db.session.commit()
    assert "原因：不属于本场范围" in outbox("booking_declined")[0].body


def test_a_refused_decline_writes_no_message(app):
    booking = factories.book(factories.session())
    with pytest.raises(DomainError):  # no reason
        management.change_booking(booking, "decline", STAFF, calendar.now(), reason="")
    db.session.rollback()
    session = db.session.get(ReceptionSession, db.session.get(Booking, booking.id).session_id)
    management.cancel_session(session, "公务", STAFF, calendar.now())
    db.session.commit()
    booking = db.session.get(Booking, booking.id)
    with pytest.raises(DomainError):  # the session is cancelled: refused by the lifecycle
        management.change_booking(booking, "decline", STAFF, calendar.now(), reason="理由")
    db.session.rollback()
    assert "booking_declined" not in kinds()


def test_a_change_that_rolls_back_leaves_no_message(app):
    session = factories.session()
    booking = factories.book(session)
    management.change_booking(booking, "confirm", STAFF, calendar.now())
    db.session.flush()
    assert "booking_confirmed" in kinds()  # written in the same transaction ...
    db.session.rollback()
    assert kinds() == ["booking_received"]  # ... and gone with it


def test_cancelling_a_session_writes_one_message_per_cancelled_booking(app):
    session = factories.session()
    first, second = factories.book(session), factories.book(session)
    management.change_booking(first, "confirm", STAFF, calendar.now())
    other = factories.book(factories.session(day=date(2026, 11, 24)))
    management.cancel_session(session, "领导临时公务", STAFF, calendar.now())
    db.session.commit()
    cancelled = outbox("session_cancelled")
    assert sorted(m.booking_id for m in cancelled) == sorted([first.id, second.id])
    assert {m.dedupe_key for m in cancelled} == {f"session_cancelled:{first.id}",
                                                 f"session_cancelled:{second.id}"}
    assert "已取消" in cancelled[0].body and "领导临时公务" in cancelled[0].body
    assert other.id not in {m.booking_id for m in cancelled}
    # the event again (e.g. a series cancellation touching it): no second message
    events.emit("session.cancel", "session", session.id, actor=STAFF)
    db.session.commit()
    assert len(outbox("session_cancelled")) == 2


def test_cancelling_a_series_writes_one_message_per_booking(app):
    leader = factories.leader()
    made, _ = management.create_sessions(management.SessionPlan(
        leader_id=leader.id, first_day=date(2026, 11, 23), start_time=time(9), end_time=time(10),
        place="县人民来访接待中心", slot_minutes=20, publish=True, weeks=3),
        STAFF, calendar.now())
    db.session.commit()
    booking = factories.book(made[0])
    management.cancel_series(made[0].series_id, "调整", STAFF, calendar.now())
    db.session.commit()
    assert [m.booking_id for m in outbox("session_cancelled")] == [booking.id]


def test_a_citizens_own_cancel_writes_no_cancellation_message(app):
    booking = factories.book(factories.session())
    services.cancel_booking(booking, "有事", calendar.now())
    db.session.commit()
    assert kinds() == ["booking_received"]


def test_reminders_are_queued_once_for_tomorrows_confirmed_bookings(app, clock):
    monday = factories.session()
    tuesday = factories.session(day=date(2026, 11, 24))
    confirmed, pending = factories.book(monday), factories.book(monday)
    later = factories.book(tuesday)
    for b in (confirmed, later):
        management.change_booking(b, "confirm", STAFF, calendar.now())
    db.session.commit()
    clock.set(datetime(2026, 11, 22, 18, 0))  # Sunday evening
    assert messages.queue_reminders(calendar.now()) == 1
    db.session.commit()
    [reminder] = outbox("reminder")
    assert reminder.booking_id == confirmed.id and reminder.dedupe_key == f"reminder:{confirmed.id}"
    assert "明天" in reminder.body and "09:00" in reminder.body
    assert pending.id not in {m.booking_id for m in outbox("reminder")}
    # a second run, and a write that collides with one already there: skipped, no error
    assert messages.queue_reminders(calendar.now()) == 0
    assert messages.write_once("reminder", confirmed, f"reminder:{confirmed.id}") is False
    db.session.commit()
    assert len(outbox("reminder")) == 1 and later.id not in {m.booking_id for m in outbox()
                                                              if m.kind == "reminder"}


def test_a_waiting_list_offer_says_until_when_and_how_to_confirm(app):
    booking = factories.book(factories.session())
    expires = datetime(2026, 11, 19, 10, 0, tzinfo=calendar.TZ)
    events.emit("booking.offer", "booking", booking.id, audited=False, code=booking.code,
                session=booking.session_id, expires_at=expires.isoformat())
    db.session.commit()
    [offer] = outbox("waitlist_offered")
    assert "2026年11月19日 星期四 10:00" in offer.body and booking.code in offer.body
    assert f"/reception/bookings/{booking.code}" in offer.body and "手机号码" in offer.body


def test_a_concluded_hand_over_tells_the_citizen_where_to_read_the_reply(app, clock):
    handover = builders.handover(clock, builders.unit())
    casework.conclude(handover, "经核实已补发补偿款 3 万元", clock.current.date(), STAFF,
                      clock.current + timedelta(hours=1))
    db.session.commit()
    [message] = outbox("handover_concluded")
    booking = db.session.get(Booking, message.booking_id)
    assert f"/reception/bookings/{booking.code}/progress" in message.body
    assert "办结" in message.body and "补发补偿款" not in message.body  # never the reply itself
    assert message.phone == booking.phone


def test_the_waiting_list_is_told_on_joining_and_when_a_place_is_offered(app):
    session, booked = factories.full_session()
    entry = factories.join(session)
    [joined] = [m for m in outbox("booking_received") if m.booking_id == entry.id]
    assert "候补" in joined.body and "等待审核" not in joined.body
    services.cancel_booking(booked[0], "有事", calendar.now())
    db.session.commit()
    [offer] = outbox("waitlist_offered")
    assert offer.booking_id == entry.id and entry.code in offer.body
    expires = db.session.get(Booking, entry.id).offer_expires_at
    assert calendar.format_datetime(expires) in offer.body
