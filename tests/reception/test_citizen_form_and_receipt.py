"""Issue 14, the citizen's booking form and receipt: the error summary (1), input as people type
it (4), a receipt that prints without JavaScript and names the bureau (5), a calendar file that
follows the booking (6), and receipts on shared computers (7)."""
from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from icalendar import Calendar
from sqlalchemy import select

from portal import bureau, calendar, settings
from portal.extensions import db
from portal.reception import documents, management
from portal.reception.models import Booking
from tests import factories

HX_BOOSTED = {"HX-Request": "true", "HX-Boosted": "true"}
TYPED_PHONE = "138 0013 8000"


def code_of(location: str) -> str:
    return location.split("/bookings/")[1].split("?")[0].split("#")[0]


def book(client, session, **overrides) -> tuple[str, dict]:
    form = factories.booking_form(**overrides)
    response = client.post(f"/reception/sessions/{session.id}", data=form)
    assert response.status_code == 303, response.text[:500]
    return code_of(response.headers["Location"]), form


def title(page) -> str:
    return re.search(r"<title>(.*?)</title>", page.text, re.S).group(1).strip()


def summary_links(page) -> list[str]:
    box = re.search(r'<div id="error-summary".*?</div>', page.text, re.S)
    assert box, "no error summary"
    return re.findall(r'<a href="#([\w-]+)">', box.group())


def attributes(page, field: str) -> dict[str, str]:
    tag = re.search(rf'<(?:input|textarea|select)[^>]*\bid="{field}"[^>]*>', page.text).group()
    return dict(re.findall(r'([\w-]+)="([^"]*)"', tag))


def ics_event(response):
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    cal = Calendar.from_ical(response.data)
    events = cal.walk("VEVENT")
    assert len(events) == 1
    return cal, events[0]


# --- 1. the error summary ------------------------------------------------------------------------

def test_booking_errors_start_with_a_summary_linking_each_field(client):
    session = factories.session()
    page = client.get(f"/reception/sessions/{session.id}")
    assert not title(page).startswith("错误") and 'id="error-summary"' not in page.text
    # The booking form (the header's 长辈版 switch is a form too) sends the citizen back to it.
    actions = re.findall(r'<form method="post" action="([^"]+)"', page.text)
    assert f"/reception/sessions/{session.id}#error-summary" in actions

    response = client.post(f"/reception/sessions/{session.id}", data=factories.booking_form(
        name="", id_number="330781197005171230", phone="12345", summary="", consent=""))
    assert response.status_code == 422
    assert title(response).startswith("错误：")
    # Every problem, in the order of the fields, each a link to its field.
    assert summary_links(response) == ["name", "id_number", "phone", "summary", "consent"]
    summary = re.search(r'<div id="error-summary"[^>]*>', response.text).group()
    assert 'tabindex="-1"' in summary and "data-error-summary" in summary
    # At the top of the form: before its first field.
    assert response.text.index('id="error-summary"') < response.text.index('id="name"')
    assert "事项简述：" in response.text  # a message that does not name its field gets the label


def test_a_boosted_submission_gets_the_summary_and_the_title_too(client):
    session = factories.session()
    response = client.post(f"/reception/sessions/{session.id}", headers=HX_BOOSTED,
                           data=factories.booking_form(phone="1"))
    assert response.status_code == 422 and "<html" in response.text
    assert title(response).startswith("错误：") and summary_links(response) == ["phone"]


def test_a_refusal_of_the_whole_form_is_in_the_summary(client):
    session = factories.session(end=datetime(2026, 1, 1, 9, 20).time())
    factories.book(session)
    full = client.post(f"/reception/sessions/{session.id}", data=factories.booking_form())
    assert full.status_code == 422 and title(full).startswith("错误：")
    box = re.search(r'<div id="error-summary".*?</div>', full.text, re.S).group()
    assert "名额已满" in box


def test_a_success_redirect_names_its_own_anchor(client):
    """Browsers carry the action's #error-summary over to a redirect without an anchor."""
    session = factories.session()
    response = client.post(f"/reception/sessions/{session.id}", data=factories.booking_form())
    assert response.headers["Location"].endswith("?new=1#main")


