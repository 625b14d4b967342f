"""Issue 14 for citizens: the bureau's contact details (footer, refusals), a booking window that
survives long holidays, a schedule filtered across weeks, the feed in plain words, and static
files cached by content hash and gzip-compressed."""
from __future__ import annotations

import gzip
import hashlib
import re
from datetime import date, datetime, time, timedelta
from pathlib import Path

import pytest
from flask import render_template_string, url_for

from portal import assets, bureau, calendar, settings
from portal.errors import DomainError
from portal.extensions import db
from portal.reception import management, queries, services
from portal.reception.lifecycle import BOOKING
from portal.reception.window import booking_window
from tests import factories
from tests.helpers import count_statements

ROOT = Path(__file__).resolve().parents[2]
CONTACT = {
    "bureau_name": "某某县信访局",
    "bureau_address": "某某县城关镇人民路 1 号",
    "bureau_phone": "0579-82012345、12345",
    "bureau_hours": "工作日 8:30–12:00，14:30–17:30",
}
HX = {"HX-Request": "true"}


def set_contact(**overrides) -> None:
    assert settings.save({**CONTACT, **overrides}) == {}
    db.session.commit()


# --- item 3: the bureau's contact details --------------------------------------------------------

def test_an_administrator_sets_the_contact_and_every_footer_shows_it(client, auth):
    session = factories.session()
    auth.login("admin")
    page = client.get("/staff/settings")
    assert "信访局联系方式" in page.text and 'name="bureau_phone"' in page.text
    form = {key: settings.as_text(value) for key, value in settings.current_values().items()}
    saved = client.post("/staff/settings", data={**form, **CONTACT})
    assert saved.status_code == 303
    auth.logout()
    for url in ("/", "/reception/", f"/reception/sessions/{session.id}", "/reception/lookup",
                "/evaluation/notices/", "/evaluation/results/", "/staff/login", "/no-such-page"):
        text = client.get(url).text
        footer = text[text.index('<footer class="site-footer">'):]
        for value in CONTACT.values():
            assert value in footer, (url, value)
        assert 'href="tel:057982012345"' in footer, url


def test_contact_values_are_checked_and_made_canonical(app):
    assert settings.save({"bureau_phone": "请打电话"}) == {
        "bureau_phone": "请填写电话号码，如 0579-12345678；多个号码用“、”分隔"}
    assert settings.save({"bureau_name": "  "})["bureau_name"].startswith("请填写信访局名称")
    assert "最多 100 个字" in settings.save({"bureau_address": "路" * 101})["bureau_address"]
    set_contact(bureau_phone="（０５７９）８２０１２３４５，１２３４５")
    found = bureau.current()
    assert found.phone == "(0579)82012345、12345"
    assert found.tel_href == "tel:057982012345"
    assert found.complete


def test_bureau_is_a_template_global_read_once_per_request(app, client):
    set_contact()
    with app.test_request_context("/"):
        assert render_template_string(
            "{{ bureau.name }}|{{ bureau.address }}|{{ bureau.phone }}|{{ bureau.hours }}") == \
            "|".join(CONTACT.values())
    session = factories.session()
    # Read at most once in all (the render above may have kept them already): each page finds
    # them kept in the process and only checks the reference version, once (portal/reference.py).
    reads = 0
    for url in ("/reception/lookup", "/reception/", "/", f"/reception/sessions/{session.id}",
                "/evaluation/notices/"):
        with count_statements() as statements:
            assert client.get(url).status_code == 200
        reads += len([s for s in statements if re.search(r"FROM setting\b", s)])
        assert len([s for s in statements if re.search(r"FROM reference_version\b", s)]) == 1
    assert reads <= 1
    # A fragment without the footer reads nothing for it.
    with count_statements() as statements:
        client.get("/reception/lookup", headers=HX)
    assert len(statements) <= 1


