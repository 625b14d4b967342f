"""The reception desk on the day (issue 8): walk-ins through the booking service, walk-in places,
check-in by typed code and by the receipt's QR address, the duty leader."""
import json
from datetime import date, datetime, time

import pytest
from sqlalchemy import func, select

from portal import audit, calendar, create_app, privacy
from portal.errors import DomainError
from portal.evaluation.models import Matter
from portal.extensions import db
from portal.reception import desk, management, queries
from portal.reception.models import Booking, Place, ReceptionSession
from tests import factories
from tests.conftest import base_config

TODAY = date(2026, 11, 18)  # FIXED_NOW's day, a Wednesday
HX = {"HX-Request": "true"}
NUMBER = factories.id_number(seq=700)


def today_session(walk_ins=2, **kw):
    return factories.session(day=TODAY, start=time(14, 0), end=time(15, 0), walk_ins=walk_ins,
                             **kw)


def bookings() -> int:
    return db.session.scalar(select(func.count(Booking.id)))


def actions() -> list[str]:
    return list(db.session.scalars(select(audit.AuditEntry.action).order_by(audit.AuditEntry.id)))


def walk_in_form(**overrides) -> dict:
    data = factories.booking_form(**{"id_checked": "y", **overrides})
    data.pop("consent")
    return data


def refused(session, **overrides) -> DomainError:
    with pytest.raises(DomainError) as caught:
        factories.walk_in(session, **overrides)
    db.session.rollback()
    return caught.value


def book_earlier(session, clock, **overrides) -> Booking:
    """A booking made online while the window was open (Monday before the session)."""
    saved = clock.current
    clock.set(datetime(2026, 11, 16, 10, 0))
    made = factories.book(session, **overrides)
    clock.set(saved)
    return made


# --- walk-in places ---------------------------------------------------------------------------------

def test_walk_in_places_follow_the_bookable_ones_and_are_never_offered_online(app, client):
    session = factories.session(walk_ins=2)  # Monday: 3 bookable places + 2 walk-in ones
    places = db.session.scalars(select(Place).where(Place.session_id == session.id)
                                .order_by(Place.number)).all()
    assert [(p.number, p.walk_in) for p in places] == [(1, False), (2, False), (3, False),
                                                       (4, True), (5, True)]
    assert {p.start_time for p in places if p.walk_in} == {session.end_time}
    assert queries.free_places([session.id]) == {session.id: 3}
    assert queries.total_places([session.id]) == {session.id: 3}
    assert queries.free_places([session.id], walk_in=True) == {session.id: 2}
    page = client.get(f"/reception/sessions/{session.id}").text
    assert 'data-free-places="3"' in page and "/ 3" in page
    taken = [factories.book(session).place_id for _ in range(3)]
    assert set(taken) == {p.id for p in places if not p.walk_in}
    with pytest.raises(DomainError, match="本场接访名额已满"):
        factories.book(session)
    db.session.rollback()
    assert 'data-free-places="0"' in client.get(f"/reception/sessions/{session.id}").text
    assert queries.free_places([session.id], walk_in=True) == {session.id: 2}


def test_set_walk_in_places_adds_and_removes_free_ones_within_bounds(app, clock):
    session = today_session(walk_ins=2)
    first = factories.walk_in(session)  # taken places: the number still changes on the day
    assert desk.set_walk_in_places(session, 4, factories.STAFF, clock.current) == 4
    db.session.commit()
    assert queries.place_counts(session.id)["walk_in_total"] == 4
    numbers = db.session.scalars(select(Place.number).where(
        Place.session_id == session.id, Place.walk_in.is_(True)).order_by(Place.number)).all()
    assert numbers == [4, 5, 6, 7]
    desk.set_walk_in_places(session, 1, factories.STAFF, clock.current)
    db.session.commit()
    kept = db.session.scalars(select(Place.id).where(Place.session_id == session.id,
                                                     Place.walk_in.is_(True))).all()
    assert kept == [first.place_id] and session.walk_in_places == 1
    with pytest.raises(DomainError, match="名额不能少于 1 个"):
        desk.set_walk_in_places(session, 0, factories.STAFF, clock.current)
    db.session.rollback()
    for bad in (31, -1, None):
        with pytest.raises(DomainError, match="0–30"):
            desk.set_walk_in_places(session, bad, factories.STAFF, clock.current)
        db.session.rollback()
    assert actions().count("session.walk_in_places") == 2


