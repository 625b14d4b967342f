"""A citizen's booking in a real browser: 360 px phone, with and without JavaScript, htmx inline
validation, the strict CSP, and lookup + cancellation."""
from __future__ import annotations

import re
from itertools import count

from stdnum.cn import ric

_seq = count(101)


def valid_id_number() -> str:
    """A valid 18-digit ID number, new for each booking (一人一号 holds across tests)."""
    body = "110105" + "19700517" + f"{next(_seq):03d}"
    return body + ric.calc_check_digit(body + "0")


def phone_for(id_number: str) -> str:
    return "139" + id_number[-9:-1]  # 8 digits of the birth date and sequence


def no_horizontal_scroll(page, where: str) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"{where}: page is {width}px wide on a 360px screen (horizontal scroll)"


def open_bookable_session(page) -> int:
    """From the home page, through the schedule, into a session open for booking now."""
    page.goto("/")
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="接访安排").click()
    page.wait_for_url(re.compile(r"/reception/?(\?.*)?$"))
    for _week in range(3):  # this week, else the next ones
        book = page.locator(".session-card a.button", has_text="预约")
        if book.count():
            break
        page.get_by_role("link", name=re.compile("下一周")).click()
        page.wait_for_load_state()
    assert book.count(), "no session open for booking on the schedule (the demo seed makes some)"
    book.first.click()
    page.wait_for_url(re.compile(r"/reception/sessions/\d+$"))
    free = int(page.locator("[data-free-places]").first.get_attribute("data-free-places"))
    assert free > 0
    return int(page.url.rsplit("/", 1)[1])


def fill_booking(page, id_number: str, phone: str) -> None:
    page.get_by_label("姓名").fill("张建华")
    page.get_by_label("身份证号").fill(id_number)
    page.get_by_label("手机号码").fill(phone)
    category = page.get_by_label("反映事项类别")
    first = category.locator("option").nth(1).get_attribute("value")  # the 0th is 请选择
    category.select_option(first)
    page.get_by_label("事项简述").fill("小区物业擅自提高收费标准，多次协商无果，请求处理。")
    page.get_by_label("来访人数").fill("1")
    page.get_by_label(re.compile("个人信息处理告知书")).check()


def submit_booking(page) -> str:
    """Press 提交预约, land on the receipt; return the booking code."""
    page.get_by_role("button", name="提交预约").click()
    page.wait_for_url(re.compile(r"/reception/bookings/[A-Z0-9]+\?new=1$"))
    receipt = page.locator("[data-booking-code]")
    receipt.wait_for()
    code = receipt.get_attribute("data-booking-code")
    assert code and re.fullmatch(r"[A-Z0-9]{8}", code)
    return code


def test_mobile_booking_with_javascript(new_page, artifacts):
    page = new_page(mobile=True, javascript=True)
    open_bookable_session(page)
    no_horizontal_scroll(page, "session page")
    number = valid_id_number()
    fill_booking(page, number, phone_for(number))
    code = submit_booking(page)
    assert page.locator(".confirmation .code").inner_text().strip() == code
    qr = page.locator("svg.qr")
    qr.scroll_into_view_if_needed()
    assert qr.is_visible()
    box = qr.bounding_box()
    assert box and box["width"] >= 100 and box["height"] >= 100
    no_horizontal_scroll(page, "receipt")
    page.screenshot(path=str(artifacts / "booking-mobile-360.png"), full_page=True)


def test_inline_id_number_validation_without_page_load(new_page, require_htmx, artifacts):
    page = new_page(mobile=True, javascript=True)
    open_bookable_session(page)
    page.wait_for_function("window.htmx !== undefined")
    page.evaluate("window.__sameDocument = true")
    loads = []
    page.on("load", lambda loaded: loads.append(loaded.url))
    good = valid_id_number()
    bad = good[:17] + ("0" if good[17] != "0" else "1")
    with page.expect_response(re.compile(r"/reception/validate/id_number\?")) as answer:
        page.get_by_label("身份证号").fill(bad)
        page.get_by_label("身份证号").blur()
    assert answer.value.ok
    error = page.locator("#id_number-error")
    error.filter(has_text="身份证号校验位不正确").wait_for()
    assert error.is_visible()
    assert page.evaluate("window.__sameDocument") is True, "the page was reloaded"
    assert loads == []
    page.screenshot(path=str(artifacts / "inline-validation-360.png"), full_page=True)
    # A correct number clears the message, again in place.
    with page.expect_response(re.compile(r"/reception/validate/id_number\?")):
        page.get_by_label("身份证号").fill(good)
        page.get_by_label("身份证号").blur()
    page.locator("#id_number-error").filter(has_text="身份证号").wait_for(state="detached")
    assert page.locator("#id_number-error").inner_text().strip() == ""