def test_staff_are_warned_until_address_and_phone_are_set(client, auth):
    auth.login("reception")
    assert "尚未设置" in client.get("/staff/reception/").text
    footer = client.get("/").text.split('<footer class="site-footer">')[1]
    assert "县信访局" in footer and "tel:" not in footer  # nothing invented
    set_contact()
    assert "尚未设置" not in client.get("/staff/reception/").text


def test_the_suspension_message_gives_the_phone_and_address(app, clock):
    set_contact()
    number = factories.id_number(seq=31)
    for day in (date(2026, 9, 14), date(2026, 10, 19), date(2026, 11, 2)):
        factories.recorded_no_show(clock, number, day)
    with pytest.raises(DomainError) as caught:
        services.create_booking(factories.session().id,
                                factories.booking_request(id_number=number), calendar.now())
    message = caught.value.reasons["id_number"]
    assert "暂停预约至" in message
    assert "0579-82012345" in message and "人民路 1 号" in message and "14:30" in message
    assert "信访举报电话" not in message


def test_the_satisfied_matter_refusal_gives_the_contact(app, monkeypatch):
    set_contact()
    monkeypatch.setattr(services, "satisfied_matter_refusal",
                        lambda number: "该事项已经第三方评价为“满意”。")
    with pytest.raises(DomainError) as caught:
        services.create_booking(factories.session().id,
                                factories.booking_request(related_matter_no="XF-2026-0031"),
                                calendar.now())
    message = caught.value.reasons["related_matter_no"]
    assert message.startswith("该事项已经第三方评价为“满意”。如需咨询，请致电某某县信访局（0579-82012345")
    assert "人民路 1 号" in message


def test_the_cancel_cut_off_refusal_gives_the_phone(app):
    set_contact()
    booking = factories.book(factories.session())
    after = datetime(2026, 11, 20, 17, 0, tzinfo=calendar.TZ)
    assert BOOKING.refusal(booking, "cancel", None, after).endswith(
        "如不能按时到场，请致电某某县信访局（0579-82012345、12345）说明。")


# --- item 2: the booking window across long holidays ----------------------------------------------

def working_days(cal, first: date, last: date) -> int:
    return sum(cal.is_working_day(first + timedelta(days=n)) for n in range((last - first).days + 1))


@pytest.mark.parametrize("day, opens, closes", [
    # 国庆 2026 (1–7 Oct; Mid-Autumn 25–27 Sep): the cut-off is Wed 30 Sep.
    (date(2026, 10, 8), date(2026, 9, 28), datetime(2026, 9, 30, 17)),
    (date(2026, 10, 9), date(2026, 9, 29), datetime(2026, 10, 8, 17)),
    # 春节 2026 (15–23 Feb; Sat 14 Feb is a make-up working day).
    (date(2026, 2, 24), date(2026, 2, 12), datetime(2026, 2, 14, 17)),
    (date(2026, 2, 25), date(2026, 2, 13), datetime(2026, 2, 24, 17)),
    # An ordinary week keeps "7 days ahead".
    (date(2026, 11, 30), date(2026, 11, 23), datetime(2026, 11, 27, 17)),
])
def test_sessions_after_long_holidays_can_be_booked(app, clock, day, opens, closes):
    clock.set(datetime(2026, 1, 5, 9, 0))
    session = factories.session(day=day)
    window = booking_window(session, calendar.WorkingCalendar())
    assert window.opens_at == calendar.local(opens, time(0, 0))
    assert window.closes_at == closes.replace(tzinfo=calendar.TZ)
    assert working_days(calendar.WorkingCalendar(), opens, closes.date()) >= 3
    clock.set(window.opens_at - timedelta(minutes=1))
    with pytest.raises(DomainError) as caught:
        factories.book(session)
    assert "开放预约" in caught.value.message
    db.session.rollback()
    clock.set(window.opens_at + timedelta(hours=9))
    assert factories.book(session).status == "pending"