def test_set_walk_in_places_refused_on_a_cancelled_or_closed_session(app, clock):
    cancelled, closed = today_session(), today_session()
    management.cancel_session(cancelled, "会议冲突", factories.STAFF, clock.current)
    management.close_session(closed, factories.STAFF, clock.current)
    db.session.commit()
    for session, message in ((cancelled, "已取消"), (closed, "已结束")):
        with pytest.raises(DomainError, match=message):
            desk.set_walk_in_places(session, 5, factories.STAFF, clock.current)
        db.session.rollback()


def test_walk_in_places_form_on_the_session_page(client, auth):
    session = today_session(walk_ins=1)
    auth.login()
    page = client.get(f"/staff/reception/sessions/{session.id}").text
    assert "现场登记名额" in page and 'data-walk-in-free="1"' in page
    url = f"/staff/reception/sessions/{session.id}/walk-in-places"
    done = client.post(url, data={"places": "3"})
    assert done.status_code == 303 and done.headers["Location"].endswith(f"/sessions/{session.id}")
    assert db.session.get(ReceptionSession, session.id).walk_in_places == 3
    bad = client.post(url, data={"places": "99"}, follow_redirects=True)
    assert "现场登记名额为 0–30 个" in bad.text
    assert db.session.get(ReceptionSession, session.id).walk_in_places == 3


# --- walk-ins: the booking service's rules, one by one ---------------------------------------------

def test_a_walk_in_gets_a_walk_in_place_and_is_checked_in_audited(app):
    session = today_session()
    made = factories.walk_in(session, name="李四")
    assert made.status == "checked_in"
    assert db.session.get(Place, made.place_id).walk_in
    assert actions()[-2:] == ["booking.walk_in", "booking.check_in"]
    assert "booking.create" not in actions()


def test_walk_in_field_errors_are_422_on_the_fields_and_nothing_is_written(client, auth):
    session = today_session()
    auth.login()
    url = f"/staff/reception/sessions/{session.id}/walk-ins/new"
    form = client.get(url).text
    assert "已核验身份证件" in form and "个人信息处理告知书" not in form
    response = client.post(url, data=walk_in_form(id_number="123", phone="12", summary="短",
                                                  id_checked=""))
    assert response.status_code == 422
    for message in ("身份证号", "手机号码", "请简要说明反映的事项", "请核验来访人的身份证件"):
        assert message in response.text
    wrong_category = client.post(url, data=walk_in_form(category="教育"))
    assert wrong_category.status_code == 422 and "分管" in wrong_category.text
    assert bookings() == 0


def test_walk_in_through_the_form_returns_to_next(client, auth):
    session = today_session()
    auth.login()
    url = f"/staff/reception/sessions/{session.id}/walk-ins/new"
    back = f"/staff/reception/sessions/{session.id}"
    done = client.post(url, data={**walk_in_form(), "next": back})
    assert done.status_code == 303 and done.headers["Location"] == back
    made = db.session.scalar(select(Booking))
    assert made.status == "checked_in"
    evil = client.post(url, data={**walk_in_form(), "next": "//evil.example/"})
    assert evil.headers["Location"].startswith("/staff/reception/checkin/")


def test_walk_ins_only_on_the_day_of_a_published_open_session(app, clock):
    assert "只能在接访当天现场登记" in refused(factories.session(walk_ins=2)).message
    draft = today_session(publish=False)
    assert "尚未发布" in refused(draft).message
    cancelled = today_session()
    management.cancel_session(cancelled, "会议冲突", factories.STAFF, clock.current)
    db.session.commit()
    assert "已取消" in refused(cancelled).message
    closed = today_session()
    management.close_session(closed, factories.STAFF, clock.current)
    db.session.commit()
    error = refused(closed)
    assert "本场已结束" in error.message and error.status == 409
    assert bookings() == 0


def test_one_person_one_booking_applies_to_walk_ins(app, clock):
    number = factories.id_number(seq=41)
    factories.book(factories.session(), id_number=number)  # an upcoming booking elsewhere
    error = refused(today_session(), id_number=number)
    assert "一人一号" in error.reasons["id_number"] and error.status == 409
    assert bookings() == 1


