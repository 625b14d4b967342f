"""Issue 15, item 7: staff tables on a 1024-px tablet and a 360-px phone — names are not
squeezed to one character per line, and the actions of a row are always on screen."""
from __future__ import annotations

import pytest

from tests.browser.conftest import staff_login

LINES = """(td) => {
  const text = [...td.childNodes].find(n => n.nodeType === 3 && n.textContent.trim());
  if (!text) return 0;
  const range = document.createRange(); range.selectNodeContents(text);
  return new Set([...range.getClientRects()].map(r => Math.round(r.top))).size;
}"""
ON_SCREEN = """(el) => { const r = el.getBoundingClientRect();
  return r.width > 0 && r.left >= -1 && r.right <= window.innerWidth + 1; }"""


def _session_with_bookings(page) -> str:
    page.goto("/staff/reception/")
    for href in page.eval_on_selector_all(
            "a[href^='/staff/reception/sessions/']", "els => els.map(e => e.getAttribute('href'))"):
        page.goto(href)
        if page.locator("table.bookings td.row-actions button").count():
            return href
    pytest.fail("the demo has no session with bookings to review")


@pytest.mark.parametrize("width, height", [(1024, 768), (360, 740)])
def test_booking_rows_stay_readable_and_actions_reachable(new_page, width, height, artifacts):
    page = new_page(mobile=width < 700)
    page.set_viewport_size({"width": width, "height": height})
    staff_login(page, "jiedai", "demo-reception-2026")
    _session_with_bookings(page)
    rows = page.locator("table.bookings tbody tr")
    assert rows.count() >= 1
    for i in range(min(rows.count(), 6)):
        name = rows.nth(i).locator("td").nth(2)
        assert name.evaluate(LINES) == 1, f"row {i}: the name wraps at {width}px"
        actions = rows.nth(i).locator("td.row-actions button")
        for j in range(actions.count()):
            assert actions.nth(j).evaluate(ON_SCREEN), f"row {i}: an action is off screen"
    page.screenshot(path=str(artifacts / f"staff-session-{width}.png"), full_page=False)


@pytest.mark.parametrize("width", [1024, 360])
def test_the_matter_list_keeps_its_words_whole(new_page, width):
    page = new_page(mobile=width < 700)
    page.set_viewport_size({"width": width, "height": 768})
    staff_login(page, "pingjia", "demo-evaluation-2026")
    page.goto("/staff/evaluation/")
    cells = page.locator("#matters tbody tr td:first-child")
    assert cells.count() >= 1
    for i in range(min(cells.count(), 6)):
        assert cells.nth(i).evaluate(LINES) <= 1, f"row {i} wraps at {width}px"