def test_booking_works_without_javascript(new_page, artifacts):
    page = new_page(mobile=True, javascript=False)
    open_bookable_session(page)
    no_horizontal_scroll(page, "session page without JavaScript")
    number = valid_id_number()
    fill_booking(page, number, phone_for(number))
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name="提交预约").click()
    response = navigation.value
    redirect = response.request.redirected_from
    assert redirect is not None and redirect.method == "POST"
    assert redirect.response().status == 303
    assert re.search(r"/reception/bookings/[A-Z0-9]{8}\?new=1$", response.url)
    assert page.locator("[data-booking-code]").get_attribute("data-booking-code")
    assert page.locator("svg.qr").is_visible()
    page.screenshot(path=str(artifacts / "booking-no-js-360.png"), full_page=True)


def test_strict_csp_and_no_violations(new_page, require_htmx):
    page = new_page(mobile=True, javascript=True)
    messages = []
    page.on("console", lambda message: messages.append(f"{message.type}: {message.text}"))
    page.on("pageerror", lambda error: messages.append(f"pageerror: {error}"))
    response = page.goto("/")
    csp = response.headers.get("content-security-policy", "")
    assert "script-src 'self'" in csp and "default-src 'self'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    open_bookable_session(page)
    page.wait_for_function("window.htmx !== undefined")
    # Exercise htmx (inline validation) and the receipt with its inline SVG.
    number = valid_id_number()
    with page.expect_response(re.compile(r"/reception/validate/phone\?")):
        page.get_by_label("手机号码").fill("12345")
        page.get_by_label("手机号码").blur()
    fill_booking(page, number, phone_for(number))
    submit_booking(page)
    assert page.locator("svg.qr").is_visible()
    page.goto("/reception/lookup")
    violations = [m for m in messages if "Content Security Policy" in m]
    assert violations == [], violations


def test_lookup_and_cancel(new_page, artifacts):
    booker = new_page(mobile=True, javascript=True)
    open_bookable_session(booker)
    number = valid_id_number()
    phone = phone_for(number)
    fill_booking(booker, number, phone)
    code = submit_booking(booker)

    page = new_page(mobile=True, javascript=True)  # another browser: no remembered receipt
    page.goto(f"/reception/bookings/{code}")
    assert page.locator("[data-booking-code]").count() == 0, "receipt shown without the phone"
    page.goto("/reception/lookup")
    page.get_by_label("预约码").fill(code.lower())
    page.get_by_label("手机号码").fill(phone)
    page.get_by_role("button", name="查询预约").click()
    page.wait_for_url(re.compile(rf"/reception/bookings/{code}(#main)?$"))
    assert page.locator("[data-booking-code]").get_attribute("data-booking-code") == code
    assert page.locator(".status").inner_text().strip() == "待审核"

    page.get_by_label("原因").fill("临时有事，改日再约")
    page.get_by_label("手机号码").fill(phone)  # asked again, even on a shown receipt
    page.get_by_role("button", name="取消预约").click()
    page.locator(".status", has_text="已取消").wait_for()
    assert page.locator(".status").inner_text().strip() == "已取消"
    assert "临时有事，改日再约" in page.locator(".reason").inner_text()
    assert page.get_by_role("button", name="取消预约").count() == 0
    no_horizontal_scroll(page, "cancelled receipt")
    page.screenshot(path=str(artifacts / "cancelled-360.png"), full_page=True)

    # A wrong phone number reveals nothing.
    other = new_page(mobile=True, javascript=False)
    other.goto("/reception/lookup")
    other.get_by_label("预约码").fill(code)
    other.get_by_label("手机号码").fill("13800000000")
    other.get_by_role("button", name="查询预约").click()
    other.get_by_text("预约码或手机号码不正确").wait_for()
    assert other.locator("[data-booking-code]").count() == 0
