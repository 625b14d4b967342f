"""Issue 15, reception staff: a closed day is read-only (corrections are reasoned and audited),
cancelling asks once, sessions on a day that became a holiday are flagged, weekly series are
marked and cancelled as a whole, the live 剩余名额 follows in-place review, print hides controls."""
from __future__ import annotations

import json
from datetime import date, datetime, time

from sqlalchemy import select

from portal import audit, calendar
from portal.extensions import db
from portal.reception import management
from portal.reception.models import Booking, ReceptionSession
from tests import factories
from tests.helpers import ROOT

HX = {"HX-Request": "true"}
DAY = date(2026, 11, 23)


def entry(action: str) -> dict:
    row = db.session.scalar(select(audit.AuditEntry).where(audit.AuditEntry.action == action)
                            .order_by(audit.AuditEntry.id.desc()))
    assert row is not None, action
    return json.loads(row.detail)


def status(booking) -> str:
    db.session.expire_all()
    return db.session.get(Booking, booking.id).status


def closed_day(client, auth, clock):
    """A session on DAY, closed the day after: one checked in, one declined, one 爽约."""
    session = factories.session()
    came, declined, absent = (factories.book(session) for _ in range(3))
    auth.login()
    for booking, action in ((came, "confirm"), (absent, "confirm")):
        client.post(f"/staff/reception/bookings/{booking.id}/{action}")
    client.post(f"/staff/reception/bookings/{declined.id}/decline", data={"reason": "不属于本场"})
    clock.set(datetime(2026, 11, 23, 9, 0))
    client.post(f"/staff/reception/bookings/{came.id}/check_in")
    clock.set(datetime(2026, 11, 24, 1, 0))
    assert management.close_past_sessions(date(2026, 11, 24)) == 1
    db.session.commit()
    return session, came, declined, absent


# --- 1. a closed day is read-only -----------------------------------------------------------------

def test_a_closed_day_refuses_changes(client, auth, clock):
    session, came, declined, absent = closed_day(client, auth, clock)
    assert (status(came), status(declined), status(absent)) == ("checked_in", "declined", "no_show")
    for booking, action in ((came, "no_show"), (absent, "check_in"), (declined, "confirm")):
        row = client.post(f"/staff/reception/bookings/{booking.id}/{action}", headers=HX)
        assert "本场已结束" in row.text and "接访当天" not in row.text, action
    assert (status(came), status(declined), status(absent)) == ("checked_in", "declined", "no_show")
    cancel = client.post(f"/staff/reception/sessions/{session.id}/cancel",
                         data={"reason": "x", "confirm": "1"}, follow_redirects=True)
    assert "本场已结束" in cancel.text
    assert db.session.get(ReceptionSession, session.id).status == "published"
    edit = client.post(f"/staff/reception/sessions/{session.id}/edit", data={
        "leader_id": session.leader_id, "first_day": "2026-11-30", "start_time": "09:00",
        "end_time": "10:00", "place": "别处", "mode": "fixed", "slot_minutes": "20"})
    assert edit.status_code == 422 and "本场已结束" in edit.text


def test_the_closed_page_offers_the_correction_instead(client, auth, clock):
    session, came, _declined, absent = closed_day(client, auth, clock)
    page = client.get(f"/staff/reception/sessions/{session.id}").text
    assert f"/sessions/{session.id}/edit" not in page and "取消本场" not in page
    for action in ("check_in", "no_show", "confirm", "decline"):
        assert f"/bookings/{came.id}/{action}\"" not in page
        assert f"/bookings/{absent.id}/{action}\"" not in page
    assert f"/bookings/{came.id}/correct_absent" in page
    assert f"/bookings/{absent.id}/correct_attended" in page
    assert "记录只读" in page


def test_a_correction_needs_a_reason_and_is_audited(client, auth, clock):
    _session, _came, _declined, absent = closed_day(client, auth, clock)
    url = f"/staff/reception/bookings/{absent.id}/correct_attended"
    assert "请填写更正原因" in client.post(url, headers=HX, data={"reason": ""}).text
    assert status(absent) == "no_show"
    row = client.post(url, headers=HX, data={"reason": "来访人当天到场，签到漏记"})
    assert "已签到" in row.text and status(absent) == "checked_in"
    assert entry("booking.correct_attended")["reason"] == "来访人当天到场，签到漏记"


