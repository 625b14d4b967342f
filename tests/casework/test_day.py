"""The reception day view (当日接待) and the printed day list (接访登记表): order of the rows,
the duty leader, masked ID numbers and the audited reveal, 签到 / 爽约 in place (plain POST and
htmx), roles and CSRF, and page statement counts that do not grow with the rows."""
from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from portal import audit, calendar, create_app
from portal.casework import services as casework
from portal.extensions import db
from portal.reception import management, services
from portal.reception.models import Booking
from tests import factories
from tests.conftest import AuthActions, PortalClient, base_config
from tests.helpers import count_statements

HX = {"HX-Request": "true"}
MONDAY = date(2026, 11, 23)
STAFF = factories.STAFF


# --- builders (shared with test_records) ------------------------------------------------------------

def day_session(places: int = 3, walk_ins: int = 2, duty: str | None = "王守业"):
    """A published session on MONDAY with ``places`` bookable places and ``walk_ins`` walk-in
    places; the duty leader is another leader unless ``duty`` is None."""
    leader = factories.leader("刘海涛", ["征地拆迁", "城乡建设"])
    duty_leader = factories.leader(duty, ["城乡建设"]) if duty else None
    end = (datetime.combine(MONDAY, time(9)) + timedelta(minutes=20 * places)).time()
    made, _ = management.create_sessions(management.SessionPlan(
        leader_id=leader.id, first_day=MONDAY, start_time=time(9), end_time=end,
        place="县人民来访接待中心", slot_minutes=20, publish=True, walk_in_places=walk_ins,
        duty_leader_id=duty_leader.id if duty_leader else None), STAFF, calendar.now())
    db.session.commit()
    return made[0]


def on_the_day(clock, hour: int = 9) -> datetime:
    clock.set(datetime.combine(MONDAY, time(hour)))
    return clock.current


def confirmed(session, **overrides) -> Booking:
    """A booking made before the day, confirmed by staff."""
    made = factories.book(session, **overrides)
    management.change_booking(made, "confirm", STAFF, calendar.now())
    db.session.commit()
    return made


def walk_in(session, **overrides) -> Booking:
    """A walk-in registered at the desk (checked in at once); the clock must be on the day."""
    made = services.create_booking(session.id, factories.booking_request(**overrides),
                                   calendar.now(), walk_in=True, actor=STAFF)
    db.session.commit()
    return made


def check_in(booking) -> None:
    management.change_booking(booking, "check_in", STAFF, calendar.now())
    db.session.commit()


def unit(name: str = "县住建局", kind: str = "department"):
    made = casework.save_unit(None, name, kind, STAFF)
    db.session.commit()
    return made


def handed_over(booking, unit_obj, task: str = "核实补偿款发放情况并答复来访人"):
    record = casework.save_record(
        booking, casework.RecordInput("补偿款未足额发放", "请住建局核实", "handed_over"),
        casework.HandOverInput(unit_obj.id, task), STAFF, calendar.now())
    db.session.commit()
    return record


def audit_actions() -> list[str]:
    """The audit log's actions in order, logins and refusals (access.denied) left out."""
    return [a for a in db.session.scalars(select(audit.AuditEntry.action)
                                          .order_by(audit.AuditEntry.id))
            if not a.startswith("user.") and a != "access.denied"]


def day_url(session) -> str:
    return f"/staff/reception/sessions/{session.id}/day"


def status_of(booking) -> str:
    return db.session.scalar(select(Booking.status).where(Booking.id == booking.id))


# --- the day view --------------------------------------------------------------------------------

