"""The whole citizen booking with the keyboard only (Tab, Enter, Space, arrow keys), from the
home page to the receipt; at every focus stop the focused element must show a visible focus
indicator (a computed outline or box-shadow) and be inside the viewport."""
from __future__ import annotations

import re

from tests.browser.test_booking_browser import phone_for, valid_id_number

FOCUS = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return {stop: "body", ok: false};
  const cs = getComputedStyle(el), r = el.getBoundingClientRect();
  const outline = cs.outlineStyle !== "none" && parseFloat(cs.outlineWidth) > 0;
  const shadow = cs.boxShadow !== "none";
  const inView = r.width > 0 && r.height > 0 && r.bottom > 0 && r.right > 0
    && r.top < innerHeight && r.left < innerWidth;
  const name = (el.id ? "#" + el.id : "") + " " + (el.innerText || el.value || "").trim().slice(0, 20);
  return {stop: el.tagName.toLowerCase() + name, ok: (outline || shadow) && inView,
          outline, shadow, inView};
}"""
MAX_TABS = 120


def _tab_to(page, selector: str, stops: list[str], backwards: bool = False,
            text: str = "") -> None:
    """Press Tab (or Shift+Tab) until ``selector`` (holding ``text``) has the focus, checking
    every stop."""
    for _ in range(MAX_TABS):
        page.keyboard.press("Shift+Tab" if backwards else "Tab")
        focus = page.evaluate(FOCUS)
        assert focus["ok"], f"focus not visible at stop {len(stops) + 1}: {focus}"
        stops.append(focus["stop"])
        if page.evaluate("([s, t]) => document.activeElement.matches(s)"
                         " && document.activeElement.innerText.includes(t)", [selector, text]):
            return
    raise AssertionError(f"{selector} never got the focus; stops: {stops[-15:]}")


def _to_a_session(page, stops: list[str]) -> None:
    """Home → 接访安排 → the first session open for booking (next weeks if need be)."""
    _tab_to(page, "nav a[href^='/reception/']", stops)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/reception/?(\?.*)?$"))
    for _week in range(3):
        if page.locator(".session-card a.button", has_text="预约").count():
            _tab_to(page, ".session-card a.button", stops)
            break
        _tab_to(page, "a[href*='week=']", stops, text="下一周")
        page.keyboard.press("Enter")
        page.wait_for_load_state()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/reception/sessions/\d+$"))


def test_the_whole_booking_with_the_keyboard_and_visible_focus(new_page, artifacts):
    page = new_page(mobile=False, javascript=True)
    page.goto("/")
    stops: list[str] = []
    _to_a_session(page, stops)
    number = valid_id_number()
    for selector, text in (("#name", "王秀英"), ("#id_number", number),
                           ("#phone", phone_for(number))):
        _tab_to(page, selector, stops)
        page.keyboard.type(text)
    _tab_to(page, "#category", stops)
    page.keyboard.press("ArrowDown")  # from 请选择 to the first category
    assert page.locator("#category").input_value() != ""
    _tab_to(page, "#summary", stops)
    page.keyboard.type("邻居违章搭建影响采光，多次反映未解决。")
    _tab_to(page, "#party_size", stops)
    page.keyboard.press("Control+A")
    page.keyboard.type("1")
    _tab_to(page, "#consent", stops)
    page.keyboard.press("Space")
    assert page.locator("#consent").is_checked()
    # Back and forth: Shift+Tab returns to the summary, Tab comes back to the consent box.
    _tab_to(page, "#summary", stops, backwards=True)
    _tab_to(page, "#consent", stops)
    _tab_to(page, "button[type=submit]", stops, text="提交预约")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/reception/bookings/[A-Z0-9]{8}\?new=1(#main)?$"))
    assert page.locator("[data-booking-code]").get_attribute("data-booking-code")
    # On the receipt the keyboard reaches the calendar file and the print link.
    _tab_to(page, "a[href$='.ics']", stops)
    _tab_to(page, "a[href$='/print']", stops)
    page.screenshot(path=str(artifacts / "e2e-keyboard-receipt.png"))
    assert len(stops) >= 10
