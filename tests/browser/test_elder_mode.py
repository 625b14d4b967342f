"""Issue 12: the elder-friendly mode (长辈版) in a real browser at 360 px, without JavaScript
(the switch is a plain form) and with it (the booking): body text of at least 18 px with
larger headings, AAA contrast (axe's color-contrast-enhanced, 7:1), 44-px targets, no motion,
and the whole booking through the same pages."""
from __future__ import annotations

import re

from tests.browser.test_a11y import BLOCKING, TARGETS
from tests.browser.test_booking_browser import (
    fill_booking,
    open_bookable_session,
    phone_for,
    submit_booking,
    valid_id_number,
)

# Every visible element that holds text of its own, with its computed size.
TEXT_SIZES = """
[...document.querySelectorAll('body *')]
  .filter(e => e.offsetParent !== null && e.getClientRects().length &&
               [...e.childNodes].some(n => n.nodeType === 3 && n.textContent.trim()))
  .map(e => ({what: e.tagName.toLowerCase() + ' ' + e.textContent.trim().slice(0, 12),
              size: parseFloat(getComputedStyle(e).fontSize)}))
"""
MOTION = """
[...document.querySelectorAll('body, body *')]
  .map(e => getComputedStyle(e))
  .filter(s => s.transitionDuration.split(',').some(d => parseFloat(d) > 0) ||
               s.animationName !== 'none')
  .length
"""
AAA = {"color-contrast-enhanced": {"enabled": True}}  # off in axe by default


def measure(page, axe) -> dict:
    sizes = page.evaluate(TEXT_SIZES)
    return {
        "small text": [f"{s['what']} {s['size']}px" for s in sizes
                       if s["size"] < 18 and not s["what"].startswith("a 跳到正文")],
        "body": float(page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")),
        "h1": float(page.evaluate("parseFloat(getComputedStyle(document.querySelector('h1')).fontSize)")),
        "axe": [f"{v['impact']} {v['id']} {v['nodes']}"
                for v in axe(page, rules=AAA) if v["impact"] in BLOCKING],
        "small targets": [f"{t['what']} {t['w']}×{t['h']}" for t in page.evaluate(TARGETS)],
        "moving": page.evaluate(MOTION),
    }


def assert_elder(page, axe, where: str) -> None:
    page.wait_for_load_state("networkidle")
    assert page.evaluate("document.documentElement.classList.contains('care')"), where
    found = measure(page, axe)
    assert found["body"] >= 18 and found["h1"] > found["body"], (where, found)
    assert found["small text"] == [], (where, found["small text"])
    assert found["axe"] == [], (where, found["axe"])
    assert found["small targets"] == [], (where, found["small targets"])
    assert found["moving"] == 0, where


def test_the_switch_works_without_javascript_and_is_remembered(new_page, axe, live_server):
    page = new_page(mobile=True, javascript=False)
    page.goto("/reception/lookup")
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name="长辈版（大字）").click()
    response = navigation.value
    assert response.request.redirected_from.method == "POST"
    assert re.search(r"/reception/lookup$", response.url)  # back where the citizen was
    cookie = next(c for c in page.context.cookies() if c["name"] == "care_mode")
    assert cookie["value"] == "1" and cookie["sameSite"] == "Lax" and cookie["expires"] > 0
    page.goto("/evaluation/results/")
    assert page.locator("html.care").count() == 1  # every page, from the cookie
    page.get_by_role("button", name="退出长辈版").click()
    page.wait_for_url(re.compile(r"/evaluation/results/$"))
    assert page.locator("html.care").count() == 0
    assert not [c for c in page.context.cookies() if c["name"] == "care_mode"]


def test_public_pages_and_the_booking_in_elder_mode(new_page, axe, live_server):
    page = new_page(mobile=True, javascript=True)
    page.goto("/")
    normal = measure(page, axe)
    assert normal["small text"], "the normal pages have text under 18 px: the check can fail"
    page.get_by_role("button", name="长辈版（大字）").click()
    page.wait_for_url(re.compile(r"/$"))
    assert_elder(page, axe, "home")
    assert page.get_by_text("三步预约").is_visible()
    for path in ("/reception/", "/reception/lookup", "/evaluation/notices/", "/evaluation/results/"):
        page.goto(path)
        assert_elder(page, axe, path)
    # The booking: the same three steps, now in large type.
    session = open_bookable_session(page)
    assert_elder(page, axe, "the session and its form")
    page.get_by_label("身份证号").fill("110105197005170000")
    page.get_by_role("button", name="提交预约").click()
    page.locator("#error-summary").wait_for()
    assert_elder(page, axe, "the form with errors")
    page.goto(f"/reception/sessions/{session}")
    number = valid_id_number()
    fill_booking(page, number, phone_for(number))
    code = submit_booking(page)
    assert_elder(page, axe, "the receipt")
    assert page.locator(".confirmation .code").inner_text().strip() == code
    page.goto(f"/reception/bookings/{code}/print")
    assert_elder(page, axe, "the receipt's print page")