def test_booked_visitors_in_place_order_then_walk_ins(client, auth, clock):
    session = day_session(places=3, walk_ins=2)
    first = confirmed(session, name="一号甲")  # takes place 1
    second = confirmed(session, name="二号乙")
    on_the_day(clock)
    came = walk_in(session, name="丁现场")
    auth.login()
    page = client.get(day_url(session))
    assert page.status_code == 200
    text = page.text
    # Place order (the first booking took place 1), then the walk-in, marked 现场.
    assert text.index("一号甲") < text.index("二号乙") < text.index("丁现场")
    row = text[text.index(f'id="day-booking-{came.id}"'):]
    assert "现场" in row[:row.index("</tr>")]
    assert "值班领导" in text and "王守业" in text and "刘海涛" in text
    for booking in (first, second, came):
        assert booking.masked_id in text
    assert "2026年11月23日 星期一" in text and "09:00–10:00" in text
    # Counts: 2 booked, 1 checked in (the walk-in), 1 of 2 walk-in places used.
    counts = dict(re.findall(r'data-count="([a-z-]+)">([^<]+)<', text))
    assert counts == {"booked": "2", "checked-in": "1", "no-show": "0", "walk-ins": "1 / 2",
                      "records": "0", "handed-over": "0"}
    # The desk tools: check-in by code (back to this page), walk-in registration, the print.
    assert 'action="/staff/reception/checkin"' in text
    assert f'name="session_id" value="{session.id}"' in text
    assert f'name="next" value="/staff/reception/sessions/{session.id}/day"' in text
    assert f"/staff/reception/sessions/{session.id}/walk-ins/new?next=" in text
    assert f"/staff/reception/sessions/{session.id}/walk-in-places" in text
    assert f"/staff/reception/sessions/{session.id}/day/print" in text


def test_full_id_numbers_never_appear_unless_revealed(client, auth, clock):
    session = day_session()
    number = factories.id_number()
    booking = confirmed(session, id_number=number)
    auth.login()
    assert number not in client.get(day_url(session)).text
    row = client.post(f"/staff/reception/day/bookings/{booking.id}/reveal", headers=HX)
    assert row.status_code == 200 and "<html" not in row.text
    assert f'id="day-booking-{booking.id}"' in row.text and number in row.text
    entry = db.session.scalar(select(audit.AuditEntry).order_by(audit.AuditEntry.id.desc()))
    assert entry.action == "booking.reveal_id" and number not in entry.detail
    # Without JavaScript: the day view again, this one row showing the number.
    page = client.post(f"/staff/reception/day/bookings/{booking.id}/reveal")
    assert page.status_code == 200 and number in page.text and "当日接待" in page.text
    assert audit_actions().count("booking.reveal_id") == 2
    assert client.get(f"/staff/reception/day/bookings/{booking.id}/reveal").status_code == 405
    assert client.post("/staff/reception/day/bookings/99999/reveal").status_code == 404


def test_the_day_needs_the_reception_role(client, auth):
    session = day_session()
    booking = confirmed(session)
    urls = [day_url(session), day_url(session) + "/print", day_url(session) + "/counts",
            f"/staff/reception/bookings/{booking.id}/record"]
    posts = [f"/staff/reception/day/bookings/{booking.id}/{action}"
             for action in ("reveal", "check_in", "no_show")]
    before = audit_actions()
    for url in urls + posts:
        response = client.post(url) if url in posts else client.get(url)
        assert response.status_code == 303 and "/staff/login" in response.headers["Location"]
    auth.login("evaluation")
    for url in urls + posts:
        response = client.post(url) if url in posts else client.get(url)
        assert response.status_code == 403 and "无权访问" in response.text, url
    assert audit_actions() == before and status_of(booking) == "confirmed"
    auth.logout()
    auth.login("admin")
    assert client.get(day_url(session)).status_code == 200
    assert client.get("/staff/reception/sessions/99999/day").status_code == 404


