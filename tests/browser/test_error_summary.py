"""Issue 14.1: after 提交预约 with errors the citizen starts at an error summary — shown first,
focused, the page title starting with 错误 — on a 360 px phone, with and without JavaScript;
the same on the lookup form."""
from __future__ import annotations

import re
import shutil

import pytest

from tests.browser.test_booking_browser import (
    fill_booking,
    no_horizontal_scroll,
    open_bookable_session,
    phone_for,
    submit_booking,
    valid_id_number,
)

SCREENSHOT = "/tmp/error-summary-360-nojs.png"
VIEWPORT_HEIGHT = 740


def summary_first_and_focused(page) -> None:
    summary = page.locator("#error-summary")
    summary.wait_for()
    page.wait_for_function("document.activeElement && document.activeElement.id === 'error-summary'")
    assert page.title().startswith("错误：")
    box = summary.bounding_box()
    assert box is not None and -1 <= box["y"] < VIEWPORT_HEIGHT / 2, \
        f"the summary is not what the citizen sees first: {box}"
    assert summary.get_attribute("tabindex") == "-1"
    assert summary.get_by_role("heading").inner_text().strip()


def submit(page, button: str, javascript: bool) -> None:
    if javascript:
        page.get_by_role("button", name=button).click()
    else:
        with page.expect_navigation():
            page.get_by_role("button", name=button).click()


@pytest.mark.parametrize("javascript", [False, True], ids=["no-js", "js"])
def test_booking_errors_start_at_a_focused_summary(new_page, artifacts, javascript):
    page = new_page(mobile=True, javascript=javascript)
    open_bookable_session(page)
    assert not page.title().startswith("错误")
    number = valid_id_number()
    fill_booking(page, number, "123 4567")  # a phone number too short
    page.get_by_label(re.compile("个人信息处理告知书")).uncheck()
    submit(page, "提交预约", javascript)
    summary_first_and_focused(page)
    links = page.locator("#error-summary a")
    assert [links.nth(i).get_attribute("href") for i in range(links.count())] == [
        "#phone", "#consent"]
    assert "手机号码应为 11 位" in links.nth(0).inner_text()
    no_horizontal_scroll(page, "booking errors")
    if not javascript:
        page.screenshot(path=SCREENSHOT)  # the screen the citizen sees, not the whole page
        shutil.copy(SCREENSHOT, artifacts / "error-summary-360-nojs.png")
    else:
        assert "#" not in page.url, "htmx carried the summary's anchor into the address"

    # A link of the summary brings its field (and its label) into view, with the focus.
    links.nth(0).click()
    page.wait_for_function("document.activeElement && document.activeElement.id === 'phone'")
    label = page.locator("label[for=phone]").bounding_box()
    assert label is not None and -1 <= label["y"] < VIEWPORT_HEIGHT

    # Corrected, the booking goes through to the receipt — without the summary's anchor.
    page.get_by_label("手机号码").fill(phone_for(number))
    page.get_by_label(re.compile("个人信息处理告知书")).check()
    if javascript:
        submit_booking(page)
    else:
        submit(page, "提交预约", javascript)
        assert page.locator("[data-booking-code]").count() == 1
    assert "error-summary" not in page.url
    assert not page.title().startswith("错误")


@pytest.mark.parametrize("javascript", [False, True], ids=["no-js", "js"])
def test_lookup_errors_start_at_a_focused_summary(new_page, javascript):
    page = new_page(mobile=True, javascript=javascript)
    page.goto("/reception/lookup")
    page.get_by_label("预约码").fill("ABCD 2345")
    page.get_by_label("手机号码").fill("139 0000 0000")
    submit(page, "查询预约", javascript)
    summary_first_and_focused(page)
    assert "预约码或手机号码不正确" in page.locator("#error-summary").inner_text()
    assert page.locator("#error-summary a").first.get_attribute("href") == "#code"
    no_horizontal_scroll(page, "lookup errors")
