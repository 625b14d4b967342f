"""Issue 9, 候补 on the pages: the full session's join form (the booking form), the receipt's
place in the list, the offer with its deadline and its confirm form, cancelling and lookup, and
the staff session page's waiting list."""
from __future__ import annotations

import re
from datetime import timedelta

from portal import calendar
from portal.extensions import db
from portal.reception import services
from portal.reception.models import Booking
from tests import factories
from tests.conftest import FIXED_NOW


def code_of(location: str) -> str:
    return location.split("/bookings/")[1].split("?")[0].split("#")[0]


def free_places(page) -> str:
    return re.search(r'data-free-places="(\d+)"', page.text).group(1)


def join(client, session, **overrides) -> tuple[str, dict]:
    form = factories.booking_form(**overrides)
    response = client.post(f"/reception/sessions/{session.id}/waitlist", data=form)
    assert response.status_code == 303, response.text[:800]
    return code_of(response.headers["Location"]), form


def entry(code: str) -> Booking:
    db.session.expire_all()
    return db.session.query(Booking).filter_by(code=code).one()


def test_a_full_session_offers_the_waiting_list_with_the_same_form(client):
    session = factories.session()
    page = client.get(f"/reception/sessions/{session.id}")
    assert "加入候补" not in page.text and "提交预约" in page.text
    for _ in range(3):
        factories.book(session)
    page = client.get(f"/reception/sessions/{session.id}")
    assert free_places(page) == "0"
    assert f'action="/reception/sessions/{session.id}/waitlist#error-summary"' in page.text
    assert "加入候补" in page.text and "保留 2 小时" in page.text
    for name in ("name", "id_number", "phone", "category", "summary", "party_size", "consent"):
        assert f'name="{name}"' in page.text
    # Joining a session with a free place is refused, on the page (no 500).
    other = factories.session(day=session.day + timedelta(days=1))
    refused = client.post(f"/reception/sessions/{other.id}/waitlist", data=factories.booking_form())
    assert refused.status_code == 422 and "本场还有名额，请直接预约" in refused.text


def test_field_errors_when_joining_are_shown_inline(client):
    session, _ = factories.full_session()
    page = client.post(f"/reception/sessions/{session.id}/waitlist",
                       data=factories.booking_form(id_number="123", consent=""))
    assert page.status_code == 422 and "error-summary" in page.text
    assert "加入候补" in page.text
    assert db.session.query(Booking).filter_by(status="waitlisted").count() == 0


def test_the_receipt_shows_the_place_in_the_list_and_cancelling_works(client):
    session, _ = factories.full_session()
    first, _ = join(client, session)
    second, form = join(client, session)
    page = client.get(f"/reception/bookings/{second}?new=1")
    assert "已加入候补" in page.text and "候补第 2 位" in page.text and "候补中" in page.text
    assert ".ics" not in page.text  # no time yet
    assert client.get(f"/reception/bookings/{second}.ics").status_code == 404
    cancelled = client.post(f"/reception/bookings/{second}/cancel",
                            data={"reason": "不等了", "phone": form["phone"]})
    assert cancelled.status_code == 303 and entry(second).status == "cancelled"
    assert entry(first).status == "waitlisted"
    receipt = client.get(cancelled.headers["Location"]).text
    assert "已退出候补名单" in receipt and "名额已释放" not in receipt  # no place was held


def test_the_offer_is_confirmed_with_the_phone_before_its_deadline(client, clock):
    session, booked = factories.full_session()
    code, form = join(client, session)
    services.cancel_booking(booked[2], "有事", calendar.now())
    db.session.commit()
    # Lookup finds the entry (a new browser: code and phone).
    client.post("/reception/forget")
    found = client.post("/reception/lookup", data={"code": code, "phone": form["phone"]})
    assert found.status_code == 303
    page = client.get(f"/reception/bookings/{code}")
    assert "候补名额待您确认" in page.text and "确认候补名额" in page.text
    assert "2026年11月18日 星期三 12:00" in page.text and "第 3 号" in page.text
    assert free_places(client.get(f"/reception/sessions/{session.id}")) == "0"
    # A wrong phone: refused, nothing changes, nothing told.
    wrong = client.post(f"/reception/bookings/{code}/accept", data={"phone": "13800000000"})
    assert wrong.status_code == 422 and "手机号码与预约时填写的不一致" in wrong.text
    assert entry(code).status == "offered"
    client.post("/reception/forget")
    stranger = client.post(f"/reception/bookings/{code}/accept", data={"phone": "13800000000"})
    assert stranger.status_code == 422 and form["name"] not in stranger.text
    assert "预约码或手机号码不正确" in stranger.text
    done = client.post(f"/reception/bookings/{code}/accept", data={"phone": form["phone"]})
    assert done.status_code == 303 and entry(code).status == "pending"
    assert "已确认候补名额" in client.get(done.headers["Location"]).text


def test_an_offer_past_its_deadline_cannot_be_confirmed(client, clock):
    session, booked = factories.full_session()
    code, form = join(client, session)
    services.cancel_booking(booked[0], "有事", calendar.now())
    db.session.commit()
    clock.set(FIXED_NOW + timedelta(hours=2, minutes=1))
    client.post("/reception/lookup", data={"code": code, "phone": form["phone"]})
    page = client.get(f"/reception/bookings/{code}")
    assert "保留时间已过" in page.text and 'action="/reception/bookings/' + code + '/accept' not in page.text
    late = client.post(f"/reception/bookings/{code}/accept", data={"phone": form["phone"]})
    assert late.status_code == 422 and "候补名额保留时间已过" in late.text
    assert entry(code).status == "offered"


def test_the_staff_session_page_lists_the_waiting_in_order(client, auth):
    session, _ = factories.full_session()
    first = factories.join(session, name="候补甲")
    second = factories.join(session, name="候补乙")
    auth.login()
    page = client.get(f"/staff/reception/sessions/{session.id}")
    assert page.status_code == 200
    listing = page.text.split('id="waiting-list"')[1]
    assert listing.index(first.code) < listing.index(second.code)
    assert "第 1 位" in listing and "第 2 位" in listing
    assert 'data-free-places="0"' in page.text
