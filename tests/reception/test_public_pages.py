"""The citizen's pages through the test client, as full pages and as htmx fragments."""
import html
import re
from datetime import date, datetime

from sqlalchemy import func, select

from portal.extensions import db
from portal.reception.models import Booking
from tests import factories

HX = {"HX-Request": "true"}


def bookings_count() -> int:
    return db.session.scalar(select(func.count(Booking.id)))


def book_through_form(client, session, **overrides):
    response = client.post(f"/reception/sessions/{session.id}", data=factories.booking_form(**overrides))
    assert response.status_code == 303, response.text
    return response.headers["Location"]


def test_home_and_schedule_list_published_upcoming_sessions(client):
    live = factories.session()
    factories.session(day=date(2026, 11, 24), publish=False)
    for url in ("/", "/reception/", "/reception/?week=2026-11-23"):
        page = client.get(url)
        assert page.status_code == 200
        assert f"/reception/sessions/{live.id}" in page.text
        assert page.text.count('data-free-places="') == 1, url
        assert 'lang="zh-CN"' in page.text
        assert "2026年11月23日 星期一" in page.text


def test_schedule_hides_past_sessions(client, clock):
    factories.session()
    clock.set(datetime(2026, 11, 24, 9, 0))
    assert "/reception/sessions/" not in client.get("/reception/?week=2026-11-23").text


def test_schedule_filter_answers_htmx_with_a_fragment(client):
    first = factories.session()
    other = factories.session(factories.leader("赵敏", ["教育"]), day=date(2026, 11, 24))
    page = client.get(f"/reception/?week=2026-11-23&leader={other.leader_id}", headers=HX)
    assert page.status_code == 200
    assert "<html" not in page.text and 'id="schedule"' in page.text
    assert f"/reception/sessions/{other.id}" in page.text
    assert f"/reception/sessions/{first.id}" not in page.text
    assert "HX-Request" in page.headers["Vary"]
    # A boosted navigation gets the whole page.
    boosted = client.get("/reception/", headers={**HX, "HX-Boosted": "true"})
    assert "<html" in boosted.text


def test_bad_week_and_filters_do_not_break_the_schedule(client):
    for url in ("/reception/?week=notadate", "/reception/?leader=abc", "/reception/?week=1999-01-01",
                "/reception/?place=" + "x" * 500):
        assert client.get(url).status_code == 200


def test_session_page_shows_free_places_and_only_the_portfolio(client):
    session = factories.session()
    page = client.get(f"/reception/sessions/{session.id}")
    assert 'data-free-places="3"' in page.text
    options = re.findall(r'<option value="([^"]*)"', page.text)
    assert options == ["", "土地权属", "城乡建设", "征地拆迁"] or set(options) == {
        "", "征地拆迁", "土地权属", "城乡建设"}
    assert "提交预约" in page.text and 'hx-trigger="every 20s"' in page.text


def test_free_places_fragment(client):
    session = factories.session()
    factories.book(session)
    fragment = client.get(f"/reception/sessions/{session.id}/places", headers=HX)
    assert fragment.status_code == 200
    assert "<html" not in fragment.text
    assert 'data-free-places="2"' in fragment.text


def test_draft_and_missing_sessions_are_not_found(client):
    draft = factories.session(publish=False)
    assert client.get(f"/reception/sessions/{draft.id}").status_code == 404
    missing = client.get("/reception/sessions/99999")
    assert missing.status_code == 404 and "页面不存在" in missing.text


def test_booking_through_the_form_shows_the_receipt_at_once(client):
    session = factories.session()
    location = book_through_form(client, session)
    assert "new=1" in location
    receipt = client.get(location)
    code = re.search(r'data-booking-code="(\w{8})"', receipt.text).group(1)
    assert "预约已提交" in receipt.text and f'<p class="code">{code}</p>' in receipt.text
    assert "<svg" in receipt.text and "待审核" in receipt.text
    ics = client.get(f"/reception/bookings/{code}.ics")
    assert ics.status_code == 200 and ics.mimetype == "text/calendar"
    assert b"DTSTART;TZID=Asia/Shanghai:20261123T090000" in ics.data


