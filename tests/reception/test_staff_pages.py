"""Reception staff pages: roles, forms, in-place htmx updates, audited acts."""
import re
from datetime import datetime

from sqlalchemy import func, select

from portal import audit
from portal.extensions import db
from portal.reception.models import Booking, ReceptionSession
from tests import factories

HX = {"HX-Request": "true"}
STAFF_PAGES = ["/staff/reception/", "/staff/reception/leaders", "/staff/reception/leaders/new",
               "/staff/reception/sessions/new", "/staff/reception/calls", "/staff/calendar"]


def last_action() -> str:
    return db.session.scalar(select(audit.AuditEntry.action).order_by(audit.AuditEntry.id.desc()))


def test_anonymous_visitors_are_sent_to_login(client):
    for url in STAFF_PAGES:
        response = client.get(url)
        assert response.status_code == 303 and "/staff/login" in response.headers["Location"]
    htmx = client.get("/staff/reception/", headers=HX)
    assert htmx.headers["HX-Redirect"].startswith("/staff/login")


def test_other_roles_are_refused(client, auth):
    for role in ("evaluation", "panel"):
        auth.login(role)
        for url in STAFF_PAGES:
            response = client.get(url)
            assert response.status_code == 403 and "无权访问" in response.text, (role, url)
        auth.logout()


def test_reception_staff_and_admin_see_every_page(client, auth):
    factories.session()
    for role in ("reception", "admin"):
        auth.login(role)
        for url in STAFF_PAGES + ["/staff/reception/sessions/1", "/staff/reception/sessions/1/edit",
                                  "/staff/reception/leaders/1", "/staff/reception/?show=past",
                                  "/staff/"]:
            assert client.get(url).status_code == 200, (role, url)
        auth.logout()


def test_leader_form(client, auth):
    auth.login()
    bad = client.post("/staff/reception/leaders/new", data={"name": "", "post": "副县长"})
    assert bad.status_code == 422 and "请填写姓名" in bad.text
    good = client.post("/staff/reception/leaders/new",
                       data={"name": "赵敏", "post": "副县长", "categories": ["教育", "民政"]})
    assert good.status_code == 303
    assert "教育、民政" in client.get("/staff/reception/leaders").text
    assert client.post("/staff/reception/leaders/1/deactivate").status_code == 303
    assert last_action() == "leader.deactivate"


def test_create_a_series_from_the_form(client, auth):
    leader = factories.leader()
    auth.login()
    form = {"leader_id": leader.id, "first_day": "2026-11-23", "start_time": "09:00",
            "end_time": "11:30", "place": "县人民来访接待中心", "mode": "fixed", "theme": "",
            "slot_minutes": "30", "weeks": "8", "publish": "y"}
    response = client.post("/staff/reception/sessions/new", data=form)
    assert response.status_code == 303
    assert db.session.scalar(select(func.count(ReceptionSession.id))) == 8
    bad = client.post("/staff/reception/sessions/new", data={**form, "end_time": "08:00",
                                                             "slot_minutes": "x"})
    assert bad.status_code == 422
    assert db.session.scalar(select(func.count(ReceptionSession.id))) == 8


def test_publish_and_cancel_a_session(client, auth):
    session = factories.session(publish=False)
    auth.login()
    assert client.post(f"/staff/reception/sessions/{session.id}/publish").status_code == 303
    assert last_action() == "session.publish"
    factories.book(session)
    no_reason = client.post(f"/staff/reception/sessions/{session.id}/cancel", data={"reason": ""})
    assert no_reason.status_code == 303
    assert db.session.get(ReceptionSession, session.id).status == "published"
    asked = client.post(f"/staff/reception/sessions/{session.id}/cancel", data={"reason": "公务"})
    assert asked.status_code == 200 and "1 条预约" in asked.text  # asks once (issue 15)
    assert db.session.get(ReceptionSession, session.id).status == "published"
    done = client.post(f"/staff/reception/sessions/{session.id}/cancel",
                       data={"reason": "公务", "confirm": "1"}, follow_redirects=True)
    assert "1 条预约已取消" in done.text
    calls = client.get("/staff/reception/calls")
    assert "接访活动取消：公务" in calls.text