def test_lookup_errors_come_with_the_summary(client):
    page = client.get("/reception/lookup")
    assert 'action="/reception/lookup#error-summary"' in page.text
    assert not title(page).startswith("错误")
    empty = client.post("/reception/lookup", data={"code": "", "phone": ""})
    assert empty.status_code == 422 and title(empty).startswith("错误：")
    assert summary_links(empty) == ["code", "phone"]
    wrong = client.post("/reception/lookup", data={"code": "ABCD2345", "phone": "13900000000"})
    assert wrong.status_code == 422 and title(wrong).startswith("错误：")
    assert summary_links(wrong) == ["code"] and "预约码或手机号码不正确" in wrong.text


def test_cancel_errors_come_with_the_summary(client):
    code, _form = book(client, factories.session())
    receipt = client.get(f"/reception/bookings/{code}")
    assert f'action="/reception/bookings/{code}/cancel#error-summary"' in receipt.text
    refused = client.post(f"/reception/bookings/{code}/cancel", data={"reason": "", "phone": ""})
    assert refused.status_code == 422 and title(refused).startswith("错误：")
    assert summary_links(refused) == ["reason", "phone"]


# --- 4. input as people type it --------------------------------------------------------------------

def test_inputs_leave_room_for_spaces_and_hyphens(client):
    session = factories.session()
    page = client.get(f"/reception/sessions/{session.id}")
    phone, id_number = attributes(page, "phone"), attributes(page, "id_number")
    assert phone["type"] == "tel" and phone["inputmode"] == "tel"
    assert phone["autocomplete"] == "tel-national"  # autofill of "tel" may give "+86 …"
    assert int(phone["maxlength"]) >= len("1 3 8 0 0 1 3 8 0 0 0")
    assert int(id_number["maxlength"]) >= len(" ".join("330781197005171235"))
    assert id_number["inputmode"] == "text"  # the last character may be X
    code, form = book(client, session)
    for page in (client.get("/reception/lookup"), client.get(f"/reception/bookings/{code}")):
        phone = attributes(page, "phone")
        assert phone["type"] == "tel" and int(phone["maxlength"]) >= len(TYPED_PHONE) + 4
    assert int(attributes(client.get("/reception/lookup"), "code")["maxlength"]) >= len(
        "ABCD 2345")


@pytest.mark.parametrize("value", [TYPED_PHONE, "138-0013-8000", "１３８ ００１３ ８０００",
                                   " ".join("13800138000") + "   " * 10])
def test_inline_validation_takes_the_phone_as_typed(client, value):
    answer = client.get("/reception/validate/phone", query_string={"phone": value},
                        headers={"HX-Request": "true"})
    assert answer.status_code == 200
    assert re.search(r'id="phone-error"[^>]*></p>', answer.text), answer.text


def test_inline_validation_takes_the_id_number_as_typed(client):
    number = factories.id_number(seq=123)
    spaced = " - ".join("  ".join(part) for part in (number[:6], number[6:14], number[14:]))
    assert len(spaced) > 40
    for value in (spaced, "".join(chr(0xFF10 + int(c)) if c.isdigit() else c for c in number)):
        answer = client.get("/reception/validate/id_number", query_string={"id_number": value})
        assert re.search(r'id="id_number-error"[^>]*></p>', answer.text), (value, answer.text)


def test_a_booking_typed_with_spaces_is_found_and_cancelled_as_typed(app, client):
    session = factories.session()
    number = factories.id_number(seq=124)
    typed = f"{number[:6]} {number[6:14]}-{number[14:]}"
    code, _form = book(client, session, phone=TYPED_PHONE, id_number=typed)
    stranger = app.test_client()
    found = stranger.post("/reception/lookup", data={"code": code[:4] + " " + code[4:],
                                                      "phone": "138-0013-8000"})
    assert found.status_code == 303
    done = stranger.post(f"/reception/bookings/{code}/cancel",
                         data={"reason": "有事", "phone": "１３８ ００１３ ８０００"})
    assert done.status_code == 303
    assert db.session.scalar(select(Booking.status)) == "cancelled"


# --- 5. the receipt, on paper ---------------------------------------------------------------------

