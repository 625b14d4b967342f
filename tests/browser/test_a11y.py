"""Issue 12: accessibility in a real browser. axe-core (WCAG 2.x A/AA and best practice) on
every public page and the main staff pages: a serious or critical violation fails. Beside axe,
what it cannot judge: touch targets of at least 44 px at 360 px, and nothing to drag.

Every page's findings (all impacts) are written to artifacts/axe-<group>.json for reading."""
from __future__ import annotations

import json
import re

from tests.browser.test_booking_browser import (
    fill_booking,
    open_bookable_session,
    phone_for,
    submit_booking,
    valid_id_number,
)

BLOCKING = {"serious", "critical"}
STAFF = {  # the demo accounts (README)
    "reception": ("jiedai", "demo-reception-2026"),
    "evaluation": ("pingjia", "demo-evaluation-2026"),
    "panel": ("panel1", "demo-panel-2026"),
    "admin": ("admin", "demo-guanli-2026"),
}
# Buttons, links styled as buttons and form controls a finger must hit (radios and checkboxes
# are hit through their labels, which are measured instead).
TARGETS = """
[...document.querySelectorAll(
   'main button, main .button, main input:not([type=hidden]):not([type=checkbox]):not([type=radio]),'
   + ' main select, main label:has(input[type=checkbox]), main label:has(input[type=radio]),'
   + ' .site-header button')]
  .filter(e => e.offsetParent !== null)
  .map(e => { const r = e.getBoundingClientRect();
              return {what: e.tagName.toLowerCase() + (e.name ? '[name=' + e.name + ']' : '')
                            + ' ' + (e.innerText || e.value || '').trim().slice(0, 12),
                      w: Math.round(r.width), h: Math.round(r.height)}; })
  .filter(t => t.w < 44 || t.h < 44)
"""


