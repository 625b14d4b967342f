"""Third-party evaluation end to end: the evaluation office on a tablet runs a hearing of a
seven-member panel, the seven vote on their phones at the same moment, the office watches the
count reach 7 without reloading, closes the poll, issues the letter and publishes the result,
which the public page and the Atom feed then show.

The hearing is "today" on the server's real clock: its matter, panel and notice (published six
days ago, as the 3-day notice rule requires) are made through the services beforehand
(tests/browser/seeding.py); everything from the attendance on is done in the browser.
"""
from __future__ import annotations

import re
import time
from datetime import datetime
from zoneinfo import ZoneInfo

from tests.browser.conftest import staff_login, wechat_context

CHOICES = ["satisfied"] * 5 + ["unsatisfied"] * 2  # 5 of 7 present: 满意
SAME_DOCUMENT = "window.__sameDocument === true"


def _member_phones(browser, live_server, hearing_id: int) -> list:
    """Seven panel members logged in on their phones, waiting on the hearing page."""
    pages = []
    for i in range(1, 8):
        page = wechat_context(browser, live_server).new_page()
        staff_login(page, f"panel{i}", "demo-panel-2026")
        page.goto(f"/staff/panel/hearings/{hearing_id}")
        page.get_by_text("投票尚未开始").wait_for()
        page.evaluate("window.__sameDocument = true")
        pages.append(page)
    return pages


def _open_poll(staff, members: list[str]) -> None:
    poll = staff.locator("#poll")
    for name in members:
        poll.get_by_label(name).check()
    poll.get_by_role("button", name="登记出席").click()
    staff.wait_for_load_state()
    poll = staff.locator("#poll")
    poll.get_by_label("投票方式").select_option("electronic")
    poll.get_by_role("button", name="开始投票").click()
    staff.locator("#poll-progress[data-voted='0']").wait_for()


def _vote_together(phones: list) -> None:
    """Each phone shows its ballot (htmx polling, no reload); each member chooses and reaches
    the 提交后不能更改 confirmation; then all seven confirm at one instant."""
    for page, choice in zip(phones, CHOICES, strict=True):
        page.locator("button.eval-choice.satisfied").wait_for(timeout=15_000)
        assert page.evaluate(SAME_DOCUMENT), "the member's page was reloaded to show the ballot"
        page.locator(f"button.eval-choice[value={choice}]").click()
        page.locator("#confirm").wait_for()
    at = phones[0].evaluate("Date.now() + 800")  # one browser: one clock for every context
    for page in phones:
        page.evaluate("""at => setTimeout(
            () => document.querySelector('#confirm button[type=submit]').click(),
            Math.max(0, at - Date.now()))""", at)
    for page in phones:
        page.locator(".eval-voted").wait_for(timeout=15_000)
        assert "您已投票" in page.locator(".eval-voted").inner_text()


def _letter_and_publish(staff, today: str) -> None:
    letter = staff.locator("#letter")
    letter.get_by_label(re.compile("评价意见和理由")).fill(
        "评价小组认为：责任单位已督促施工方支付工资，处理意见适当，程序合法。")
    letter.get_by_role("button", name="保存评价意见").click()
    staff.locator("#letter").get_by_role("button", name=re.compile("签发意见书")).click()
    staff.locator("#letter").get_by_text("已签发").wait_for()
    for party, recipient in (("petitioner", "陈永福"), ("unit", "县交通运输局信访办")):
        letter = staff.locator("#letter")
        letter.get_by_label("送达对象").select_option(party)
        letter.get_by_label("签收人").fill(recipient)
        letter.get_by_label("送达日期").fill(today)
        letter.get_by_role("button", name="记录送达").click()
        staff.wait_for_load_state()
    assert staff.locator("#letter li").count() == 2
    staff.locator("#result").get_by_role("button", name="公布评价结果").click()
    staff.locator("#result").get_by_text("已于").wait_for()


def test_seven_members_vote_at_once_and_the_result_is_published(browser, live_server, seed,
                                                                artifacts):
    started = time.monotonic()
    made = seed("hearing")
    hearing_id, title = made["hearing_id"], made["title"]
    tablet = browser.new_context(base_url=live_server, viewport={"width": 1024, "height": 768},
                                 locale="zh-CN", timezone_id="Asia/Shanghai")
    tablet.set_default_timeout(10_000)
    phones = []
    try:
        staff = tablet.new_page()
        staff_login(staff, "pingjia", "demo-evaluation-2026")
        staff.goto(f"/staff/evaluation/hearings/{hearing_id}")
        assert staff.locator("#panel h2").inner_text().strip() == "评价小组（7 人）"
        phones = _member_phones(browser, live_server, hearing_id)
        _open_poll(staff, made["members"])
        staff.evaluate("window.__sameDocument = true")

        _vote_together(phones)
        # The office's page counts the votes by itself (htmx, every 3 s): no reload.
        staff.locator("#poll-progress[data-voted='7']").wait_for(timeout=15_000)
        assert staff.evaluate(SAME_DOCUMENT), "the hearing page was reloaded to show the count"
        assert "已有 7 人投票" in staff.locator("#poll-progress").inner_text()
        staff.screenshot(path=str(artifacts / "e2e-eval-count-1024.png"))

        staff.get_by_role("button", name="结束投票并计票").click()
        verdict = staff.locator(".eval-verdict")
        verdict.wait_for()
        assert "满意" in verdict.inner_text() and "不满意" not in verdict.inner_text()
        assert "满意 5，不满意 2" in staff.locator(".eval-tally").inner_text()
        today = datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()
        _letter_and_publish(staff, today)

        # The public: the result page and the feed.
        public = phones[0]
        public.goto(f"/evaluation/results/{hearing_id}")
        text = public.locator("main").inner_text()
        assert title in text and "满意" in text
        assert "陈永福" not in text, "the petitioner's name is public"
        public.screenshot(path=str(artifacts / "e2e-eval-result-360.png"), full_page=True)
        feed = public.request.get("/evaluation/feed.xml")
        assert feed.ok and title in feed.text()
        assert f"/evaluation/results/{hearing_id}" in feed.text()
    finally:
        for page in phones:
            page.context.close()
        tablet.close()
    print(f"evaluation flow: {time.monotonic() - started:.1f}s")