def test_printing_needs_no_javascript_and_names_the_bureau(client):
    code, form = book(client, factories.session())
    receipt = client.get(f"/reception/bookings/{code}")
    link = f'href="/reception/bookings/{code}/print"'
    assert link in receipt.text and "打印回执" in receipt.text
    # The receipt printed as it is (the site header is hidden in print) still names the bureau.
    assert re.search(r'class="receipt-org print-only">\s*<p><strong>县信访局</strong>',
                     receipt.text)
    printable = client.get(f"/reception/bookings/{code}/print")
    assert printable.status_code == 200
    assert f'data-booking-code="{code}"' in printable.text
    assert re.search(r'class="receipt-org">\s*<p><strong>县信访局</strong>', printable.text)
    assert "<svg" in printable.text and "第 1 号" in printable.text
    assert "/cancel" not in printable.text  # nothing to press on paper
    # The print button needs the script: hidden until it runs.
    assert re.search(r"<button[^>]*data-print[^>]*hidden", printable.text)
    assert "<script>" not in printable.text


def test_the_printout_uses_the_bureau_name_in_force(client):
    settings.save({bureau.NAME.key: "青山县信访局"})
    db.session.commit()
    code, _form = book(client, factories.session())
    assert "<strong>青山县信访局</strong>" in client.get(f"/reception/bookings/{code}/print").text
    assert "青山县信访局" in client.get(f"/reception/bookings/{code}.ics").get_data(as_text=True)


def test_places_read_as_places_and_the_citizen_sees_their_own_name(client):
    code, form = book(client, factories.session(), name="欧阳建华")
    receipt = client.get(f"/reception/bookings/{code}")
    assert "第 1 号" in receipt.text
    assert not re.search(r"(?<!第 )\b\d+ 号", receipt.text)
    assert "<dd>欧阳建华</dd>" in receipt.text


def test_the_print_page_needs_the_phone_like_the_receipt(app, client):
    code, _form = book(client, factories.session())
    stranger = app.test_client().get(f"/reception/bookings/{code}/print")
    assert stranger.status_code == 200 and "data-booking-code" not in stranger.text
    assert "手机号码" in stranger.text


# --- 6. the calendar file -------------------------------------------------------------------------

def test_the_ics_has_its_time_zone_and_a_reminder_the_day_before(client):
    code, _form = book(client, factories.session())
    cal, event = ics_event(client.get(f"/reception/bookings/{code}.ics"))
    zones = cal.walk("VTIMEZONE")
    assert [str(z["TZID"]) for z in zones] == ["Asia/Shanghai"]
    assert str(event["DTSTART"].params["TZID"]) == "Asia/Shanghai"
    assert event.decoded("DTSTART") == datetime(2026, 11, 23, 9, 0, tzinfo=calendar.TZ)
    assert str(event["STATUS"]) == "TENTATIVE" and int(event["SEQUENCE"]) == 0
    assert "第 1 号" in str(event["SUMMARY"])
    [alarm] = event.walk("VALARM")
    assert str(alarm["ACTION"]) == "DISPLAY" and str(alarm["DESCRIPTION"])
    assert alarm.decoded("TRIGGER") == timedelta(days=-1)


def test_a_cancelled_booking_serves_a_cancelled_event(client, clock):
    code, form = book(client, factories.session())
    _cal, before = ics_event(client.get(f"/reception/bookings/{code}.ics"))
    clock.set(datetime(2026, 11, 18, 10, 5))
    done = client.post(f"/reception/bookings/{code}/cancel",
                       data={"reason": "家中有事", "phone": form["phone"]})
    assert done.status_code == 303
    _cal, after = ics_event(client.get(f"/reception/bookings/{code}.ics"))
    assert str(after["UID"]) == str(before["UID"])
    assert str(after["STATUS"]) == "CANCELLED"
    assert int(after["SEQUENCE"]) > int(before["SEQUENCE"])
    assert after.walk("VALARM") == []  # no reminder for an event that will not happen
    receipt = client.get(f"/reception/bookings/{code}")
    assert "加入日历" not in receipt.text and "预约其他场次" in receipt.text
    assert f'href="/reception/bookings/{code}.ics"' in receipt.text  # to update the calendar