def test_check_in_and_no_show_with_a_plain_post(client, auth, clock):
    session = day_session()
    came, absent = confirmed(session, name="来了"), confirmed(session, name="没来")
    auth.login()
    early = client.post(f"/staff/reception/day/bookings/{came.id}/check_in")
    assert early.status_code == 303 and status_of(came) == "confirmed"
    assert "接访当天" in client.get(early.headers["Location"]).text
    on_the_day(clock)
    done = client.post(f"/staff/reception/day/bookings/{came.id}/check_in")
    assert done.status_code == 303 and done.headers["Location"].endswith(day_url(session))
    assert status_of(came) == "checked_in"
    assert "1 号 来了 现为“已签到”" in client.get(day_url(session)).text
    assert client.post(f"/staff/reception/day/bookings/{absent.id}/no_show").status_code == 303
    assert status_of(absent) == "no_show"
    assert audit_actions()[-2:] == ["booking.check_in", "booking.no_show"]
    page = client.get(day_url(session)).text
    assert "填写接谈记录" in page  # the checked-in visitor's record can be written
    # Only the two day actions exist here; review stays on the session page.
    assert client.post(f"/staff/reception/day/bookings/{came.id}/confirm").status_code == 404


def test_check_in_in_place_with_htmx(client, auth, clock):
    session = day_session()
    booking = confirmed(session)
    auth.login()
    refused = client.post(f"/staff/reception/day/bookings/{booking.id}/check_in", headers=HX)
    assert refused.status_code == 200 and "接访当天才能签到" in refused.text
    assert "HX-Trigger" not in refused.headers and status_of(booking) == "confirmed"
    on_the_day(clock)
    row = client.post(f"/staff/reception/day/bookings/{booking.id}/check_in", headers=HX)
    assert row.status_code == 200 and "<html" not in row.text
    assert row.text.strip().startswith(f'<tr id="day-booking-{booking.id}"')
    assert "已签到" in row.text and "填写接谈记录" in row.text
    assert row.headers["HX-Trigger"] == "day-changed"
    # The counts at the top reload themselves on that event.
    counts = client.get(day_url(session) + "/counts", headers=HX)
    assert counts.status_code == 200 and "<html" not in counts.text
    assert 'data-count="checked-in">1<' in counts.text
    assert client.get(day_url(session) + "/counts").status_code == 303
    assert status_of(booking) == "checked_in"


@pytest.fixture
def csrf_client(tmp_path, database_url):
    app = create_app({**base_config(tmp_path, database_url), "WTF_CSRF_ENABLED": True})
    app.test_client_class = PortalClient
    with app.app_context():
        client = app.test_client()
        user = AuthActions(client).user("reception")
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"',
                          client.get("/staff/login").text).group(1)
        assert client.post("/staff/login", data={"username": user.username, "csrf_token": token,
                                                 "password": AuthActions.password}
                           ).status_code == 303
        yield client
        db.session.remove()
        db.engine.dispose()


def test_every_post_of_the_day_needs_the_csrf_token(csrf_client, clock):
    session = day_session()
    booking, other = confirmed(session), confirmed(session)
    on_the_day(clock)
    check_in(booking)
    before = (audit_actions(), status_of(other))
    for url, data in ((f"/staff/reception/day/bookings/{other.id}/check_in", {}),
                      (f"/staff/reception/day/bookings/{other.id}/no_show", {}),
                      (f"/staff/reception/day/bookings/{other.id}/reveal", {}),
                      (f"/staff/reception/bookings/{booking.id}/record",
                       {"request": "补偿款未足额发放", "outcome": "answered", "answer": "已答复"})):
        for headers in ({}, HX):
            response = csrf_client.post(url, data=data, headers=headers)
            assert response.status_code == 400 and "安全校验失败" in response.text, url
    assert (audit_actions(), status_of(other)) == before
    # The token the day view carries is accepted.
    page = csrf_client.get(day_url(session)).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = csrf_client.post(f"/staff/reception/day/bookings/{other.id}/check_in",
                                data={"csrf_token": token})
    assert response.status_code == 303 and status_of(other) == "checked_in"


def test_a_recorded_visitor_shows_the_outcome_and_the_hand_over(client, auth, clock):
    session = day_session()
    booking = confirmed(session)
    on_the_day(clock)
    check_in(booking)
    handed_over(booking, unit("县住建局"))
    auth.login()
    page = client.get(day_url(session)).text
    due = calendar.format_date(MONDAY + timedelta(days=60))
    assert "接谈记录：交办" in page and f"交办县住建局，{due}前办结" in page
    assert 'data-count="records">1<' in page and 'data-count="handed-over">1<' in page


