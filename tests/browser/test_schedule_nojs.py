"""The schedule's filters and week picker in a real browser, with JavaScript off (a plain GET
form) and on (htmx swaps the list in place); the footer; static files as gunicorn serves them."""
from __future__ import annotations

import re

from tests.browser.test_booking_browser import no_horizontal_scroll


def test_filters_and_week_picker_without_javascript(new_page, artifacts):
    page = new_page(mobile=True, javascript=False)
    page.goto("/reception/")
    assert page.locator("#schedule").get_by_text("起的两周").count() == 1
    no_horizontal_scroll(page, "schedule")
    # The week picker: a select and a button, nothing else needed.
    picker = page.get_by_label("起始周")
    third = picker.locator("option").nth(3)
    third_label = third.inner_text()
    picker.select_option(third.get_attribute("value"))
    page.get_by_role("button", name="查看").click()
    page.wait_for_url(re.compile(r"/reception/\?.*week=\d{4}-\d{2}-\d{2}"))
    assert page.get_by_label("起始周").locator("option:checked").inner_text() == third_label
    # A leader with sessions on the schedule: that leader's next sessions, whatever week.
    page.goto("/reception/")
    name = page.locator("#schedule .session-card .who strong").first.inner_text().strip()
    page.get_by_label("接访领导").select_option(label=name)
    page.get_by_label("起始周").select_option("")
    page.get_by_role("button", name="查看").click()
    page.wait_for_url(re.compile(r"/reception/\?.*leader=\d+"))
    assert page.get_by_role("heading", name=f"{name}：今后的接访安排").is_visible()
    cards = page.locator("#schedule .session-card")
    assert cards.count() >= 1 and all(name in cards.nth(i).inner_text()
                                      for i in range(cards.count()))
    no_horizontal_scroll(page, "filtered schedule")
    page.screenshot(path=str(artifacts / "schedule-filtered-nojs-360.png"), full_page=True)


def test_a_category_filter_swaps_the_list_in_place_with_javascript(new_page, require_htmx):
    page = new_page(mobile=True, javascript=True)
    page.goto("/reception/")
    page.wait_for_function("window.htmx !== undefined")
    page.evaluate("window.__sameDocument = true")
    with page.expect_response(re.compile(r"/reception/\?.*category=")):
        page.get_by_label("反映事项类别").select_option("征地拆迁")
    page.get_by_role("heading", name=re.compile("受理“征地拆迁”的领导")).wait_for()
    assert page.evaluate("window.__sameDocument") is True, "the page was reloaded"
    assert "category=" in page.url  # the address can be shared and bookmarked


def test_footer_feed_and_static_files(new_page):
    page = new_page(mobile=True, javascript=True)
    statics = []
    page.on("response", lambda r: statics.append(r) if "/static/" in r.url else None)
    page.goto("/")
    footer = page.locator("footer.site-footer")
    assert footer.get_by_role("link", name="订阅更新").get_attribute("href") == \
        "/evaluation/feed.xml"
    assert "RSS 阅读器" in footer.inner_text()
    assert page.locator('link[rel="alternate"][type="application/atom+xml"]').count() == 1
    no_horizontal_scroll(page, "home page")
    css = next(r for r in statics if "/static/css/portal.css?v=" in r.url)
    headers = css.all_headers()
    assert headers["cache-control"] == "public, max-age=31536000, immutable"
    assert headers.get("content-encoding") == "gzip"
    assert page.evaluate(
        "getComputedStyle(document.querySelector('.site-header')).display") != "inline"