def test_review_in_place_with_htmx(client, auth):
    session = factories.session()
    booking = factories.book(session)
    auth.login()
    page = client.get(f"/staff/reception/sessions/{session.id}")
    assert booking.masked_id in page.text and booking.name in page.text
    row = client.post(f"/staff/reception/bookings/{booking.id}/confirm", headers=HX)
    assert row.status_code == 200 and "<html" not in row.text
    assert f'id="booking-{booking.id}"' in row.text and "已确认" in row.text
    refused = client.post(f"/staff/reception/bookings/{booking.id}/decline", headers=HX,
                          data={"reason": ""})
    assert "请填写不通过的原因" in refused.text
    assert db.session.get(Booking, booking.id).status == "confirmed"
    declined = client.post(f"/staff/reception/bookings/{booking.id}/decline", headers=HX,
                           data={"reason": "所反映事项不属于本场接访范围"})
    assert "未通过" in declined.text
    # Without htmx the same action redirects back to the session page.
    plain = client.post(f"/staff/reception/bookings/{booking.id}/confirm")
    assert plain.status_code == 303


def test_citizen_sees_the_decline_reason(app, client, auth):
    session = factories.session()
    booking = factories.book(session, phone="13600001234")
    auth.login()
    client.post(f"/staff/reception/bookings/{booking.id}/decline", data={"reason": "请先向镇政府反映"})
    citizen = app.test_client()
    citizen.post("/reception/lookup", data={"code": booking.code, "phone": "13600001234"})
    receipt = citizen.get(f"/reception/bookings/{booking.code}")
    assert "未通过" in receipt.text and "请先向镇政府反映" in receipt.text


def test_check_in_on_the_day_and_close(client, auth, clock):
    session = factories.session()
    booking = factories.book(session)
    auth.login()
    early = client.post(f"/staff/reception/bookings/{booking.id}/check_in", headers=HX)
    assert "接访当天" in early.text
    clock.set(datetime(2026, 11, 23, 8, 45))
    assert "已签到" in client.post(f"/staff/reception/bookings/{booking.id}/check_in",
                                    headers=HX).text
    closed = client.post(f"/staff/reception/sessions/{session.id}/close", follow_redirects=True)
    assert "本场已结束" in closed.text


def test_reveal_the_full_id_number_is_a_post_and_audited(client, auth):
    number = factories.id_number(seq=123)
    booking = factories.book(factories.session(), id_number=number)
    auth.login()
    page = client.get(f"/staff/reception/sessions/{booking.session_id}")
    assert number not in page.text
    assert client.get(f"/staff/reception/bookings/{booking.id}/reveal").status_code == 405
    row = client.post(f"/staff/reception/bookings/{booking.id}/reveal", headers=HX)
    assert number in row.text and "<html" not in row.text
    assert last_action() == "booking.reveal_id"
    full = client.post(f"/staff/reception/bookings/{booking.id}/reveal")
    assert number in full.text and "<html" in full.text


def test_unknown_objects_are_404(client, auth):
    auth.login()
    for url in ("/staff/reception/sessions/999", "/staff/reception/leaders/999"):
        assert client.get(url).status_code == 404
    assert client.post("/staff/reception/bookings/999/confirm").status_code == 404
    assert client.post("/staff/reception/bookings/1/explode").status_code == 404


def test_staff_page_shows_phone_and_summary_decrypted(client, auth):
    booking = factories.book(factories.session(), phone="13511112222", summary="补偿款未足额发放的问题")
    auth.login()
    page = client.get(f"/staff/reception/sessions/{booking.session_id}")
    assert "13511112222" in page.text and "补偿款未足额发放的问题" in page.text
    assert re.search(r"\*{14}\w{4}", page.text)