def test_someone_holding_a_place_in_this_session_is_sent_to_check_in(app, clock):
    session = today_session()
    number = factories.id_number(seq=42)
    held = book_earlier(session, clock, id_number=number)
    error = refused(session, id_number=number)
    assert error.reasons["id_number"] == f"该来访人已预约本场（预约码 {held.code}），请直接签到"
    assert bookings() == 1


def test_a_matter_evaluated_satisfied_is_refused_at_the_desk_too(app):
    db.session.add(Matter(
        number="XF-2026-0701", number_key="XF-2026-0701", title="测试事项", category="征地拆迁",
        unit="青石镇人民政府", level="township", summary="测试事项概要。", petitioner_name="吴秋菊",
        petitioner_id_cipher=privacy.encrypt(NUMBER), petitioner_id_hash=privacy.lookup_hash(NUMBER),
        petitioner_id_last4="1234", petitioner_phone_cipher=privacy.encrypt("13912345678"),
        petitioner_address_cipher=privacy.encrypt("青石镇"), opinion_cipher=privacy.encrypt("意见"),
        opinion_date=date(2026, 9, 1), status="satisfied", result="satisfied",
        result_published_on=date(2026, 10, 9), created_at=calendar.now(),
        updated_at=calendar.now()))
    db.session.commit()
    error = refused(today_session(), related_matter_no="XF-2026-0701")
    assert "满意" in error.reasons["related_matter_no"]
    assert bookings() == 0


def test_walk_in_capacity_is_the_declared_number(app):
    session = today_session(walk_ins=2)
    factories.walk_in(session)
    factories.walk_in(session)
    assert refused(session).message == "本场现场登记名额已满（2 个）"
    assert "0 个" in refused(today_session(walk_ins=0)).message
    assert queries.free_places([session.id]) == {session.id: 3}  # the bookable ones untouched


def test_the_no_show_suspension_does_not_stop_a_walk_in(app, clock):
    number = factories.id_number(seq=43)
    for day in (date(2026, 10, 12), date(2026, 10, 19), date(2026, 10, 26)):
        factories.recorded_no_show(clock, number, day)
    with pytest.raises(DomainError, match="暂停预约"):
        factories.book(factories.session(), id_number=number)
    db.session.rollback()
    made = factories.walk_in(today_session(), id_number=number)
    assert made.status == "checked_in"


# --- check-in by code -------------------------------------------------------------------------------

def test_check_in_by_typed_code(client, auth, clock):
    session = today_session()
    made = book_earlier(session, clock, name="王五")
    auth.login()
    back = f"/staff/reception/sessions/{session.id}"
    done = client.post("/staff/reception/checkin",
                       data={"code": made.code, "session_id": session.id, "next": back})
    assert done.status_code == 303 and done.headers["Location"] == back
    assert f"预约码 {made.code}（王五）已签到" in client.get(back).text
    assert db.session.get(Booking, made.id).status == "checked_in"
    assert actions()[-1] == "booking.check_in"
    # The double submit: a clear answer, nothing changes.
    count = len(actions())
    again = client.post("/staff/reception/checkin", data={"code": made.code}, headers=HX)
    assert again.status_code == 409 and "已签到，无需重复签到" in again.text
    assert len(actions()) == count


def test_typed_codes_are_forgiven(client, auth, clock):
    made = book_earlier(today_session(), clock)
    auth.login()
    spelt = " ".join(made.code.lower()[:4]) + "　" + "".join(
        chr(ord(c) + 0xFEE0) for c in made.code[4:])  # spaces, lower case, full width
    done = client.post("/staff/reception/checkin", data={"code": spelt})
    assert done.status_code == 303
    assert done.headers["Location"].endswith(f"/staff/reception/checkin/{made.code}")
    assert db.session.get(Booking, made.id).status == "checked_in"


def test_unknown_and_empty_codes(client, auth):
    auth.login()
    unknown = client.post("/staff/reception/checkin", data={"code": "ZZZZ2345"}, headers=HX)
    assert unknown.status_code == 404 and "未找到该预约码" in unknown.text
    flashed = client.post("/staff/reception/checkin", data={"code": "ZZZZ2345"},
                          follow_redirects=True)
    assert "未找到该预约码" in flashed.text
    empty = client.post("/staff/reception/checkin", data={"code": ""}, headers=HX)
    assert empty.status_code == 422 and "请填写预约码" in empty.text


