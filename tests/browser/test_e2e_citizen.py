"""A citizen end to end on a 360 x 740 phone inside WeChat (its Android user agent), with
JavaScript on and again off: schedule → a session → a wrong ID number shows its message →
corrected → receipt → the .ics downloads → lookup with code + phone → cancel with a reason →
the session's free places go back up. Then the waiting list of a full session and the
case-tracking page."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.browser.conftest import wechat_context
from tests.browser.test_booking_browser import (
    fill_booking,
    no_horizontal_scroll,
    open_bookable_session,
    phone_for,
    valid_id_number,
)

ID_MESSAGE = "身份证号校验位不正确"


def _free(page) -> int:
    return int(page.locator("[data-free-places]").first.get_attribute("data-free-places"))


def _wrong_check_digit(number: str) -> str:
    return number[:17] + ("0" if number[17] != "0" else "1")


def _wrong_id_then_corrected(page, javascript: bool, number: str, phone: str) -> None:
    """The wrong number's message appears where the citizen is; the corrected one goes."""
    if javascript:  # inline: the validation endpoint, on leaving the field, no page load
        with page.expect_response(re.compile(r"/reception/validate/id_number\?")):
            page.get_by_label("身份证号").fill(_wrong_check_digit(number))
            page.get_by_label("身份证号").blur()
        page.locator("#id_number-error").filter(has_text=ID_MESSAGE).wait_for()
        fill_booking(page, number, phone)
        page.get_by_label("身份证号").blur()
        page.locator("#id_number-error").filter(has_text=ID_MESSAGE).wait_for(state="detached")
        return
    # Without JavaScript: the form is sent, the error summary lists the problem as a link.
    fill_booking(page, _wrong_check_digit(number), phone)
    page.get_by_role("button", name="提交预约").click()
    page.wait_for_load_state()
    assert page.title().startswith("错误：")
    summary = page.locator("#error-summary")
    link = summary.get_by_role("link", name=re.compile(ID_MESSAGE))
    assert link.get_attribute("href") == "#id_number"
    assert page.get_by_label("身份证号").get_attribute("aria-invalid") == "true"
    fill_booking(page, number, phone)  # the form kept the other answers; fill them again anyway


def _download_ics(page, session_day: str) -> None:
    with page.expect_download() as download:
        page.get_by_role("link", name="加入日历（.ics）").click()
    text = Path(download.value.path()).read_text(encoding="utf-8")
    assert text.startswith("BEGIN:VCALENDAR")
    assert re.search(rf"DTSTART;TZID=Asia/Shanghai:{session_day.replace('-', '')}T\d{{6}}", text)
    assert download.value.suggested_filename.endswith(".ics")


def _lookup_and_cancel(page, code: str, phone: str) -> None:
    page.goto("/reception/lookup")
    page.get_by_label("预约码").fill(code)
    page.get_by_label("手机号码").fill(phone)
    page.get_by_role("button", name="查询预约").click()
    page.wait_for_url(re.compile(rf"/reception/bookings/{code}(#main)?$"))
    assert page.locator("[data-booking-code]").get_attribute("data-booking-code") == code
    page.get_by_label("原因").fill("家中老人生病，改日再约")
    page.get_by_label("手机号码").fill(phone)
    page.get_by_role("button", name="取消预约").click()
    page.locator(".status", has_text="已取消").wait_for()
    assert "家中老人生病，改日再约" in page.locator(".reason").inner_text()


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_citizen_books_downloads_looks_up_and_cancels(browser, live_server, javascript,
                                                      artifacts):
    context = wechat_context(browser, live_server, java_script_enabled=javascript)
    try:
        page = context.new_page()
        session_id = open_bookable_session(page)
        if javascript:
            page.wait_for_function("window.htmx !== undefined")
        session_day = re.search(r"week=(\d{4}-\d\d-\d\d)",
                                page.locator(".crumbs a").get_attribute("href")).group(1)
        free_before = _free(page)
        number = valid_id_number()
        phone = phone_for(number)
        _wrong_id_then_corrected(page, javascript, number, phone)
        page.get_by_role("button", name="提交预约").click()
        page.wait_for_url(re.compile(r"/reception/bookings/[A-Z0-9]{8}\?new=1(#main)?$"))
        code = page.locator("[data-booking-code]").get_attribute("data-booking-code")
        no_horizontal_scroll(page, "receipt")
        page.screenshot(path=str(artifacts / f"e2e-receipt-wechat-{'js' if javascript else 'nojs'}"
                                              "-360.png"), full_page=True)
        _download_ics(page, session_day)
        page.goto(f"/reception/sessions/{session_id}")
        assert _free(page) == free_before - 1

        # Another day, another browser: look the booking up with code + phone, cancel it.
        later = wechat_context(browser, live_server, java_script_enabled=javascript).new_page()
        _lookup_and_cancel(later, code, phone)
        later.goto(f"/reception/sessions/{session_id}")
        assert _free(later) == free_before, "the cancelled place was not given back"
        later.context.close()
    finally:
        context.close()


def test_full_session_waitlist_and_case_tracking(browser, live_server, seed, artifacts):
    full = seed("full_session")
    context = wechat_context(browser, live_server)
    try:
        page = context.new_page()
        page.goto(f"/reception/sessions/{full['session_id']}")
        assert _free(page) == 0
        assert page.get_by_role("heading", name="加入候补").is_visible()
        number = valid_id_number()
        phone = phone_for(number)
        fill_booking(page, number, phone)
        page.get_by_role("button", name="加入候补").click()
        page.wait_for_url(re.compile(r"/reception/bookings/[A-Z0-9]{8}\?new=1(#main)?$"))
        assert page.get_by_role("heading", name="已加入候补").is_visible()
        assert page.locator("[data-waiting-position]").get_attribute("data-waiting-position") == "1"
        assert "候补第 1 位" in page.locator(".facts").inner_text()
        code = page.locator("[data-booking-code]").get_attribute("data-booking-code")
        no_horizontal_scroll(page, "waitlist receipt")
        page.screenshot(path=str(artifacts / "e2e-waitlist-wechat-360.png"), full_page=True)

        # The case-tracking page, from a browser that does not remember the booking.
        other = wechat_context(browser, live_server).new_page()
        other.goto(f"/reception/bookings/{code}/progress")
        assert other.locator("[data-booking-code]").count() == 0, "progress shown without phone"
        assert other.get_by_label("预约码").input_value() == code
        other.get_by_label("手机号码").fill(phone)
        other.get_by_role("button", name="查询办理进展").click()
        other.get_by_role("heading", name="办理进展").wait_for()
        assert other.locator("[data-booking-code]").get_attribute("data-booking-code") == code
        assert other.locator(".progress-timeline li").count() >= 1
        no_horizontal_scroll(other, "progress")
        other.context.close()
    finally:
        context.close()
