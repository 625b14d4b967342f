"""Object-level authorization on the citizen's routes (issue 10; the list of every object route
is in tests/test_object_access.py): a booking's code opens nothing without that booking's own
phone number, or this browser's own receipt remembered for 15 minutes.

Booking A belongs to 欧阳娜娜; booking B to someone else, whose browser remembers B's receipt.
A fresh browser, B's browser and a signed-in evaluation clerk, holding A's code with no phone,
a wrong phone or B's phone, see nothing of A (name, masked or not, phone, ID, the leader, day
and time of the visit, the case) and change nothing (status, rating, outbox, audit log). A's
own phone works, so each refusal is a refusal of this check and not a broken route.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from portal import audit, calendar, privacy
from portal.casework import services as casework
from portal.casework.models import HandOver, HandOverRating
from portal.extensions import db
from portal.notify.models import OutboxMessage
from portal.reception import management, services
from portal.reception.models import Booking
from tests import factories
from tests.casework import builders
from tests.conftest import AuthActions
from tests.factories import STAFF

A_NAME, A_LEADER = "欧阳娜娜", "欧阳振华"
A_PHONE, B_PHONE, WRONG_PHONE = "13911112222", "13733334444", "13900000000"
A_DAY, A_START = date(2026, 11, 24), time(14, 0)
UNIT, TASK = "县住建局", "核实补偿款发放情况并答复来访人"
NOT_FOUND = "预约码或手机号码不正确"


def a_markers(booking: Booking) -> list[str]:
    """What of A no one else may see: shown on A's own pages (checked), absent elsewhere."""
    return [A_NAME, privacy.mask_name(A_NAME), A_PHONE, privacy.mask_phone(A_PHONE),
            booking.masked_id, A_LEADER, calendar.format_date(A_DAY), calendar.format_time(A_START)]


def assert_nothing_of_a(response, booking: Booking, *statuses: int) -> None:
    assert response.status_code in statuses, (response.status_code, response.text[:300])
    text = response.get_data(as_text=True)
    for secret in a_markers(booking) + [UNIT, TASK, privacy.decrypt(booking.id_cipher)]:
        assert secret not in text, secret


def state() -> dict:
    """What a citizen's request could change."""
    db.session.expire_all()
    return {
        "bookings": dict(db.session.execute(select(Booking.code, Booking.status)).all()),
        "ratings": db.session.scalar(select(func.count()).select_from(HandOverRating)),
        "outbox": db.session.scalar(select(func.count()).select_from(OutboxMessage)),
        "audit": db.session.scalar(select(func.count()).select_from(audit.AuditEntry)),
    }


def a_session():
    return factories.session(factories.leader(A_LEADER), day=A_DAY, start=A_START,
                             end=time(15, 0))


def browsers(app, b_code: str):
    """A fresh browser, one that remembers its own receipt B, and a signed-in evaluation clerk
    (the desk's QR shortcut is reception's alone)."""
    fresh, own_b, clerk = app.test_client(), app.test_client(), app.test_client()
    assert own_b.post("/reception/lookup", data={"code": b_code, "phone": B_PHONE}
                      ).status_code == 303
    assert f'data-booking-code="{b_code}"' in own_b.get(f"/reception/bookings/{b_code}").text
    AuthActions(clerk).login("evaluation", "pingjia-a")
    return {"fresh": fresh, "own_b": own_b, "clerk": clerk}


@pytest.fixture
def two_bookings(app):
    """A (欧阳娜娜, with 欧阳振华 on 24 November at 14:00) and B (another session)."""
    b = factories.book(factories.session(), phone=B_PHONE)
    a = factories.book(a_session(), name=A_NAME, phone=A_PHONE)
    return a, b


# --- the receipt, its print and its calendar file ----------------------------------------------

def test_receipt_print_and_calendar_need_the_bookings_own_phone(app, two_bookings):
    a, b = two_bookings
    clients = browsers(app, b.code)
    before = state()
    for name, browser in clients.items():
        for url in (f"/reception/bookings/{a.code}", f"/reception/bookings/{a.code}/print",
                    f"/reception/bookings/{a.code.lower()}"):
            page = browser.get(url)
            assert_nothing_of_a(page, a, 200)
            assert "查看预约回执需要输入预约时填写的手机号码" in page.text, name
        assert_nothing_of_a(browser.get(f"/reception/bookings/{a.code}.ics"), a, 404)
        for phone in ("", WRONG_PHONE, B_PHONE):
            looked = browser.post("/reception/lookup", data={"code": a.code, "phone": phone})
            assert_nothing_of_a(looked, a, 422)
        # Nothing was remembered by trying.
        assert_nothing_of_a(browser.get(f"/reception/bookings/{a.code}.ics"), a, 404)
    assert state() == before
    owner = app.test_client()
    assert owner.post("/reception/lookup", data={"code": a.code, "phone": A_PHONE}
                      ).status_code == 303
    for url in (f"/reception/bookings/{a.code}", f"/reception/bookings/{a.code}/print"):
        page = owner.get(url).text
        for shown in (A_NAME, a.masked_id, A_LEADER, calendar.format_date(A_DAY),
                      calendar.format_time(A_START)):
            assert shown in page, shown
    ics = owner.get(f"/reception/bookings/{a.code}.ics")
    assert ics.status_code == 200 and A_LEADER in ics.get_data(as_text=True)


