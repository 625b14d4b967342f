"""Issue 15, item 9: the strict CSP holds with JavaScript on. Every main public and staff
page is opened in Chromium; any CSP report in the console or any ``securitypolicyviolation``
event fails the test (htmx once injected its indicator styles, refused by ``style-src``)."""
from __future__ import annotations

import re

PUBLIC_PAGES = ["/", "/reception/", "/reception/lookup", "/evaluation/notices/",
                "/evaluation/results/"]
STAFF_PAGES = [  # (user, password, pages)
    ("admin", "demo-guanli-2026",
     ["/staff/", "/staff/users", "/staff/settings", "/staff/calendar", "/staff/audit"]),
    ("jiedai", "demo-reception-2026", ["/staff/", "/staff/reception/"]),
    ("pingjia", "demo-evaluation-2026",
     ["/staff/", "/staff/evaluation/", "/staff/evaluation/evaluators",
      "/staff/evaluation/followups"]),
    ("panel1", "demo-panel-2026", ["/staff/panel/"]),
]
# Registered before any page script runs, so a violation during htmx's start is caught too.
LISTENER = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__cspViolations.push(e.violatedDirective + " " + (e.blockedURI || "inline") +
                              " " + (e.sourceFile || "") + ":" + (e.lineNumber || ""));
});
"""


class Watch:
    """Collects console CSP messages and violation events of one browser page."""

    def __init__(self, page):
        self.page, self.console = page, []
        page.add_init_script(LISTENER)
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.console.append(f"pageerror {error}"))

    def _console(self, message):
        text = message.text
        # Every console error counts, except the browser's note on a 404/422 answer itself.
        if (message.type == "error" and not text.startswith("Failed to load resource")) \
                or re.search("Content Security Policy|Content-Security|Refused to", text, re.I):
            self.console.append(f"{message.type}: {text}")

    def visit(self, path: str) -> list[str]:
        self.console.clear()
        response = self.page.goto(path)
        assert response is not None and response.status == 200, f"{path}: {response}"
        self.page.wait_for_load_state("networkidle")
        self.page.wait_for_timeout(150)  # htmx's start and any settle
        assert self.page.evaluate("typeof window.htmx") == "object", f"{path}: htmx not loaded"
        events = self.page.evaluate("window.__cspViolations")
        return [f"{path}: {v}" for v in [*events, *self.console]]


def _public_session(page) -> str | None:
    page.goto("/reception/")
    link = page.locator(".session-card a.button", has_text="预约")
    return link.first.get_attribute("href") if link.count() else None


def test_public_pages_raise_no_csp_violation(new_page, require_htmx):
    page = new_page(mobile=True, javascript=True)
    watch = Watch(page)
    pages = list(PUBLIC_PAGES)
    if booking := _public_session(page):
        pages.append(booking)  # the booking form: where the indicator styles were refused
    problems = [p for path in pages for p in watch.visit(path)]
    assert problems == []


def test_booking_form_htmx_round_trip_raises_no_csp_violation(new_page, require_htmx):
    page = new_page(mobile=True, javascript=True)
    watch = Watch(page)
    booking = _public_session(page)
    assert booking, "no session open for booking (the demo seed makes some)"
    problems = watch.visit(booking)
    page.get_by_label("身份证号").fill("123")
    page.get_by_label("手机号码").click()  # inline validation: an htmx request with indicator
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(300)
    problems += [f"{booking} after htmx: {v}"
                 for v in [*page.evaluate("window.__cspViolations"), *watch.console]]
    assert problems == []


def test_staff_pages_raise_no_csp_violation(new_page, require_htmx):
    problems = []
    for username, password, pages in STAFF_PAGES:
        page = new_page(mobile=False, javascript=True)
        watch = Watch(page)
        page.goto("/staff/login")
        page.get_by_label("用户名").fill(username)
        page.get_by_label("密码").fill(password)
        page.get_by_role("button", name="登录").click()
        page.wait_for_url(re.compile(r"/staff/(?!login)"))
        for path in pages:
            problems += watch.visit(path)
    assert problems == []


def test_full_booking_raises_no_csp_violation(new_page, require_htmx):
    from tests.browser.test_booking_browser import (
        fill_booking,
        open_bookable_session,
        phone_for,
        submit_booking,
        valid_id_number,
    )

    page = new_page(mobile=True, javascript=True)
    watch = Watch(page)
    open_bookable_session(page)
    number = valid_id_number()
    fill_booking(page, number, phone_for(number))
    code = submit_booking(page)
    page.wait_for_timeout(300)
    problems = [*page.evaluate("window.__cspViolations"), *watch.console]
    problems += watch.visit(f"/reception/bookings/{code}/print")
    assert problems == []


def test_the_watch_sees_an_inline_style(new_page, require_htmx):
    """The detector is not vacuous: an inline style attribute is reported."""
    page = new_page(mobile=True, javascript=True)
    watch = Watch(page)
    assert watch.visit("/") == []
    page.evaluate("""document.body.insertAdjacentHTML("beforeend", '<p style="color:red">x</p>')""")
    page.wait_for_timeout(200)
    assert page.evaluate("window.__cspViolations") and watch.console


def test_the_watch_sees_htmx_indicator_styles_without_the_config(new_page, require_htmx):
    """The failure reported in issue 15: htmx without its config (here the meta tag is cut
    out of the answer on its way to the browser) injects its indicator <style>, which the
    CSP refuses, and the watch reports it."""
    page = new_page(mobile=True, javascript=True)
    watch = Watch(page)

    def without_config(route):
        answer = route.fetch()
        body = re.sub(r'<meta name="htmx-config"[^>]*>', "", answer.text())
        route.fulfill(response=answer, body=body)

    page.route(re.compile(r"/reception/lookup$"), without_config)
    problems = watch.visit("/reception/lookup")
    assert any("style-src" in p for p in problems), problems


def test_htmx_injects_no_style_element_and_error_pages_carry_its_config(new_page, require_htmx):
    page = new_page(mobile=True, javascript=True)
    watch = Watch(page)
    for path in ("/", "/no-such-page", "/reception/bookings/ZZZZZZZZ"):  # 200, 404, 404
        page.goto(path)
        page.wait_for_load_state("networkidle")
        assert page.evaluate("document.querySelectorAll('style, [style]').length") == 0, path
        assert page.evaluate("htmx.config.includeIndicatorStyles") is False, path
        assert page.evaluate("htmx.config.allowEval") is False, path
    assert [*page.evaluate("window.__cspViolations"), *watch.console] == []