def test_a_code_of_another_day_or_session_is_refused_saying_which(client, auth, clock):
    monday = factories.book(factories.session())
    here, other = today_session(), today_session()
    elsewhere = book_earlier(other, clock)
    auth.login()
    day = client.post("/staff/reception/checkin", data={"code": monday.code}, headers=HX)
    assert day.status_code == 409
    assert "2026年11月23日 星期一 09:00 刘海涛接访" in day.text and "不是今天的" in day.text
    session = client.post("/staff/reception/checkin",
                          data={"code": elsewhere.code, "session_id": here.id}, headers=HX)
    assert session.status_code == 409 and "不是本场的" in session.text
    assert {b.status for b in db.session.scalars(select(Booking))} == {"pending"}


def test_desk_page_shows_the_booking_and_its_actions(client, auth, clock):
    made = book_earlier(today_session(), clock, name="赵六")
    auth.login()
    page = client.get(f"/staff/reception/checkin/{made.code.lower()}")
    assert page.status_code == 200
    text = page.text
    assert "赵六" in text and made.masked_id in text and "第 1 号" in text and "待审核" in text
    assert text.index(">签到</button>") < text.index(">确认</button>")  # 签到 first
    assert client.get("/staff/reception/checkin/ZZZZ2345").status_code == 404
    revealed = client.post(f"/staff/reception/checkin/{made.code}/reveal")
    assert revealed.status_code == 200 and actions()[-1] == "booking.reveal_id"
    done = client.post(f"/staff/reception/checkin/{made.code}/check_in")
    assert done.status_code == 303 and db.session.get(Booking, made.id).status == "checked_in"


def test_the_receipt_qr_address_opens_the_desk_page_for_desk_staff(client, auth, clock):
    made = book_earlier(today_session(), clock)
    for url in (f"/reception/bookings/{made.code}", f"/reception/lookup?code={made.code}"):
        anonymous = client.get(url)
        assert anonymous.status_code == 200 and "手机号码" in anonymous.text
    for role in ("reception", "admin"):
        auth.login(role)
        for url in (f"/reception/bookings/{made.code.lower()}",
                    f"/reception/lookup?code={made.code}"):
            response = client.get(url)
            assert response.status_code == 303, (role, url)
            assert response.headers["Location"] == f"/staff/reception/checkin/{made.code}"
        auth.logout()
    auth.login("evaluation")
    assert client.get(f"/reception/bookings/{made.code}").status_code == 200


def test_other_roles_are_refused_at_the_desk(client, auth, clock):
    made = book_earlier(today_session(), clock)
    auth.login("evaluation")
    assert client.post("/staff/reception/checkin", data={"code": made.code}).status_code == 403
    assert client.get(f"/staff/reception/checkin/{made.code}").status_code == 403
    session_id = made.session_id
    assert client.post(f"/staff/reception/sessions/{session_id}/walk-ins/new",
                       data=walk_in_form()).status_code == 403
    assert client.post(f"/staff/reception/sessions/{session_id}/walk-in-places",
                       data={"places": "9"}).status_code == 403
    assert db.session.get(Booking, made.id).status == "pending" and bookings() == 1


def test_desk_posts_without_csrf_are_400_and_change_nothing(tmp_path, database_url, clock):
    app = create_app({**base_config(tmp_path, database_url), "WTF_CSRF_ENABLED": True})
    with app.app_context():
        made = book_earlier(today_session(), clock)
        session_id, other = made.session_id, factories.leader("周建国")
        client = app.test_client()
        login = client.get("/staff/login").text
        token = login.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
        assert client.post("/staff/login", data={"username": desk_user(), "csrf_token": token,
                                                 "password": "correct-horse-battery"}).status_code == 303
        for url, data in (("/staff/reception/checkin", {"code": made.code}),
                          (f"/staff/reception/sessions/{session_id}/walk-ins/new", walk_in_form()),
                          (f"/staff/reception/sessions/{session_id}/walk-in-places",
                           {"places": "9"}),
                          (f"/staff/reception/sessions/{session_id}/duty-leader",
                           {"duty_leader_id": other.id})):
            assert client.post(url, data=data).status_code == 400, url
        assert db.session.get(Booking, made.id).status == "pending" and bookings() == 1
        assert db.session.get(ReceptionSession, session_id).walk_in_places == 2
        assert db.session.get(ReceptionSession, session_id).duty_leader_id != other.id
        assert "session.duty_leader" not in actions()
        db.session.remove()
        db.engine.dispose()