def test_every_working_day_of_2026_has_a_window_of_enough_working_days(app):
    cal = calendar.WorkingCalendar()
    values = settings.current_values()
    leader = factories.leader()
    day = date(2026, 1, 5)
    while day.year == 2026:
        if cal.is_working_day(day):
            session = management.ReceptionSession(leader_id=leader.id, day=day,
                                                  start_time=time(9), end_time=time(10))
            window = booking_window(session, cal, values)
            assert window.closes_at - window.opens_at >= timedelta(days=1), day
            assert working_days(cal, window.opens_at.date(), window.closes_at.date()) >= 3, day
        day += timedelta(days=1)


def test_the_minimum_number_of_working_days_is_a_setting(app):
    assert settings.save({"booking_min_working_days": "5"}) == {}
    db.session.commit()
    cal = calendar.WorkingCalendar()
    session = management.ReceptionSession(leader_id=1, day=date(2026, 10, 8),
                                          start_time=time(9), end_time=time(10))
    window = booking_window(session, cal, settings.current_values())
    assert working_days(cal, window.opens_at.date(), date(2026, 9, 30)) == 5
    assert "至少有 5 个工作日" in queries_notes_text()


def queries_notes_text() -> str:
    from flask import current_app

    with current_app.test_request_context("/"):
        return render_template_string(
            '{% from "reception/_sessions.html" import booking_notes %}{{ booking_notes(v) }}',
            v=settings.current_values())


def new_session_form(leader_id: int, day: date, publish: bool = True) -> dict:
    form = {"leader_id": str(leader_id), "first_day": day.isoformat(), "start_time": "09:00",
            "end_time": "10:00", "slot_minutes": "20", "place": "县人民来访接待中心",
            "mode": "fixed", "theme": "", "weeks": "1"}
    return {**form, "publish": "y"} if publish else form


def test_staff_are_warned_when_the_public_gets_less_than_a_day(client, auth, clock):
    leader = factories.leader()
    auth.login("reception")
    clock.set(datetime(2026, 11, 20, 10, 0))  # Friday: Monday's cut-off is today 17:00
    made = client.post("/staff/reception/sessions/new",
                       data=new_session_form(leader.id, date(2026, 11, 23)), follow_redirects=True)
    assert "网上预约时间不足一天" in made.text and "2026年11月20日 星期五 17:00" in made.text
    # A draft published after the cut-off: the public cannot book it online at all.
    client.post("/staff/reception/sessions/new",
                data=new_session_form(leader.id, date(2026, 11, 24), publish=False))
    draft = db.session.scalar(db.select(management.ReceptionSession).where(
        management.ReceptionSession.day == date(2026, 11, 24)))
    clock.set(datetime(2026, 11, 23, 18, 0))
    page = client.get(f"/staff/reception/sessions/{draft.id}")
    assert "已过网上预约截止时间" in page.text
    published = client.post(f"/staff/reception/sessions/{draft.id}/publish", follow_redirects=True)
    assert "已发布" in published.text and "已过网上预约截止时间" in published.text
    # An ordinary session, planned in time: no warning.
    clock.set(datetime(2026, 11, 18, 10, 0))
    normal = client.post("/staff/reception/sessions/new",
                         data=new_session_form(leader.id, date(2026, 11, 30)),
                         follow_redirects=True)
    assert "已生成 1 场接访" in normal.text and "不足一天" not in normal.text


# --- item 8: the schedule, filtered across weeks ---------------------------------------------------

def far_sessions():
    land = factories.leader("王建国", ["征地拆迁"])
    school = factories.leader("李秀英", ["教育"])
    later = [factories.session(land, day=date(2026, 12, 21)),
             factories.session(land, day=date(2027, 1, 11))]
    factories.session(school, day=date(2026, 12, 7))
    return land, school, later