def login(page, role: str) -> None:
    username, password = STAFF[role]
    page.goto("/staff/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(re.compile(r"/staff/(?!login)"))


def past_session_ids(page) -> list[str]:
    """The reception sessions listed under 已过的场次 (the demo seed has visitors in them)."""
    page.goto("/staff/reception/?show=past")
    hrefs = [a.get_attribute("href") for a in page.locator("main a[href]").all()]
    found = [m.group(1) for h in hrefs if (m := re.fullmatch(r"/staff/reception/sessions/(\d+)", h))]
    assert found, "no past reception session (the demo seed makes some)"
    return list(dict.fromkeys(found))


def first_href(page, path: str, selector: str) -> str:
    page.goto(path)
    link = page.locator(selector).first
    assert link.count(), f"{path}: no {selector} (the demo seed makes one)"
    return link.get_attribute("href")


def check(page, axe, path: str | None, findings: dict, label: str | None = None) -> None:
    """Open ``path`` (or keep the page as it is) and record axe's findings under its label."""
    if path is not None:
        response = page.goto(path)
        assert response is not None and response.status in (200, 404), f"{path}: {response}"
    page.wait_for_load_state("networkidle")
    findings[label or path] = axe(page)


def blocking(findings: dict) -> list[str]:
    return [f"{where}: {v['impact']} {v['id']} ({v['help']}) {v['nodes']}"
            for where, violations in findings.items() for v in violations
            if v["impact"] in BLOCKING]


def save(artifacts, group: str, findings: dict) -> None:
    summary = {where: [f"{v['impact']} {v['id']}" for v in violations]
               for where, violations in findings.items()}
    (artifacts / f"axe-{group}.json").write_text(
        json.dumps({"summary": summary, "details": findings}, ensure_ascii=False, indent=1))


def small_targets(page) -> list[str]:
    return [f"{page.url}: {t['what']} {t['w']}×{t['h']}" for t in page.evaluate(TARGETS)]


def test_public_pages_on_a_phone(new_page, axe, artifacts):
    page = new_page(mobile=True, javascript=True)
    findings, small = {}, []
    for path in ("/", "/reception/", "/reception/lookup", "/evaluation/notices/",
                 "/evaluation/results/", "/staff/login", "/no-such-page"):
        check(page, axe, path, findings)
        small += small_targets(page)
    check(page, axe, first_href(page, "/evaluation/notices/", "main a[href*='/notices/']"),
          findings, "a notice")
    check(page, axe, first_href(page, "/evaluation/results/", "main a[href*='/results/']"),
          findings, "a result")
    session = open_bookable_session(page)
    check(page, axe, None, findings, "a session (booking form)")
    small += small_targets(page)
    # The booking form with errors: the summary at the top, linked to its fields.
    page.get_by_label("身份证号").fill("110105197005170000")
    page.get_by_role("button", name="提交预约").click()
    page.locator("#error-summary").wait_for()
    assert page.locator("#error-summary a[href='#id_number']").count() == 1
    check(page, axe, None, findings, "a session, form with errors")
    number = valid_id_number()
    page.goto(f"/reception/sessions/{session}")
    fill_booking(page, number, phone_for(number))
    code = submit_booking(page)
    check(page, axe, None, findings, "the receipt")
    small += small_targets(page)
    check(page, axe, f"/reception/bookings/{code}/print", findings, "the receipt, print page")
    check(page, axe, f"/reception/bookings/{code}/progress", findings, "case tracking")
    # Lookup with a wrong phone: the form-level error points at the code.
    other = new_page(mobile=True, javascript=True)  # axe needs JavaScript in the page
    other.goto("/reception/lookup")
    other.get_by_label("预约码").fill(code)
    other.get_by_label("手机号码").fill("13800000000")
    other.get_by_role("button", name="查询预约").click()
    other.locator("#error-summary").wait_for()
    check(other, axe, None, findings, "lookup with errors")
    small += small_targets(other)
    assert page.evaluate("document.querySelectorAll('[draggable=true]').length") == 0
    save(artifacts, "public", findings)
    assert blocking(findings) == []
    assert small == [], "touch targets under 44 px at 360 px"


def test_staff_pages(new_page, axe, artifacts):
    findings, small = {}, []
    page = new_page(mobile=False, javascript=True)
    login(page, "reception")
    check(page, axe, "/staff/reception/", findings, "reception dashboard")
    session_id = past_session_ids(page)[0]
    check(page, axe, f"/staff/reception/sessions/{session_id}/day", findings, "day view")
    check(page, axe, "/staff/supervision/", findings, "supervision list")
    tablet = new_page(mobile=True, javascript=True)  # the desk: a touch screen, here a phone
    login(tablet, "reception")
    tablet.goto(f"/staff/reception/sessions/{session_id}/day")
    small += small_targets(tablet)

    page = new_page(mobile=False, javascript=True)
    login(page, "evaluation")
    check(page, axe, "/staff/evaluation/", findings, "evaluation dashboard")
    result = first_href(page, "/evaluation/results/", "main a[href*='/results/']")
    hearing_id = re.search(r"/results/(\d+)", result).group(1)
    check(page, axe, f"/staff/evaluation/hearings/{hearing_id}", findings, "a hearing")
    check(page, axe, f"/staff/evaluation/hearings/{hearing_id}/letter", findings,
          "opinion letter")

    page = new_page(mobile=True, javascript=True)  # panel members vote on their phones
    login(page, "panel")
    check(page, axe, "/staff/panel/", findings, "panel home")
    check(page, axe, first_href(page, "/staff/panel/", "main a[href*='/staff/panel/hearings/']"),
          findings, "panel vote page")
    small += small_targets(page)

    page = new_page(mobile=False, javascript=True)
    login(page, "admin")
    check(page, axe, "/staff/users", findings, "admin users")
    save(artifacts, "staff", findings)
    assert blocking(findings) == []
    assert small == [], "touch targets under 44 px at 360 px"


def test_axe_sees_a_violation(new_page, axe):
    """The check is not vacuous: a field without its label is reported as critical."""
    page = new_page(mobile=True, javascript=True)
    page.goto("/reception/lookup")
    page.evaluate("document.querySelector('label[for=code]').remove()")
    found = {v["id"] for v in axe(page) if v["impact"] in BLOCKING}
    assert "label" in found