def test_no_correction_before_the_day_is_closed(client, auth, clock):
    booking = factories.book(factories.session())
    auth.login()
    client.post(f"/staff/reception/bookings/{booking.id}/confirm")
    clock.set(datetime(2026, 11, 23, 9, 0))
    client.post(f"/staff/reception/bookings/{booking.id}/check_in")
    row = client.post(f"/staff/reception/bookings/{booking.id}/correct_absent", headers=HX,
                      data={"reason": "误点"})
    assert "本场结束后才能更正" in row.text and status(booking) == "checked_in"


# --- 5. cancelling a session with bookings asks once ------------------------------------------------

def test_cancelling_a_session_with_bookings_asks_once(client, auth):
    session = factories.session()
    factories.book(session, name="李四", phone="13700001111")
    auth.login()
    url = f"/staff/reception/sessions/{session.id}/cancel"
    asked = client.post(url, data={"reason": "领导公务"})
    assert asked.status_code == 200
    assert "1 条预约" in asked.text and "李四" in asked.text and "13700001111" in asked.text
    assert 'name="confirm" value="1"' in asked.text and "领导公务" in asked.text
    assert db.session.get(ReceptionSession, session.id).status == "published"
    done = client.post(url, data={"reason": "领导公务", "confirm": "1"})
    assert done.status_code == 303
    assert db.session.get(ReceptionSession, session.id).status == "cancelled"


def test_a_session_without_bookings_is_cancelled_at_once(client, auth):
    session = factories.session()
    auth.login()
    done = client.post(f"/staff/reception/sessions/{session.id}/cancel", data={"reason": "公务"})
    assert done.status_code == 303
    assert db.session.get(ReceptionSession, session.id).status == "cancelled"



def test_a_reason_of_the_full_200_characters_still_fits_the_cancelled_bookings(client, auth):
    """Found by tests/fuzz: the bookings' reason is "接访活动取消：" + the reason, 207 characters
    in a String(200) (PostgreSQL: a 500; SQLite: stored over-long)."""
    session = factories.session()
    booked = factories.book(session)
    auth.login()
    done = client.post(f"/staff/reception/sessions/{session.id}/cancel",
                       data={"reason": "因" * 200, "confirm": "1"})
    assert done.status_code == 303
    reason = db.session.get(Booking, booked.id).status_reason
    assert reason.startswith("接访活动取消：因") and len(reason) == 200


# --- 3. a day that became a holiday ------------------------------------------------------------------

def test_a_session_on_a_day_made_a_holiday_is_flagged(client, auth):
    new_year = factories.session(day=date(2027, 1, 1))  # unknown to chinesecalendar: a Friday
    db.session.add(calendar.CalendarOverride(day=date(2027, 1, 1), is_working=False, note="元旦"))
    db.session.commit()
    auth.login()
    dashboard = client.get("/staff/reception/").text
    assert "该日现为非工作日" in dashboard and management.HOLIDAY_REASON in dashboard
    assert f"/sessions/{new_year.id}/edit" in dashboard  # no bookings: it can be moved
    page = client.get(f"/staff/reception/sessions/{new_year.id}").text
    assert "该日现为非工作日" in page and management.HOLIDAY_REASON in page
    done = client.post(f"/staff/reception/sessions/{new_year.id}/cancel",
                       data={"reason": management.HOLIDAY_REASON})
    assert done.status_code == 303
    assert db.session.get(ReceptionSession, new_year.id).status == "cancelled"
    assert "该日现为非工作日" not in client.get("/staff/reception/").text


def test_the_series_hint_promises_nothing_it_cannot_know(client, auth):
    auth.login()
    form = client.get("/staff/reception/sessions/new").text
    assert "自动跳过" not in form and "遇非工作日跳过" not in form
    assert "之后才公布或录入的节假日不会自动处理" in form


# --- 4. series -------------------------------------------------------------------------------------

def make_series(weeks: int = 3) -> list[ReceptionSession]:
    made, _ = management.create_sessions(management.SessionPlan(
        leader_id=factories.leader().id, first_day=date(2026, 11, 18), start_time=time(14, 0),
        end_time=time(15, 0), place="县人民来访接待中心", weeks=weeks, publish=True),
        factories.STAFF, calendar.now())
    db.session.commit()
    return made


def test_series_sessions_are_marked(client, auth):
    today, *_ = made = make_series()
    single = factories.session()
    auth.login()
    dashboard = client.get("/staff/reception/").text
    assert dashboard.count(f"/staff/reception/series/{today.series_id}") == 3
    page = client.get(f"/staff/reception/sessions/{made[1].id}").text
    assert "每周系列" in page and "共 3 场" in page
    assert "每周系列" not in client.get(f"/staff/reception/sessions/{single.id}").text
    assert client.get("/staff/reception/series/nonesuch").status_code == 404