def test_a_leader_filter_lists_the_next_sessions_whatever_week(client):
    land, _school, _later = far_sessions()
    plain = client.get("/reception/")
    assert "起的两周" in plain.text and "这一周" not in plain.text
    assert "这两周没有已发布的接访安排" in plain.text
    filtered = client.get(f"/reception/?leader={land.id}")
    assert "王建国：今后的接访安排" in filtered.text
    assert "2026年12月21日" in filtered.text and "2027年1月11日" in filtered.text
    assert "李秀英" not in filtered.text.split('id="schedule"')[1]
    # From a picked week on: the earlier ones are left out.
    later = client.get(f"/reception/?leader={land.id}&week=2026-12-28")
    assert "2026年12月21日" not in later.text and "2027年1月11日" in later.text


def test_a_category_filter_lists_the_leaders_who_receive_it(client):
    far_sessions()
    page = client.get("/reception/?category=征地拆迁")
    listed = page.text.split('id="schedule"')[1]
    assert "受理“征地拆迁”的领导：今后的接访安排" in page.text
    assert "王建国" in listed and "李秀英" not in listed
    assert '<option selected>征地拆迁</option>' in page.text
    assert "李秀英" in client.get("/reception/?category=教育").text.split('id="schedule"')[1]
    nothing = client.get("/reception/?category=林业").text
    assert "受理“林业”的领导：近期没有已发布的接访安排" in nothing
    # Not a category: ignored, the plain two weeks.
    assert "起的两周" in client.get("/reception/?category=nonsense").text


def test_a_filtered_list_says_when_it_leaves_later_sessions_out(client):
    leader = factories.leader("赵立新", ["教育"])
    management.create_sessions(management.SessionPlan(
        leader_id=leader.id, first_day=date(2026, 11, 23), start_time=time(9),
        end_time=time(10), place="县人民来访接待中心", weeks=14, publish=True),
        factories.STAFF, calendar.now())
    db.session.commit()
    page = client.get(f"/reception/?leader={leader.id}").text
    assert page.count('class="session-card"') == queries.NEXT_SESSIONS
    assert "只列出最近的 12 场" in page


def test_the_week_picker_works_without_javascript(client):
    far_sessions()
    page = client.get("/reception/")
    form = page.text.split('<form class="filters"')[1].split("</form>")[0]
    assert 'method="get"' in form and '<select name="week">' in form
    assert '<button type="submit"' in form and "<noscript>" not in form
    assert '<option value="2026-12-07" >12月7日起</option>' in form
    picked = client.get("/reception/?week=2026-12-07").text
    assert "2026年12月7日 星期一 起的两周" in picked
    assert '<option value="2026-12-07" selected>' in picked
    assert "李秀英" in picked and "2026年12月21日" not in picked  # 7–20 Dec only
    fragment = client.get("/reception/?category=征地拆迁", headers=HX).text
    assert fragment.lstrip().startswith('<div id="schedule">') and "<form" not in fragment


# --- item 9: the feed, in plain words ---------------------------------------------------------------

def test_every_page_links_the_feed(client):
    session = factories.session()
    for url in ("/", "/reception/", f"/reception/sessions/{session.id}", "/evaluation/notices/",
                "/reception/lookup"):
        text = client.get(url).text
        assert re.search(r'<link rel="alternate" type="application/atom\+xml" title="[^"]+" '
                         r'href="/evaluation/feed.xml">', text), url
        footer = text.split('<footer class="site-footer">')[1]
        assert ">订阅更新</a>" in footer and "RSS 阅读器" in footer, url
    feed = client.get("/evaluation/feed.xml")
    assert feed.status_code == 200 and feed.mimetype == "application/atom+xml"


# --- item 10: static files ---------------------------------------------------------------------------

STATIC_LINK = re.compile(r'(?:href|src)="(/static/([^"?]+)\?v=([0-9a-f]{12}))"')


