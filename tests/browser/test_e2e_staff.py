"""Reception staff end to end on a 1024 x 768 desk tablet (the demo's ``jiedai`` account):
create a weekly series (接访管理 → 新建接访场次, 连续周数 3) and publish it, confirm a booking,
check the visitor in from the receipt's QR address (the lookup address opened while logged in
is the desk's check-in page), write the reception record (接谈记录) and hand the case to a unit
(交办) — which the citizen then sees on the case-tracking page.

The visitor's booking is on the latest working day up to today (seeded through the services,
tests/browser/seeding.py): check-in is only possible on the reception day.
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from tests.browser.conftest import staff_login, wechat_context

TABLET = {"width": 1024, "height": 768}


def _create_series(staff, first_day: str) -> list[str]:
    """New session, three weeks; returns the addresses of the sessions the series made."""
    staff.goto("/staff/reception/")
    staff.get_by_role("link", name="新建接访场次").click()
    form = staff.locator("main form")
    leader = form.get_by_label("接访领导")
    leader.select_option(leader.locator("option").nth(1).get_attribute("value"))
    form.get_by_label("接访日期").fill(first_day)
    form.get_by_label("开始时间").fill("14:00")
    form.get_by_label("结束时间").fill("15:00")
    form.get_by_label(re.compile("连续周数")).fill("3")
    form.get_by_role("button", name="保存").click()
    staff.wait_for_url(re.compile(r"/staff/reception/?(\?.*)?$"))
    series = staff.locator("a[href*='/staff/reception/series/']")
    series.first.wait_for()
    series.last.click()
    staff.wait_for_url(re.compile(r"/staff/reception/series/\w+$"))
    heading = staff.get_by_role("heading", level=1).inner_text()
    assert re.search(r"共 [23] 场", heading), heading  # a holiday week is skipped
    return [a.get_attribute("href") for a in staff.locator("main table a").all()]


def _publish(staff, sessions: list[str]) -> None:
    for href in sessions:
        staff.goto(href)
        staff.get_by_role("button", name="发布", exact=True).click()
        staff.wait_for_load_state()
        assert staff.get_by_role("button", name="发布", exact=True).count() == 0
        assert "已发布" in staff.locator("main").inner_text()


def _qr_address(browser, live_server, code: str, phone: str) -> str:
    """The address the receipt's QR code holds, read from the citizen's own receipt."""
    phone_page = wechat_context(browser, live_server).new_page()
    phone_page.goto("/reception/lookup")
    phone_page.get_by_label("预约码").fill(code)
    phone_page.get_by_label("手机号码").fill(phone)
    phone_page.get_by_role("button", name="查询预约").click()
    phone_page.locator("svg.qr").wait_for()
    address = phone_page.locator(".qr-block small").inner_text().strip()
    phone_page.context.close()
    assert address.endswith(f"/reception/lookup?code={code}"), address
    return address


def _record_and_hand_over(staff, session_id: int, name: str) -> None:
    staff.goto(f"/staff/reception/sessions/{session_id}/day")
    row = staff.locator("tr", has_text=name)
    row.get_by_role("link", name="填写接谈记录").click()
    staff.get_by_label("来访诉求").fill(
        "反映村道硬化工程完工后施工方拖欠工人工资三个月，请求协调解决。")
    staff.get_by_label("交办", exact=True).check()
    unit = staff.get_by_label("责任单位")
    unit.select_option(unit.locator("option").nth(1).get_attribute("value"))
    staff.get_by_label("交办事项").fill("核实拖欠工资情况，督促施工方限期支付，书面答复来访人。")
    staff.get_by_role("button", name="保存接谈记录").click()
    staff.wait_for_url(re.compile(rf"/staff/reception/sessions/{session_id}/day$"))
    assert "接谈记录已保存，已交办" in staff.locator("main").inner_text()
    row = staff.locator("tr", has_text=name)
    row.get_by_role("link", name=re.compile("接谈记录：交办")).click()
    staff.get_by_role("heading", name="已交办").wait_for()


def test_desk_tablet_series_confirm_checkin_record_and_handover(browser, live_server, seed,
                                                               artifacts):
    visitor = seed("desk_visitor")
    code, phone = visitor["code"], visitor["phone"]
    tablet = browser.new_context(base_url=live_server, viewport=TABLET, locale="zh-CN",
                                 timezone_id="Asia/Shanghai", has_touch=True)
    tablet.set_default_timeout(10_000)
    try:
        staff = tablet.new_page()
        staff_login(staff, "jiedai", "demo-reception-2026")
        today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
        _publish(staff, _create_series(staff, (today + timedelta(days=21)).isoformat()))

        # Confirm the visitor's booking on the session page.
        staff.goto(f"/staff/reception/sessions/{visitor['session_id']}")
        row = staff.locator("table.bookings tbody tr", has_text=code)
        row.get_by_role("button", name="确认").click()
        staff.locator("table.bookings tbody tr", has_text=code).get_by_text("已确认").wait_for()

        # The QR address, opened on the logged-in desk tablet, is the check-in page.
        staff.goto(_qr_address(browser, live_server, code, phone))
        staff.wait_for_url(re.compile(rf"/staff/reception/checkin/{code}$"))
        staff.get_by_role("button", name="签到", exact=True).click()
        staff.get_by_text("已签到").first.wait_for()
        staff.screenshot(path=str(artifacts / "e2e-desk-checkin-1024.png"))

        _record_and_hand_over(staff, visitor["session_id"], "周德明")
        staff.screenshot(path=str(artifacts / "e2e-record-handover-1024.png"), full_page=True)

        # The citizen follows the case: handed over to a unit.
        citizen = wechat_context(browser, live_server).new_page()
        citizen.goto(f"/reception/bookings/{code}/progress")
        citizen.get_by_label("手机号码").fill(phone)
        citizen.get_by_role("button", name="查询办理进展").click()
        citizen.get_by_role("heading", name="办理进展").wait_for()
        assert "交办" in citizen.locator(".progress-timeline").inner_text()
        citizen.context.close()
    finally:
        tablet.close()