# --- the printed day list --------------------------------------------------------------------------

def test_the_printed_day_list(client, auth, clock):
    session = day_session()
    number, phone = factories.id_number(), "13912345678"
    booking = confirmed(session, name="李四", id_number=number, phone=phone)
    confirmed(session, name="王五")
    on_the_day(clock)
    check_in(booking)
    handed_over(booking, unit("县住建局"))
    walk_in(session, name="赵六")
    auth.login()
    page = client.get(day_url(session) + "/print")
    assert page.status_code == 200
    text = page.text
    assert "领导接访登记表" in text and "县信访局" in text  # the bureau's name (a setting)
    assert "王守业" in text and "刘海涛" in text and "2026年11月23日 星期一" in text
    assert "09:00–10:00" in text and "县人民来访接待中心" in text
    for name in ("李四", "王五", "赵六"):
        assert name in text
    assert text.index("李四") < text.index("王五") < text.index("赵六")
    assert number not in text and booking.masked_id in text
    assert phone not in text and "139****5678" in text
    assert "交办" in text and "县住建局" in text and "2027-01-22" in text
    assert "登记人（签名）" in text and "值班领导（签名）" in text
    # A printout: no forms, no site navigation, the screen tools marked no-print.
    assert "<form" not in text and "site-nav" not in text and "staff-bar" not in text
    assert 'class="day-print-tools no-print"' in text


def test_the_stylesheet_prints_the_day_list_on_a4():
    from tests.helpers import ROOT

    css = (ROOT / "static" / "css" / "portal.css").read_text()
    block = css[css.index("/* casework: day view and print */"):]
    assert re.search(r"@page day-list \{ size: A4; margin: 15mm; \}", block)
    assert ".day-print-page { page: day-list; }" in block


# --- statements do not grow with the rows --------------------------------------------------------

def busy_day(clock, places: int):
    """A day with ``places`` booked visitors (one checked in and handed over) and a walk-in."""
    clock.set(datetime(2026, 11, 18, 10))
    session = day_session(places=places, walk_ins=2)
    bookings = [confirmed(session) for _ in range(places)]
    on_the_day(clock)
    check_in(bookings[0])
    handed_over(bookings[0], unit(f"单位{places}"))
    walk_in(session)
    return session


def statements_for(client, url: str) -> int:
    assert client.get(url).status_code == 200  # warm-up: settings, bureau
    with count_statements() as statements:
        assert client.get(url).status_code == 200
    return len(statements)


def test_day_view_and_print_do_not_grow_with_rows(client, auth, clock):
    small, large = busy_day(clock, 3), busy_day(clock, 12)
    auth.login()
    assert db.session.scalar(select(func.count(Booking.id)).where(
        Booking.session_id == large.id)) == 13
    for suffix in ("", "/print"):
        few = statements_for(client, day_url(small) + suffix)
        many = statements_for(client, day_url(large) + suffix)
        assert few == many, (suffix, few, many)
        assert many <= 10, (suffix, many)


def test_the_desk_tools_of_the_day_view_come_back_to_it(client, auth, clock):
    """Check-in by typed code and the walk-in places control (reception_desk) return here."""
    session = day_session(walk_ins=2)
    booking = confirmed(session, name="李四")
    on_the_day(clock)
    auth.login()
    here = day_url(session)
    done = client.post("/staff/reception/checkin", data={
        "code": booking.code.lower(), "session_id": session.id, "next": here})
    assert done.status_code == 303 and done.headers["Location"].endswith(here)
    page = client.get(here).text
    assert f"预约码 {booking.code}（李四）已签到" in page and status_of(booking) == "checked_in"
    assert 'data-count="checked-in">1<' in page
    more = client.post(f"/staff/reception/sessions/{session.id}/walk-in-places",
                       data={"places": "5", "next": here})
    assert more.status_code == 303 and more.headers["Location"].endswith(here)
    assert 'data-count="walk-ins">0 / 5<' in client.get(here).text