def test_pages_link_static_files_by_content_hash_cached_for_a_year(client, auth):
    auth.login("reception")  # a staff session must not make static answers vary by cookie
    links = STATIC_LINK.findall(client.get("/reception/").text)
    assert {name for _url, name, _v in links} >= {"css/portal.css", "js/portal.js"}
    for url, name, version in links:
        content = (ROOT / "static" / name).read_bytes()
        assert version == hashlib.sha256(content).hexdigest()[:12]
        response = client.get(url)
        assert response.status_code == 200 and response.data == content
        assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert "Set-Cookie" not in response.headers
        assert "Cookie" not in response.headers.get("Vary", "")


# What a browser fetches on its own for a page: stylesheets, scripts, images, icons, frames.
SUBRESOURCE = re.compile(
    r'<(?:link[^>]*rel="(?:stylesheet|icon|preload|modulepreload)"[^>]*href|script[^>]*src|'
    r'img[^>]*src|iframe[^>]*src|source[^>]*src)="([^"]+)"')


def test_first_load_of_home_is_small_same_origin_and_at_most_four_requests(client):
    page = client.get("/")
    assert page.status_code == 200 and len(page.data) < 30_000
    fetched = [u for u in SUBRESOURCE.findall(page.text) if not u.startswith("data:")]
    assert 1 + len(fetched) <= 4, fetched  # the page itself and what it loads
    assert "url(" not in page.text  # no inline style pulling in more
    for url in fetched:
        assert url.startswith("/static/") and "?v=" in url, url  # same origin, versioned
        answer = client.get(url)
        assert answer.status_code == 200
        assert answer.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert b"@import" not in answer.data and b"url(http" not in answer.data
    icon = re.search(r'<link rel="icon" href="(data:image/svg\+xml,[^"]+)"', page.text)
    assert icon and "%3Csvg" in icon.group(1)  # the icon travels inside the page


def test_unversioned_or_outdated_static_addresses_are_revalidated(client):
    for url in ("/static/css/portal.css", "/static/css/portal.css?v=000000000000"):
        response = client.get(url)
        assert response.headers["Cache-Control"] == "no-cache", url
        again = client.get(url, headers={"If-None-Match": response.headers["ETag"]})
        assert again.status_code == 304, url
    assert client.get("/static/no-such.css").status_code == 404
    assert client.get("/static/../portal/__init__.py").status_code == 404
    # HTML is never cached.
    assert client.get("/reception/").headers["Cache-Control"] == "no-store"


def test_text_files_are_gzip_compressed_for_clients_that_accept_it(client):
    with client.application.test_request_context():
        url = url_for("static", filename="css/portal.css")
    content = (ROOT / "static" / "css" / "portal.css").read_bytes()
    packed = client.get(url, headers={"Accept-Encoding": "gzip, deflate, br"})
    assert packed.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed.headers["Vary"]
    assert packed.mimetype == "text/css" and int(packed.headers["Content-Length"]) < len(content)
    assert gzip.decompress(packed.data) == content
    assert packed.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    again = client.get(url, headers={"Accept-Encoding": "gzip",
                                     "If-None-Match": packed.headers["ETag"]})
    assert again.status_code == 304
    plain = client.get(url, headers={"Accept-Encoding": "identity"})
    assert "Content-Encoding" not in plain.headers and plain.data == content
    assert "Accept-Encoding" in plain.headers["Vary"]


def test_a_changed_file_gets_a_new_address(app, tmp_path, monkeypatch):
    monkeypatch.setattr(app, "static_folder", str(tmp_path))
    sheet = tmp_path / "site.css"
    sheet.write_text("body { color: red; }")
    with app.test_request_context():
        first = url_for("static", filename="site.css")
        sheet.write_text("body { color: blue; }")
        second = url_for("static", filename="site.css")
        assert url_for("static", filename="missing.css") == "/static/missing.css"
    assert first != second and second.endswith(
        "?v=" + hashlib.sha256(b"body { color: blue; }").hexdigest()[:12])
    assert assets.YEAR == 31536000
