"""Issue 12: the main pages on a phone inside WeChat (360 × 740, WeChat's user agent) and on a
desktop (1280 × 800), normal and elder mode, saved to docs/screenshots/ under fixed names (the
README shows some). While there: the layout never scrolls sideways at 360 px, the type is the
system's Chinese fonts (no web font), and the browser asks nothing of any other site."""
from __future__ import annotations

import re
from pathlib import Path

from tests.browser.test_a11y import login, past_session_ids
from tests.browser.test_booking_browser import (
    fill_booking,
    open_bookable_session,
    phone_for,
    submit_booking,
    valid_id_number,
)

SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
WECHAT_UA = ("Mozilla/5.0 (Linux; Android 13; V2148A Build/TP1A.220624.014; wv) AppleWebKit/537.36 "
             "(KHTML, like Gecko) Version/4.0 Chrome/116.0.0.0 Mobile Safari/537.36 XWEB/1160065 "
             "MMWEBSDK/20231202 MMWEBID/2247 MicroMessenger/8.0.47.2560(0x28002F35) WeChat/arm64 "
             "Weixin NetType/WIFI Language/zh_CN ABI/arm64")
VIEWPORTS = {"phone": {"width": 360, "height": 740}, "desktop": {"width": 1280, "height": 800}}


def context_for(browser, live_server, device: str, elder: bool):
    phone = device == "phone"
    context = browser.new_context(
        base_url=live_server, viewport=VIEWPORTS[device], locale="zh-CN",
        timezone_id="Asia/Shanghai", device_scale_factor=1, is_mobile=phone, has_touch=phone,
        user_agent=WECHAT_UA if phone else None)
    context.set_default_timeout(10_000)
    if elder:
        context.add_cookies([{"name": "care_mode", "value": "1", "url": live_server}])
    return context


def shot(page, name: str, device: str) -> None:
    page.wait_for_load_state("networkidle")
    page.evaluate("window.scrollTo(0, 0)")
    if device == "phone":
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 360, f"{name}: {width}px wide on a 360px screen"
    page.screenshot(path=str(SHOTS / f"{name}.png"), animations="disabled", caret="hide")


def test_main_pages_phone_and_desktop_normal_and_elder(browser, live_server):
    SHOTS.mkdir(parents=True, exist_ok=True)
    foreign, saved = [], []
    for device in ("phone", "desktop"):
        for elder in (False, True):
            mode = "elder" if elder else "normal"
            context = context_for(browser, live_server, device, elder)
            context.on("request", lambda r: r.url.startswith(live_server) or r.url.startswith(
                "data:") or foreign.append(r.url))
            try:
                page = context.new_page()
                page.goto("/")
                assert page.evaluate("navigator.userAgent").count("MicroMessenger") == (device == "phone")
                family = page.evaluate("getComputedStyle(document.body).fontFamily")
                assert "PingFang SC" in family and "Noto Sans CJK SC" in family, family
                assert page.evaluate("document.fonts.size") == 0, "a web font is loaded"
                shot(page, f"{device}-{mode}-home", device)
                session = open_bookable_session(page)
                shot(page, f"{device}-{mode}-session", device)
                if device == "phone":
                    page.goto(f"/reception/sessions/{session}")
                    number = valid_id_number()
                    fill_booking(page, number, phone_for(number))
                    submit_booking(page)
                    shot(page, f"{device}-{mode}-receipt", device)
                elif not elder:
                    page.goto("/evaluation/results/")
                    page.locator("main a[href*='/results/']").first.click()
                    page.wait_for_url(re.compile(r"/evaluation/results/\d+$"))
                    shot(page, "desktop-normal-result", device)
                    login(page, "reception")
                    page.goto(f"/staff/reception/sessions/{past_session_ids(page)[0]}/day")
                    shot(page, "desktop-normal-staff-day", device)
            finally:
                context.close()
    saved = sorted(p.name for p in SHOTS.glob("*.png"))
    assert foreign == [], f"requests to other sites: {foreign}"
    assert len(saved) >= 12, saved
    assert all((SHOTS / name).stat().st_size < 400_000 for name in saved), "screenshots too large"