def test_cancel_a_series_as_a_whole(client, auth):
    today, later, last = make_series()
    booking = factories.book(later, name="王五")
    auth.login()
    url = f"/staff/reception/series/{today.series_id}/cancel"
    asked = client.post(url, data={"reason": "领导调整分工"})
    assert asked.status_code == 200 and "王五" in asked.text and "今后的 2 场" in asked.text
    assert db.session.get(ReceptionSession, later.id).status == "published"
    done = client.post(url, data={"reason": "领导调整分工", "confirm": "1"}, follow_redirects=True)
    assert "已取消本系列今后的 2 场接访；1 条预约已取消" in done.text
    db.session.expire_all()
    statuses = [db.session.get(ReceptionSession, s.id).status for s in (today, later, last)]
    assert statuses == ["published", "cancelled", "cancelled"]  # today's session is left alone
    assert status(booking) == "cancelled"
    assert "接访活动取消：领导调整分工" in client.get("/staff/reception/calls").text
    assert entry("series.cancel") == {"reason": "领导调整分工", "sessions": 2,
                                      "bookings_cancelled": 1}
    again = client.post(url, data={"reason": "再次", "confirm": "1"}, follow_redirects=True)
    assert "没有今后可取消的场次" in again.text


# --- 7. the live 剩余名额 ------------------------------------------------------------------------------

def test_free_places_refresh_after_in_place_review(client, auth):
    session = factories.session()
    booking = factories.book(session)
    auth.login()
    page = client.get(f"/staff/reception/sessions/{session.id}").text
    assert 'hx-trigger="places-changed from:body"' in page and 'data-free-places="2"' in page
    declined = client.post(f"/staff/reception/bookings/{booking.id}/decline", headers=HX,
                           data={"reason": "不属于本场"})
    assert declined.headers["HX-Trigger"] == "places-changed"
    count = client.get(f"/staff/reception/sessions/{session.id}/free", headers=HX)
    assert 'data-free-places="3"' in count.text and "<html" not in count.text
    confirmed = client.post(f"/staff/reception/bookings/{booking.id}/confirm", headers=HX)
    assert confirmed.headers["HX-Trigger"] == "places-changed"
    count = client.get(f"/staff/reception/sessions/{session.id}/free", headers=HX)
    assert 'data-free-places="2"' in count.text
    plain = client.get(f"/staff/reception/sessions/{session.id}/free")
    assert plain.status_code == 303  # without htmx: the page itself


# --- 10. print -------------------------------------------------------------------------------------

def test_printing_the_staff_session_page_hides_controls(client, auth):
    session = factories.session()
    auth.login()
    assert 'class="staff-session"' in client.get(f"/staff/reception/sessions/{session.id}").text
    css = (ROOT / "static" / "css" / "portal.css").read_text(encoding="utf-8")
    section = css[css.index("/* --- issue 15: reception staff --- */"):]
    printed = section[section.index("@media print"):]
    for selector in (".staff-session form", ".staff-session button", ".staff-session .button",
                     ".staff-session .crumbs", ".staff-session .row-actions"):
        assert selector in printed


def test_edit_a_series_as_a_whole(client, auth):
    today, later, last = make_series()
    factories.book(later)
    auth.login()
    url = f"/staff/reception/series/{today.series_id}/edit"
    form = client.get(url)
    assert form.status_code == 200 and "14:00" in form.text
    bad = client.post(url, data={"start_time": "10:00", "end_time": "09:00", "slot_minutes": "20",
                                 "place": "新址", "mode": "fixed"})
    assert bad.status_code == 422 and "结束时间应晚于开始时间" in bad.text
    done = client.post(url, data={"start_time": "09:00", "end_time": "10:00", "slot_minutes": "30",
                                  "place": "镇便民服务中心", "mode": "fixed", "theme": ""},
                       follow_redirects=True)
    assert "已修改本系列今后的 1 场接访" in done.text and "已有预约" in done.text
    db.session.expire_all()
    rows = [db.session.get(ReceptionSession, s.id) for s in (today, later, last)]
    assert [r.place for r in rows] == ["县人民来访接待中心", "县人民来访接待中心", "镇便民服务中心"]
    assert rows[2].start_time == time(9, 0) and rows[2].slot_minutes == 30
    assert entry("series.update")["sessions"] == 1