# --- changes: cancel, confirm an offer ---------------------------------------------------------

def test_cancelling_needs_the_bookings_own_phone(app, two_bookings):
    a, b = two_bookings
    clients = browsers(app, b.code)
    before = state()
    for browser in clients.values():
        for phone in ("", WRONG_PHONE, B_PHONE):
            refused = browser.post(f"/reception/bookings/{a.code}/cancel",
                                   data={"reason": "有事", "phone": phone})
            assert_nothing_of_a(refused, a, 422)
    assert state() == before
    done = app.test_client().post(f"/reception/bookings/{a.code}/cancel",
                                  data={"reason": "有事", "phone": A_PHONE})
    assert done.status_code == 303
    after = state()
    assert after["bookings"][a.code] == "cancelled"
    assert after["bookings"][b.code] == before["bookings"][b.code]


def test_confirming_an_offer_needs_the_entrys_own_phone(app):
    session = factories.session()  # three places: B and two others take them, A waits
    b, first, _third = (factories.book(session, phone=phone)
                        for phone in (B_PHONE, factories.phone(), factories.phone()))
    a = factories.join(session, name=A_NAME, phone=A_PHONE)
    services.cancel_booking(first, "有事", calendar.now())  # the freed place is offered to A
    db.session.commit()
    clients = browsers(app, b.code)
    before = state()
    assert before["bookings"][a.code] == "offered"
    for browser in clients.values():
        for phone in ("", WRONG_PHONE, B_PHONE):
            refused = browser.post(f"/reception/bookings/{a.code}/accept", data={"phone": phone})
            assert_nothing_of_a(refused, a, 422)
    assert state() == before
    done = app.test_client().post(f"/reception/bookings/{a.code}/accept", data={"phone": A_PHONE})
    assert done.status_code == 303 and state()["bookings"][a.code] == "pending"


# --- the case: progress and rating -------------------------------------------------------------

@pytest.fixture
def concluded_a(app, clock):
    """A visited 欧阳振华 on its day, was handed over to 县住建局 and concluded; B booked elsewhere
    (both booked five days ahead, inside the booking window)."""
    clock.set(datetime.combine(A_DAY - timedelta(days=5), time(10)))
    b = factories.book(factories.session(day=A_DAY), phone=B_PHONE)
    a = factories.book(a_session(), name=A_NAME, phone=A_PHONE)
    now = builders.at(clock, A_DAY, 15)
    management.change_booking(a, "check_in", STAFF, now)
    casework.save_record(a, casework.RecordInput(request="补偿款未足额发放", instruction="请住建局核实",
                                                 outcome="handed_over"),
                         casework.HandOverInput(builders.unit(UNIT).id, TASK), STAFF, now)
    db.session.commit()
    handover = db.session.scalars(select(HandOver)).one()
    casework.conclude(handover, "补偿款差额已补发到位", date(2026, 12, 9), STAFF,
                      builders.at(clock, date(2026, 12, 10)))
    db.session.commit()
    return a, b


def test_progress_needs_the_bookings_own_phone(app, concluded_a):
    a, b = concluded_a
    clients = browsers(app, b.code)
    before = state()
    for browser in clients.values():
        url = f"/reception/bookings/{a.code}/progress"
        assert_nothing_of_a(browser.get(url), a, 200)
        for phone in ("", WRONG_PHONE, B_PHONE):
            refused = browser.post(url, data={"code": a.code, "phone": phone})
            assert_nothing_of_a(refused, a, 422)
            assert NOT_FOUND in refused.text
        assert_nothing_of_a(browser.get(url), a, 200)  # nothing remembered by trying
    assert state() == before
    owner = app.test_client()
    url = f"/reception/bookings/{a.code}/progress"
    assert owner.post(url, data={"code": a.code, "phone": A_PHONE}).status_code == 303
    page = owner.get(url).text
    assert f'data-booking-code="{a.code}"' in page and UNIT in page


def test_rating_needs_the_bookings_own_phone(app, concluded_a):
    a, b = concluded_a
    clients = browsers(app, b.code)
    before = state()
    for browser in clients.values():
        for phone in ("", WRONG_PHONE, B_PHONE):
            refused = browser.post(f"/reception/bookings/{a.code}/rating",
                                   data={"rating": "unsatisfied", "phone": phone})
            assert_nothing_of_a(refused, a, 422)
    assert state() == before
    done = app.test_client().post(f"/reception/bookings/{a.code}/rating",
                                  data={"rating": "satisfied", "phone": A_PHONE})
    assert done.status_code == 303 and state()["ratings"] == before["ratings"] + 1