def desk_user() -> str:
    from portal.accounts.services import create_user

    create_user("desk", "reception", "correct-horse-battery", "前台")
    db.session.commit()
    return "desk"


# --- the duty leader ----------------------------------------------------------------------------------

def test_duty_leader_is_saved_and_shown(client, auth):
    receiving, duty = factories.leader(), factories.leader("周建国")
    auth.login()
    form = client.get("/staff/reception/sessions/new").text
    assert "值班领导" in form and "同接访领导" in form and 'value="5"' in form
    data = {"leader_id": receiving.id, "duty_leader_id": duty.id, "first_day": "2026-11-23",
            "start_time": "09:00", "end_time": "10:00", "place": "县人民来访接待中心",
            "mode": "fixed", "slot_minutes": "20", "weeks": "1", "walk_in_places": "4"}
    assert client.post("/staff/reception/sessions/new", data=data).status_code == 303
    made = db.session.scalar(select(ReceptionSession))
    assert (made.duty_leader_id, made.walk_in_places) == (duty.id, 4)
    assert "周建国" in client.get(f"/staff/reception/sessions/{made.id}").text
    default = client.post("/staff/reception/sessions/new",
                          data={**data, "duty_leader_id": "0", "first_day": "2026-11-30"})
    assert default.status_code == 303
    second = db.session.scalar(select(ReceptionSession).where(ReceptionSession.id != made.id))
    assert second.duty_leader_id == receiving.id
    management.set_leader_active(duty, False, factories.STAFF)
    db.session.commit()
    retired = client.post("/staff/reception/sessions/new",
                          data={**data, "first_day": "2026-12-07"})
    assert retired.status_code == 422 and "请选择在任的值班领导" in retired.text
    edit = client.post(f"/staff/reception/sessions/{second.id}/edit",
                       data={**data, "duty_leader_id": receiving.id, "walk_in_places": "31",
                             "first_day": "2026-11-30"})
    assert edit.status_code == 422 and "现场登记名额为 0–30 个" in edit.text


# --- changing the duty leader at any time (desk.set_duty_leader) ------------------------------------

def duty_url(session) -> str:
    return f"/staff/reception/sessions/{session.id}/duty-leader"


def duty_entries() -> list[dict]:
    return [json.loads(e.detail) for e in db.session.scalars(
        select(audit.AuditEntry).where(audit.AuditEntry.action == "session.duty_leader")
        .order_by(audit.AuditEntry.id))]


def test_the_duty_leader_changes_after_bookings_audited_with_before_and_after(client, auth, clock):
    session = today_session()
    book_earlier(session, clock)
    other = factories.leader("周建国")
    edit = management.SessionPlan(leader_id=session.leader_id, first_day=TODAY,
                                  start_time=time(14, 0), end_time=time(15, 0), place="县人民来访接待中心",
                                  walk_in_places=2, duty_leader_id=other.id)
    with pytest.raises(DomainError, match="本场已有预约"):  # why this form exists
        management.update_session(session, edit, factories.STAFF, clock.current)
    db.session.rollback()
    auth.login()
    page = client.get(f"/staff/reception/sessions/{session.id}").text
    assert "更换值班领导" in page and f'<option selected value="{session.leader_id}">' in page
    assert f'<option value="{other.id}">周建国（副县长）</option>' in page
    done = client.post(duty_url(session), data={"duty_leader_id": other.id})
    assert done.status_code == 303
    assert done.headers["Location"] == f"/staff/reception/sessions/{session.id}"
    page = client.get(done.headers["Location"]).text
    assert "值班领导已改为 周建国" in page and f'<option selected value="{other.id}">' in page
    assert db.session.get(ReceptionSession, session.id).duty_leader_id == other.id
    assert duty_entries() == [{"before": "刘海涛", "after": "周建国"}]
    assert bookings() == 1


def test_choosing_the_same_duty_leader_records_nothing(client, auth):
    session = today_session()
    auth.login()
    done = client.post(duty_url(session), data={"duty_leader_id": session.duty_leader_id},
                       follow_redirects=True)
    assert "值班领导仍为 刘海涛，未作更改" in done.text
    assert duty_entries() == []


