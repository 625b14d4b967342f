"""Administrators search the audit log and take it away as .xlsx or .csv — an audited act,
formula-safe — and the acts the issue names (revealing an ID number, exporting personal data,
every refused authorization) are in the log, in words."""
from __future__ import annotations

import csv
import io
import re
from datetime import datetime
from urllib.parse import urlencode

from openpyxl import load_workbook
from sqlalchemy import select

from portal import audit, calendar
from portal.extensions import db
from tests import factories

FORMULA = "=HYPERLINK(\"http://evil.example\",\"点我\")"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def newest() -> audit.AuditEntry:
    return db.session.scalar(select(audit.AuditEntry).order_by(audit.AuditEntry.id.desc()))


def some_entries(other_actor: str) -> None:
    for n in range(3):
        audit.record("leader.create", "leader", n, actor=other_actor, note=f"第{n}位")
    audit.record("calendar.set", "calendar", "2026-10-01", actor="admin-user")
    db.session.commit()


def test_xlsx_export_holds_the_filtered_entries_as_text_and_is_audited(client, auth):
    auth.login("admin")
    some_entries(FORMULA)
    response = client.post("/staff/audit/export?action=leader.", data={"format": "xlsx"})
    assert response.status_code == 200 and response.mimetype == XLSX
    assert response.headers["Cache-Control"] == "no-store"
    assert "attachment" in response.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows())
    assert [c.value for c in rows[0]][:5] == ["编号", "时间", "操作人", "操作", "操作代码"]
    assert len(rows) == 4 and {r[4].value for r in rows[1:]} == {"leader.create"}
    actor_cells = [r[2] for r in rows[1:]]
    assert all(c.value == FORMULA and c.data_type == "s" for c in actor_cells)  # never a formula
    assert rows[1][3].value == "新建接访领导" and rows[1][7].value == "备注：第2位"
    entry = newest()
    assert entry.action == "audit.export" and entry.actor == "admin-user"
    assert entry.detail_dict == {"format": "xlsx", "rows": 3, "filters": "操作 leader."}


def test_csv_export_quotes_formulas_and_covers_who_what_when_and_object(client, auth):
    auth.login("admin")
    some_entries(FORMULA)
    today = datetime.now(calendar.TZ).date().isoformat()  # entries carry the real time
    url = "/staff/audit/export?" + urlencode({
        "actor": FORMULA, "object_type": "leader", "object_id": "1", "since": today,
        "until": today})
    response = client.post(url, data={"format": "csv"})
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert len(rows) == 2 and rows[1][6] == "1"
    assert rows[1][2] == "'" + FORMULA  # a spreadsheet shows it as text
    assert newest().detail_dict["filters"] == (
        f"操作人 {FORMULA}；对象 leader；对象编号 1；起始日期 {today}；截止日期 {today}")
    empty = client.post("/staff/audit/export?until=2001-01-01", data={"format": "csv"})
    assert empty.data.decode("utf-8-sig").count("\n") == 1  # the header only


def test_a_wrong_format_changes_nothing_and_others_cannot_export(client, auth):
    auth.login("admin")
    some_entries("reception-user")
    before = newest().id
    response = client.post("/staff/audit/export?actor=x", data={"format": "exe"})
    assert response.status_code == 303 and "/staff/audit?actor=x" in response.headers["Location"]
    assert newest().id == before
    auth.logout()
    auth.login("reception")
    assert client.post("/staff/audit/export", data={"format": "csv"}).status_code == 403
    assert newest().action == "access.denied"


def test_the_page_offers_the_export_with_the_filters(client, auth):
    auth.login("admin")
    page = client.get("/staff/audit?actor=admin-user&action=user.").text
    form = re.search(r'<form class="filters audit-export"[^>]*action="([^"]+)"', page)
    assert form and "actor=admin-user" in form.group(1) and "action=user." in form.group(1)
    assert 'name="csrf_token"' in page and "保留 180 天" in page


def _rows(page: str) -> str:
    return page.split("<tbody>")[1].split("</tbody>")[0]


def test_reveals_exports_and_refusals_are_in_the_log_in_words(client, auth):
    number = factories.id_number(seq=321)
    booking = factories.book(factories.session(), id_number=number)
    auth.login("reception")
    assert client.post(f"/staff/reception/bookings/{booking.id}/reveal").status_code == 200
    assert client.post("/staff/exports/download", data={
        "kind": "bookings", "start": "2026-11-01", "end": "2026-11-30", "reveal": "y"},
    ).status_code == 200
    assert client.get("/staff/audit").status_code == 403
    auth.logout()
    auth.login("admin")
    rows = _rows(client.get("/staff/audit").text)
    assert "查看完整身份证号" in rows and number not in rows
    assert "导出数据" in rows and "含完整身份证号和手机号码：是" in rows
    assert "越权访问被拒绝" in rows and "页面" in rows and "访问地址：/staff/audit" in rows
    denied = _rows(client.get("/staff/audit?action=access.denied").text)
    assert denied.count("越权访问被拒绝") == 1 and "reception-user" in denied


def test_every_reveal_endpoint_is_one_whose_audit_entry_is_tested(app):
    """A new view that shows a full ID number must be audited and tested like these."""
    tested = {  # endpoint -> where its audit entry is asserted
        "reception_staff.reveal_id": "tests/reception/test_staff_pages.py",
        "reception_desk.reveal": "tests/reception/test_desk.py",
        "casework_day.reveal_id": "tests/casework/test_day.py",
        "evaluation_staff.reveal_id": "tests/evaluation/test_access.py",
    }
    reveals = {r.endpoint for r in app.url_map.iter_rules() if "reveal" in r.endpoint}
    assert reveals == set(tested)
    assert all(r.methods - {"OPTIONS"} == {"POST"} for r in app.url_map.iter_rules()
               if r.endpoint in tested)
