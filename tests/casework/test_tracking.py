"""The citizen follows their case (查询): /reception/bookings/<code>/progress, opened like the
receipt (code + phone, or the booking this browser verified in the last 15 minutes), showing a
plain timeline of dates, the outcome and the answers given — never staff-internal text."""
from __future__ import annotations

import re
from datetime import date, datetime, time

import pytest
from sqlalchemy import select

from portal.casework import services
from portal.casework.models import ReceptionRecord
from portal.extensions import db
from portal.reception import management
from portal.reception.models import Booking
from tests import factories
from tests.casework import builders
from tests.factories import STAFF
from tests.helpers import count_statements

MONDAY = date(2026, 11, 23)
# Texts only staff may read: none of them may reach the citizen's page.
SECRETS = {
    "request": "内部诉求记录甲乙丙",
    "instruction": "领导批示秘密丁戊己",
    "task": "交办事项内部庚辛壬",
    "progress": "进展记录内部癸子丑",
    "reminder": "催办内容内部寅卯辰",
    "extension": "延期理由内部巳午未",
    "explanation": "交办说明内部申酉戌",
}


def url(code: str) -> str:
    return f"/reception/bookings/{code}/progress"


def booking_of(handover) -> Booking:
    record = db.session.get(ReceptionRecord, handover.record_id)
    return db.session.get(Booking, record.booking_id)


def open_page(client, booking: Booking) -> str:
    """Verify with code and phone, then read the page."""
    response = client.post(url(booking.code), data={"code": booking.code, "phone": booking.phone})
    assert response.status_code == 303, response.text[:400]
    assert response.location.endswith(url(booking.code) + "#main")
    page = client.get(url(booking.code))
    assert page.status_code == 200
    return page.text


def steps(page: str) -> str:
    """The timeline as plain text, one step a line."""
    found = re.search(r'<ol class="timeline progress-timeline">(.*?)</ol>', page, re.S)
    items = re.findall(r"<li[^>]*>(.*?)</li>", found.group(1), re.S)
    return "\n".join(" ".join(re.sub(r"<[^>]+>", " ", i).split()) for i in items)


@pytest.fixture
def full_case(app, clock):
    """Handed over with planted internal texts, progress twice, a reminder, extended."""
    unit = builders.unit()
    booking = builders.visit(clock, factories.session())
    record = services.save_record(
        booking, services.RecordInput(request=SECRETS["request"],
                                      instruction=SECRETS["instruction"],
                                      outcome="handed_over", answer=SECRETS["explanation"]),
        services.HandOverInput(unit.id, SECRETS["task"]), STAFF, clock.current)
    db.session.commit()
    from portal.casework.models import HandOver

    h = db.session.scalars(select(HandOver).filter_by(record_id=record.id)).one()
    now = builders.at(clock, date(2026, 12, 10))
    services.add_note(h, "progress", SECRETS["progress"], date(2026, 11, 25), STAFF, now)
    services.add_note(h, "progress", "第二次进展", date(2026, 12, 2), STAFF, now)
    services.add_note(h, "reminder", SECRETS["reminder"], date(2026, 12, 5), STAFF, now,
                      method="phone")
    services.extend(h, 20, SECRETS["extension"], STAFF, now)
    db.session.commit()
    return h


# --- access -----------------------------------------------------------------------------------

def test_the_page_needs_code_and_phone(client, full_case):
    booking = booking_of(full_case)
    page = client.get(url(booking.code)).text
    assert "手机号码" in page and "县住建局" not in page and "刘海涛" not in page
    page = open_page(client, booking)
    assert f'data-booking-code="{booking.code}"' in page and "县住建局" in page
    # remembered for 15 minutes, like the receipt (and the receipt shares it)
    assert client.get(f"/reception/bookings/{booking.code}").status_code == 200
    assert "预约回执" in client.get(f"/reception/bookings/{booking.code}").text


def test_a_remembered_receipt_opens_the_page_and_expires(client, clock, full_case):
    booking = booking_of(full_case)
    response = client.post("/reception/lookup", data={"code": booking.code, "phone": booking.phone})
    assert response.status_code == 303
    assert "县住建局" in client.get(url(booking.code)).text
    clock.set(datetime.combine(clock.current.date(), time(10, 16)))  # 16 minutes later
    assert "县住建局" not in client.get(url(booking.code)).text


def test_a_wrong_phone_is_answered_like_an_unknown_code(client, full_case):
    booking = booking_of(full_case)
    wrong = client.post(url(booking.code), data={"code": booking.code, "phone": "13900000000"})
    unknown = client.post(url("ZZZZ2345"), data={"code": "ZZZZ2345", "phone": booking.phone})
    assert wrong.status_code == unknown.status_code == 422
    assert "预约码或手机号码不正确" in wrong.text
    assert wrong.text.replace(booking.code, "CODE") == unknown.text.replace("ZZZZ2345", "CODE")
    for text in ("县住建局", "刘海涛", booking.name, "交办", "2027年"):
        assert text not in wrong.text
    # nothing remembered either
    assert "县住建局" not in client.get(url(booking.code)).text


def test_the_phone_check_is_rate_limited_like_the_lookup(tmp_path, database_url, clock):
    from portal import create_app
    from tests.conftest import PortalClient, base_config

    app = create_app({**base_config(tmp_path, database_url), "RATELIMIT_ENABLED": True})
    app.test_client_class = PortalClient
    with app.app_context():
        client = app.test_client()
        # A new code each time: one code's own limit (portal/limits.py) is tested there.
        statuses = [client.post(url(f"ZZZZ{i:04d}"), data={"code": f"ZZZZ{i:04d}",
                                                         "phone": "13900000000"}).status_code
                    for i in range(21)]
        assert statuses[:20] == [422] * 20 and statuses[20] == 429
        db.session.remove()
        db.engine.dispose()