def test_an_unknown_or_inactive_duty_leader_is_refused_and_nothing_changes(client, auth, clock):
    session = today_session()
    before = session.duty_leader_id
    retired = factories.leader("周建国")
    management.set_leader_active(retired, False, factories.STAFF)
    db.session.commit()
    for leader_id in (retired.id, 9999, 0, None):
        with pytest.raises(DomainError) as caught:
            desk.set_duty_leader(session, leader_id, factories.STAFF, clock.current)
        db.session.rollback()
        assert caught.value.status == 422
        assert caught.value.reasons == {"duty_leader_id": "请选择在任的值班领导"}
    auth.login()
    assert "周建国" not in client.get(f"/staff/reception/sessions/{session.id}").text
    for value in (retired.id, 9999, "abc", 2**40, ""):
        answer = client.post(duty_url(session), data={"duty_leader_id": value})
        assert answer.status_code == 303, value
        flashed = client.get(answer.headers["Location"]).text
        assert '<div class="flash flash-error" role="alert">请选择在任的值班领导</div>' in flashed
    assert db.session.get(ReceptionSession, session.id).duty_leader_id == before
    assert duty_entries() == []


def test_the_duty_leader_of_a_cancelled_or_closed_session_stays(client, auth, clock):
    cancelled, closed = today_session(), today_session()
    other = factories.leader("周建国")
    management.cancel_session(cancelled, "会议冲突", factories.STAFF, clock.current)
    management.close_session(closed, factories.STAFF, clock.current)
    db.session.commit()
    for session, message in ((cancelled, "已取消"), (closed, "已结束")):
        with pytest.raises(DomainError, match=message) as caught:
            desk.set_duty_leader(session, other.id, factories.STAFF, clock.current)
        db.session.rollback()
        assert caught.value.status == 409
    auth.login()
    for session, message in ((cancelled, "已取消的场次不能修改"), (closed, "本场已结束，不能修改")):
        assert "更换值班领导" not in client.get(f"/staff/reception/sessions/{session.id}").text
        assert "更换值班领导" not in client.get(f"/staff/reception/sessions/{session.id}/day").text
        answer = client.post(duty_url(session), data={"duty_leader_id": other.id},
                             follow_redirects=True)
        assert message in answer.text
        assert db.session.get(ReceptionSession, session.id).duty_leader_id != other.id
    assert duty_entries() == []


def test_only_reception_staff_change_the_duty_leader(client, auth):
    session, other = today_session(), factories.leader("周建国")
    auth.login("evaluation")
    assert client.post(duty_url(session), data={"duty_leader_id": other.id}).status_code == 403
    assert db.session.get(ReceptionSession, session.id).duty_leader_id != other.id
    assert client.post("/staff/reception/sessions/9999/duty-leader",
                       data={"duty_leader_id": other.id}).status_code == 403
    auth.logout()
    auth.login()
    assert client.post("/staff/reception/sessions/9999/duty-leader",
                       data={"duty_leader_id": other.id}).status_code == 404


def test_the_day_view_changes_the_duty_leader_and_returns_there(client, auth):
    session, other = today_session(), factories.leader("周建国")
    day = f"/staff/reception/sessions/{session.id}/day"
    auth.login()
    page = client.get(day).text
    form = page[page.index('class="inline day-duty-leader"'):]
    form = form[:form.index("</form>")]
    assert f'action="{duty_url(session)}"' in page and f'name="next" value="{day}"' in form
    assert f'<option selected value="{session.leader_id}">' in form
    done = client.post(duty_url(session), data={"duty_leader_id": other.id, "next": day})
    assert done.status_code == 303 and done.headers["Location"] == day
    back = client.get(day).text
    assert "值班领导已改为 周建国" in back and "周建国（副县长）" in back
    evil = client.post(duty_url(session), data={"duty_leader_id": session.leader_id,
                                                "next": "//evil.example/"})
    assert evil.headers["Location"] == f"/staff/reception/sessions/{session.id}"
    assert [e["after"] for e in duty_entries()] == ["周建国", "刘海涛"]


def test_a_duty_leader_no_longer_serving_stays_shown_as_the_current_one(client, auth):
    duty = factories.leader("周建国")
    session = today_session(duty_leader=duty)
    management.set_leader_active(duty, False, factories.STAFF)
    db.session.commit()
    auth.login()
    page = client.get(f"/staff/reception/sessions/{session.id}").text
    assert f'<option selected value="{duty.id}">周建国（副县长），已停用</option>' in page
    kept = client.post(duty_url(session), data={"duty_leader_id": duty.id}, follow_redirects=True)
    assert "值班领导仍为 周建国，未作更改" in kept.text and duty_entries() == []