def test_invalid_booking_rerenders_the_form_with_chinese_messages(client):
    session = factories.session()
    response = client.post(f"/reception/sessions/{session.id}", data=factories.booking_form(
        id_number="330781197005171230", phone="12345", consent="", category="教育",
        party_size="9"))
    assert response.status_code == 422
    for message in ("校验位", "手机号码应为 11 位", "个人信息处理告知书"):
        assert message in response.text
    assert bookings_count() == 0


def test_non_numeric_party_size_and_overlong_fields_are_422_not_500(client):
    session = factories.session()
    for overrides in ({"party_size": "abc"}, {"summary": "长" * 600}, {"name": "名" * 100},
                      {"id_number": "1" * 300}):
        response = client.post(f"/reception/sessions/{session.id}",
                               data=factories.booking_form(**overrides))
        assert response.status_code == 422, overrides
    assert bookings_count() == 0


def test_boosted_form_errors_come_back_as_a_whole_page(client):
    session = factories.session()
    response = client.post(f"/reception/sessions/{session.id}", headers={**HX, "HX-Boosted": "true"},
                           data=factories.booking_form(phone="1"))
    assert response.status_code == 422 and "<html" in response.text


def test_double_submit_gives_one_booking_and_a_clear_message(client):
    session = factories.session()
    form = factories.booking_form()
    assert client.post(f"/reception/sessions/{session.id}", data=form).status_code == 303
    again = client.post(f"/reception/sessions/{session.id}", data=form)
    assert again.status_code == 422 and "一人一号" in again.text
    assert bookings_count() == 1


def test_full_session_page_says_so(client):
    session = factories.session(end=datetime(2026, 1, 1, 9, 20).time())
    factories.book(session)
    page = client.get(f"/reception/sessions/{session.id}")
    assert 'data-free-places="0"' in page.text and "名额已满" in page.text
    response = client.post(f"/reception/sessions/{session.id}", data=factories.booking_form())
    assert response.status_code == 422 and "名额已满" in response.text


def test_closed_window_page_and_post(client, clock):
    session = factories.session()
    clock.set(datetime(2026, 11, 21, 9, 0))
    page = client.get(f"/reception/sessions/{session.id}")
    assert "截止预约" in page.text and "提交预约" not in page.text
    response = client.post(f"/reception/sessions/{session.id}", data=factories.booking_form())
    assert response.status_code == 422 and bookings_count() == 0


def test_inline_validation_fragments(client):
    bad = client.get("/reception/validate/id_number?id_number=330781197005171230", headers=HX)
    assert bad.status_code == 200 and "校验位" in bad.text and 'id="id_number-error"' in bad.text
    good = client.get(f"/reception/validate/id_number?id_number={factories.id_number()}", headers=HX)
    assert "field-error" in good.text and "校验位" not in good.text
    assert "11 位" in client.get("/reception/validate/phone?phone=123", headers=HX).text
    assert client.get("/reception/validate/name?name=x").status_code == 404


def test_receipt_needs_code_and_phone_in_a_new_browser(app, client):
    session = factories.session()
    booking = factories.book(session, phone="13700002222")
    stranger = app.test_client()
    prompt = stranger.get(f"/reception/bookings/{booking.code}")
    assert prompt.status_code == 200 and "data-booking-code" not in prompt.text
    assert "手机号码" in prompt.text
    assert stranger.get(f"/reception/bookings/{booking.code}.ics").status_code == 404
    wrong = stranger.post("/reception/lookup", data={"code": booking.code, "phone": "13700002223"})
    assert wrong.status_code == 422 and "不正确" in wrong.text
    right = stranger.post("/reception/lookup", data={"code": booking.code.lower(),
                                                      "phone": "13700002222"})
    assert right.status_code == 303
    receipt = stranger.get(right.headers["Location"])
    assert f'data-booking-code="{booking.code}"' in receipt.text
    # Opened with code and phone: the citizen's own receipt names them in full (issue 14.5).
    assert f"<dd>{booking.name}</dd>" in receipt.text