# --- nothing internal -----------------------------------------------------------------------------

def test_no_internal_text_reaches_the_page(client, clock, full_case):
    booking = booking_of(full_case)
    page = open_page(client, booking)
    for name, text in SECRETS.items():
        assert text not in page, name
    assert "第二次进展" not in page and "电话催办" not in page and "催办" not in page
    assert booking.phone not in page and booking.summary not in page
    timeline = steps(page)
    assert timeline.count("责任单位报送办理进展") == 2
    assert "2026年11月25日" in timeline and "2026年12月2日" in timeline
    assert "2026年12月5日" not in timeline  # the reminder's date is not progress


# --- the timeline, stage by stage ------------------------------------------------------------------

def test_booked_and_awaiting_review(client, app):
    booking = factories.book(factories.session())
    timeline = steps(open_page(client, booking))
    assert "预约已提交 2026年11月18日" in timeline
    assert "待审核" in timeline and "待接访" in timeline and "2026年11月23日" in timeline
    assert "接谈结果" not in timeline and "评价" not in timeline


def test_declined_with_the_reason(client, clock):
    booking = factories.book(factories.session())
    management.change_booking(booking, "decline", STAFF, clock.current,
                              reason="所反映事项已进入诉讼程序")
    db.session.commit()
    timeline = steps(open_page(client, booking))
    assert "审核 未通过 原因：所反映事项已进入诉讼程序" in timeline
    assert "接访" not in timeline.replace("预约", "")


def test_a_no_show(client, clock):
    session = factories.session()
    booking = factories.book(session)
    management.change_booking(booking, "confirm", STAFF, clock.current)
    now = builders.at(clock, MONDAY)
    management.change_booking(booking, "no_show", STAFF, now)
    db.session.commit()
    timeline = steps(open_page(client, booking))
    assert "已确认" in timeline and "爽约" in timeline and "刘海涛" in timeline


def test_answered_on_the_spot_shows_the_answer(client, clock):
    record = builders.answered(clock, factories.session())
    booking = db.session.get(Booking, record.booking_id)
    timeline = steps(open_page(client, booking))
    assert "接访 2026年11月23日" in timeline and "已签到" in timeline
    assert "当场答复" in timeline and "已当场解释政策" in timeline
    assert "咨询社保缴费年限" not in timeline  # the request as recorded is staff's
    assert "交办" not in timeline


@pytest.mark.parametrize("outcome, channel, label", [
    ("redirected", "litigation", "引导其他途径（诉讼）"),
    ("not_accepted", "", "不予受理"),
])
def test_redirected_and_not_accepted_show_what_was_said(client, clock, outcome, channel, label):
    booking = builders.visit(clock, factories.session())
    services.save_record(booking, services.RecordInput(
        request="咨询土地纠纷", instruction=SECRETS["instruction"], outcome=outcome,
        channel=channel, answer="请向县人民法院起诉"), None, STAFF, clock.current)
    db.session.commit()
    page = open_page(client, booking)
    assert label in steps(page) and "请向县人民法院起诉" in steps(page)
    assert SECRETS["instruction"] not in page


def test_handed_over_extended_and_concluded(client, clock, full_case):
    booking = booking_of(full_case)
    timeline = steps(open_page(client, booking))
    assert "交办责任单位办理 2026年11月23日" in timeline and "责任单位：县住建局" in timeline
    assert "已延长至 2027年2月11日" in timeline and "原期限 2027年1月22日" in timeline
    assert "办理中" in timeline and "答复意见" not in timeline
    services.conclude(full_case, "补偿款差额已补发到位", date(2026, 12, 9), STAFF, clock.current)
    db.session.commit()
    page = client.get(url(booking.code)).text
    timeline = steps(page)
    assert "办结 2026年12月9日" in timeline and "补偿款差额已补发到位" in timeline
    assert "提交评价" in page


def test_a_walk_in_follows_their_case_too(client, clock):
    session = factories.session(walk_ins=2)
    builders.at(clock, MONDAY)
    booking = factories.walk_in(session, name="王五")
    record = services.save_record(booking, services.RecordInput(
        request="反映事项", instruction="", outcome="answered", answer="已答复王五"),
        None, STAFF, clock.current)
    db.session.commit()
    assert record.id
    timeline = steps(open_page(client, booking))
    assert "现场登记 2026年11月23日" in timeline and "审核" not in timeline
    assert "已答复王五" in timeline


def test_statements_do_not_grow_with_progress_notes(client, clock, full_case):
    booking = booking_of(full_case)
    open_page(client, booking)
    with count_statements() as before:
        assert client.get(url(booking.code)).status_code == 200
    now = clock.current
    for day in (3, 4, 6, 7, 8):
        services.add_note(full_case, "progress", "又一次进展", date(2026, 12, day), STAFF, now)
    db.session.commit()
    with count_statements() as after:
        page = client.get(url(booking.code)).text
    assert steps(page).count("责任单位报送办理进展") == 7
    def reads(statements):
        return [s for s in statements if s.split()[0] not in ("BEGIN", "COMMIT", "ROLLBACK")]

    assert len(reads(after)) == len(reads(before)) <= 6, (before, after)
