"""Issue 12: the receipt, the day list (接访登记表) and the opinion letter print cleanly on A4.
Chromium prints each page to PDF (``page.pdf(format="A4")``, the print stylesheet applies);
pypdf reads the text back: the key fields are there, the site's header, navigation, the
elder-mode switch and the buttons are not, and the document keeps to its pages."""
from __future__ import annotations

import io
import re
import unicodedata

import pytest

from tests.browser.test_a11y import login, past_session_ids
from tests.browser.test_booking_browser import (
    fill_booking,
    open_bookable_session,
    phone_for,
    submit_booking,
    valid_id_number,
)
from tests.helpers import unavailable

A4_POINTS = (595, 842)  # 210 × 297 mm
# The site's header, navigation and footer, the elder-mode switch, the staff bar.
SCREEN_ONLY = ["信访公开服务门户", "长辈版", "退出登录", "跳到正文", "订阅更新", "工作台"]
# The embedded CJK fonts map some characters to radicals when text is read back: NFKC folds the
# Kangxi radicals (⽉ -> 月); these simplified-form radicals have no decomposition of their own.
RADICALS = str.maketrans(dict(zip("⻓⻔⻅⻘⻢⻋⻜⻛⻙⻚⻉⻄⻥⻦⻨⻩⻬⻮⻰⻳⻆⺠⻈⻝",
                                    "长门见青马车飞风韦页贝西鱼鸟麦黄齐齿龙龟角民讠饣", strict=True)))


@pytest.fixture(scope="module")
def pypdf():
    try:
        import pypdf
    except ImportError:
        unavailable("pypdf is not installed (requirements-dev.txt)")
    return pypdf


def print_to_pdf(page, pypdf, artifacts, name: str) -> tuple[str, list]:
    page.emulate_media(media="print")
    data = page.pdf(format="A4", print_background=False, prefer_css_page_size=True)
    (artifacts / f"print-{name}.pdf").write_bytes(data)
    reader = pypdf.PdfReader(io.BytesIO(data))
    text = unicodedata.normalize("NFKC", "\n".join(p.extract_text() for p in reader.pages))
    return re.sub(r"[ \t\u3000]+", "", text.translate(RADICALS)), reader.pages


def assert_clean(text: str, pages: list, max_pages: int) -> None:
    size = sorted((float(pages[0].mediabox.width), float(pages[0].mediabox.height)))
    assert all(abs(a - b) < 2 for a, b in zip(size, A4_POINTS, strict=True)), f"not A4: {size}"
    assert 1 <= len(pages) <= max_pages, f"{len(pages)} pages"
    assert [word for word in SCREEN_ONLY if word in text] == [], text[:400]


def squeeze(value: str) -> str:
    return re.sub(r"\s+", "", value)


def test_the_receipt_prints_on_one_a4_page(new_page, pypdf, artifacts):
    page = new_page(mobile=False, javascript=True)
    open_bookable_session(page)
    number = valid_id_number()
    fill_booking(page, number, phone_for(number))
    code = submit_booking(page)
    page.goto(f"/reception/bookings/{code}/print")
    facts = {dt.inner_text().strip(): squeeze(dd.inner_text())
             for dt, dd in zip(page.locator(".receipt dl dt").all(),
                               page.locator(".receipt dl dd").all(), strict=True)}
    leader = facts["接访领导"].split("（")[0]
    day = re.search(r"\d{4}年\d{1,2}月\d{1,2}日", facts["接访时间"]).group(0)
    text, pages = print_to_pdf(page, pypdf, artifacts, "receipt")
    assert_clean(text, pages, max_pages=1)
    for key in (code, leader, day, "预约码"):
        assert key in text.replace("\n", ""), (key, text[:600])
    assert number not in text  # the ID number is never printed in full


def test_the_day_list_prints_on_a4_with_the_visitors(new_page, pypdf, artifacts):
    page = new_page(mobile=False, javascript=True)
    login(page, "reception")
    visitors = []
    for session_id in past_session_ids(page):  # the first with visitors (the seed has several)
        page.goto(f"/staff/reception/sessions/{session_id}/day/print")
        rows = page.locator(".day-print-list tbody tr").all()
        visitors = [(squeeze(r.locator("td").nth(3).inner_text()),
                     squeeze(r.locator("td").nth(4).inner_text()))
                    for r in rows if r.locator("td").count() > 4]
        if visitors:
            break
    assert visitors, "no past session with visitors (the demo seed makes some)"
    facts = {squeeze(dt.inner_text()): squeeze(dd.inner_text())
             for dt, dd in zip(page.locator(".day-print-facts dt").all(),
                               page.locator(".day-print-facts dd").all(), strict=True)}
    title = squeeze(page.locator(".day-print h1").inner_text())
    text, pages = print_to_pdf(page, pypdf, artifacts, "day-list")
    assert_clean(text, pages, max_pages=3)
    flat = text.replace("\n", "")
    assert title in flat and facts["接访日期"] in flat, (title, facts, text[:500])
    assert facts["接访领导"].split("（")[0] in flat
    for name, masked_id in visitors:
        assert name.split("等")[0] in flat and masked_id in flat, (name, masked_id, text[:800])
        assert masked_id.startswith("*" * 14), f"the ID number is not masked: {masked_id}"


def test_the_opinion_letter_prints_on_a4(new_page, pypdf, artifacts):
    page = new_page(mobile=False, javascript=True)
    login(page, "evaluation")
    page.goto("/evaluation/results/")
    hearing_id = re.search(r"/results/(\d+)",
                           page.locator("main a[href*='/results/']").first.get_attribute("href")).group(1)
    page.goto(f"/staff/evaluation/hearings/{hearing_id}/letter")
    body = squeeze(page.locator(".eval-letter").inner_text())
    matter = re.search(r"事项编号([^，,]+)", body).group(1)
    text, pages = print_to_pdf(page, pypdf, artifacts, "letter")
    assert_clean(text, pages, max_pages=2)
    assert "第三方评价意见书" in squeeze(text)
    assert matter in text.replace("\n", ""), (matter, text[:800])
    assert "打印" not in text and "‹评价会" not in text