def test_a_declined_booking_offers_another_session_instead_of_the_calendar(client):
    code, _form = book(client, factories.session())
    assert "加入日历" in client.get(f"/reception/bookings/{code}").text
    _cal, before = ics_event(client.get(f"/reception/bookings/{code}.ics"))
    booking = db.session.scalar(select(Booking))
    # The same second as the booking: the sequence is higher all the same.
    management.change_booking(booking, "decline", factories.STAFF, calendar.now(), "请先向镇政府反映")
    db.session.commit()
    _cal, after = ics_event(client.get(f"/reception/bookings/{code}.ics"))
    assert str(after["UID"]) == str(before["UID"]) and str(after["STATUS"]) == "CANCELLED"
    assert int(after["SEQUENCE"]) > int(before["SEQUENCE"])
    receipt = client.get(f"/reception/bookings/{code}")
    assert "加入日历" not in receipt.text
    assert 'href="/reception/"' in receipt.text and "预约其他场次" in receipt.text


def test_the_sequence_keeps_rising_when_a_declined_booking_is_confirmed_again(app, clock):
    booking = factories.book(factories.session())
    seen = [documents.ics_sequence(booking)]
    for minute, action in ((1, "confirm"), (2, "decline"), (3, "confirm")):
        clock.set(datetime(2026, 11, 18, 10, minute))
        management.change_booking(booking, action, factories.STAFF, calendar.now(), "原因")
        db.session.commit()
        seen.append(documents.ics_sequence(booking))
    assert seen == sorted(set(seen))


# --- 7. shared computers --------------------------------------------------------------------------

def test_a_browser_remembers_only_the_receipt_just_made(client):
    session = factories.session()
    first, _ = book(client, session)
    second, _ = book(client, session)
    assert "data-booking-code" not in client.get(f"/reception/bookings/{first}").text
    assert client.get(f"/reception/bookings/{first}.ics").status_code == 404
    assert f'data-booking-code="{second}"' in client.get(f"/reception/bookings/{second}").text


def test_a_remembered_receipt_is_forgotten_after_a_short_time(client, clock):
    code, _form = book(client, factories.session())
    clock.set(datetime(2026, 11, 18, 10, 14))
    assert "data-booking-code" in client.get(f"/reception/bookings/{code}").text
    clock.set(datetime(2026, 11, 18, 10, 16))
    page = client.get(f"/reception/bookings/{code}")
    assert "data-booking-code" not in page.text and "手机号码" in page.text
    assert client.get(f"/reception/bookings/{code}.ics").status_code == 404


def test_leaving_clears_the_receipt(client):
    code, _form = book(client, factories.session())
    receipt = client.get(f"/reception/bookings/{code}")
    assert 'action="/reception/forget"' in receipt.text and "退出" in receipt.text
    left = client.post("/reception/forget")
    assert left.status_code == 303 and left.headers["Location"].endswith("/reception/lookup")
    assert "不再保存" in client.get("/reception/lookup").text
    assert "data-booking-code" not in client.get(f"/reception/bookings/{code}").text


def test_receipts_remembered_by_an_earlier_version_are_not_shown(client):
    booking = factories.book(factories.session())
    with client.session_transaction() as kept:
        kept["receipts"] = [booking.code]
    assert "data-booking-code" not in client.get(f"/reception/bookings/{booking.code}").text


def test_cancelling_asks_for_the_phone_even_on_a_remembered_receipt(client):
    code, form = book(client, factories.session())
    receipt = client.get(f"/reception/bookings/{code}")
    assert 'name="phone"' in receipt.text  # in the cancel form
    refused = client.post(f"/reception/bookings/{code}/cancel", data={"reason": "有事"})
    assert refused.status_code == 422 and "请填写预约时的手机号码" in refused.text
    wrong = client.post(f"/reception/bookings/{code}/cancel",
                        data={"reason": "有事", "phone": "13900000000"})
    assert wrong.status_code == 422 and "手机号码与预约时填写的不一致" in wrong.text
    assert db.session.scalar(select(Booking.status)) == "pending"
    done = client.post(f"/reception/bookings/{code}/cancel",
                       data={"reason": "有事", "phone": form["phone"]})
    assert done.status_code == 303 and db.session.scalar(select(Booking.status)) == "cancelled"