def test_lookup_page_prefills_code_from_the_qr_address(client):
    page = client.get("/reception/lookup?code=abcd2345")
    assert 'value="ABCD2345"' in page.text


def test_cancel_from_the_receipt(client):
    session = factories.session()
    location = book_through_form(client, session)
    code = location.split("/")[-1].split("?")[0]
    assert client.get(f"/reception/bookings/{code}/cancel").status_code == 405
    phone = "13900000000"  # factories give 138… numbers: not the booking's
    empty = client.post(f"/reception/bookings/{code}/cancel", data={"reason": "", "phone": ""})
    assert empty.status_code == 422 and "请填写取消原因" in empty.text
    assert "请填写预约时的手机号码" in empty.text
    wrong = client.post(f"/reception/bookings/{code}/cancel", data={"reason": "家中有事",
                                                                     "phone": phone})
    assert wrong.status_code == 422 and "手机号码与预约时填写的不一致" in wrong.text
    booking = db.session.scalar(select(Booking))
    done = client.post(f"/reception/bookings/{code}/cancel",
                       data={"reason": "家中有事", "phone": booking.phone})
    assert done.status_code == 303
    receipt = client.get(done.headers["Location"])
    assert "已取消" in receipt.text and "名额已释放" in receipt.text
    assert 'data-free-places="3"' in client.get(f"/reception/sessions/{session.id}").text


def test_cancel_after_cutoff_is_refused_on_the_page(client, clock):
    session = factories.session()
    location = book_through_form(client, session)
    code = location.split("/")[-1].split("?")[0]
    clock.set(datetime(2026, 11, 20, 18, 0))
    receipt = client.get(f"/reception/bookings/{code}")
    assert "取消预约</h2>" not in receipt.text
    refused = client.post(f"/reception/bookings/{code}/cancel",
                          data={"reason": "有事", "phone": db.session.scalar(select(Booking)).phone})
    assert refused.status_code == 422 and "已过取消截止时间" in refused.text


def test_cancel_someone_elses_booking_is_not_possible(app, client):
    booking = factories.book(factories.session())
    stranger = app.test_client()
    for phone in ("", "13900000000"):
        refused = stranger.post(f"/reception/bookings/{booking.code}/cancel",
                                data={"reason": "恶意", "phone": phone})
        # Neither the receipt nor whether the booking exists: the lookup form, refused.
        assert refused.status_code == 422 and "data-booking-code" not in refused.text
        assert "预约码或手机号码不正确" in refused.text
    assert db.session.get(Booking, booking.id).status == "pending"


def test_pages_carry_security_headers_and_no_inline_script(client):
    session = factories.session()
    for url in ("/", "/reception/", f"/reception/sessions/{session.id}", "/reception/lookup",
                "/staff/login"):
        page = client.get(url)
        csp = page.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe" not in csp
        assert page.headers["X-Content-Type-Options"] == "nosniff"
        for tag in re.findall(r"<script[^>]*>", page.text):
            assert "src=" in tag, f"inline script on {url}"
        assert " hx-on" not in page.text and "onclick" not in page.text
        assert '"allowEval": false' in html.unescape(page.text)


def test_history_restore_gets_the_whole_page(client):
    factories.session()
    page = client.get("/reception/?week=2026-11-23",
                      headers={**HX, "HX-History-Restore-Request": "true"})
    assert "<html" in page.text


def test_huge_ids_are_404_not_overflow(client):
    for url in ("/reception/sessions/99999999999999999999", "/reception/sessions/2147483648",
                "/evaluation/notices/99999999999999999999"):
        assert client.get(url).status_code == 404, url
