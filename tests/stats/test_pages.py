"""The dashboard, its exports and the transparency page over HTTP: who may see them, what a
wrong period answers, what the files and charts hold, and how many statements they take."""
from __future__ import annotations

import csv
import io
import re
import xml.etree.ElementTree as ET

import pytest
from openpyxl import load_workbook

from portal.stats import report
from tests.helpers import count_statements
from tests.stats import dataset

NOV = "start=2026-11-02&end=2026-11-15"
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def county(app):
    dataset.county()


def charts(html: str) -> list[ET.Element]:
    return [ET.fromstring(svg) for svg in re.findall(r"<svg\b.*?</svg>", html, re.S)]


@pytest.mark.parametrize("role", ["admin", "reception", "evaluation"])
def test_staff_roles_see_the_dashboard(client, auth, role):
    auth.login(role)
    response = client.get(f"/staff/stats/?{NOV}")
    assert response.status_code == 200
    assert "接访预约概况" in response.get_data(as_text=True)


def test_panel_members_are_refused_and_visitors_sent_to_login(client, auth):
    assert "/staff/login" in client.get("/staff/stats/").headers["Location"]
    assert "/staff/login" in client.get(f"/staff/stats/export/reception.csv?{NOV}").headers[
        "Location"]
    auth.login("panel")
    assert client.get("/staff/stats/").status_code == 403
    assert client.get(f"/staff/stats/export/reception.csv?{NOV}").status_code == 403


@pytest.mark.parametrize("query, message", [
    ("start=2026-13-01&end=2026-11-15", "日期格式不正确"),
    ("start=yesterday", "日期格式不正确"),
    ("start=2026-11-15&end=2026-11-02", "结束日期不能早于开始日期"),
    ("start=2020-01-01&end=2026-11-15", "统计期间最长"),
    ("start=1900-01-01&end=2026-11-15", "日期应在"),
    ("start=%00&end=%EF%BC%91", ""),
])
def test_a_wrong_period_is_explained_never_a_500(client, auth, query, message):
    auth.login("reception")
    response = client.get(f"/staff/stats/?{query}")
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    export = client.get(f"/staff/stats/export/reception.xlsx?{query}")
    assert export.status_code == 400
    if message:  # (a control character is refused earlier, by the request guard)
        assert "统计期间有误" in export.get_data(as_text=True)


def test_default_period_is_this_month_so_far(client, auth):
    auth.login("reception")
    html = client.get("/staff/stats/").get_data(as_text=True)
    assert 'value="2026-11-01"' in html and 'value="2026-11-18"' in html


def test_charts_are_well_formed_and_carry_their_values(client, auth, county):
    auth.login("reception")
    html = client.get(f"/staff/stats/?{NOV}").get_data(as_text=True)
    found = charts(html)
    assert len(found) == len([k for k in report.TABLE_KEYS]) == 10
    for svg in found:
        assert svg.get("role") == "img"
        ids = svg.get("aria-labelledby").split()
        assert [svg.find(f"{SVG}title").get("id"), svg.find(f"{SVG}desc").get("id")] == ids
        assert svg.find(f"{SVG}defs").findall(f"{SVG}pattern")  # patterns, not colours alone
    by_leader = next(s for s in found if s.find(f"{SVG}title").text.endswith("按接访领导")
                     and "接访预约" in s.find(f"{SVG}title").text)
    texts = [t.text for t in by_leader.iter(f"{SVG}text")]
    assert "刘海涛" in texts and "=HYPERLINK(…" in texts  # long labels are shortened ...
    bar_titles = [t.text for rect in by_leader.iter(f"{SVG}rect") for t in rect.iter(f"{SVG}title")]
    assert f"{dataset.FORMULA_LEADER} 预约：2" in bar_titles  # ... and whole on each bar
    assert {"4", "2"} <= set(texts)  # the bookings written on the bars
    assert "预约" in texts  # the legend names the series


def test_csv_export_is_excel_ready_and_formula_safe(client, auth, county):
    auth.login("evaluation")
    response = client.get(f"/staff/stats/export/reception_leaders.csv?{NOV}")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "filename*=UTF-8''" in response.headers["Content-Disposition"]
    assert response.data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0][:4] == ["接访领导", "接访场次", "提供号源", "预约"]
    assert rows[1] == ["刘海涛", "1", "3", "4", "100.0%", "1", "2", "1", "33.3%", "1", "6"]
    assert rows[2][0] == "'" + dataset.FORMULA_LEADER and rows[2][3] == "2"
    assert rows[-1] == ["统计期间：2026-11-02 至 2026-11-15"]


def test_xlsx_export_keeps_text_as_text(client, auth, county):
    auth.login("reception")
    response = client.get(f"/staff/stats/export/handover_units.xlsx?{NOV}")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("责任单位", "交办", "办结", "按期办结", "按期办结率", "当前超期未办结")
    assert rows[1] == (dataset.FORMULA_UNIT, 1, 2, 1, 0.5, 0)  # by name: "@" sorts first
    assert rows[2] == ("县住建局", 2, 1, 1, 1.0, 1)
    cell = sheet.cell(row=2, column=1)
    assert cell.data_type == "s" and cell.quotePrefix
    assert sheet.cell(row=3, column=5).number_format == "0.0%"


@pytest.mark.parametrize("key", report.TABLE_KEYS)
def test_every_table_exports_in_both_formats(client, auth, county, key):
    auth.login("admin")
    for fmt in ("csv", "xlsx"):
        assert client.get(f"/staff/stats/export/{key}.{fmt}?{NOV}").status_code == 200
    assert client.get(f"/staff/stats/export/{key}.pdf?{NOV}").status_code == 404


def test_summary_export_keeps_the_previous_period(client, auth, county):
    auth.login("reception")
    sheet = load_workbook(io.BytesIO(client.get(
        f"/staff/stats/export/reception.xlsx?{NOV}").data)).active
    rows = {r[0]: r[1:] for r in sheet.iter_rows(min_row=2, values_only=True) if r and r[0]}
    assert rows["预约"] == (6, 2, "+4")
    assert rows["号源使用率"][:2] == (0.8, 1.0)


def test_transparency_is_public_and_names_nobody(client, county):
    response = client.get("/transparency")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "2026年11月（截至今天）" in html and "&lt;5" in html
    for name in ("刘海涛", "张三", "王五", "县住建局", dataset.FORMULA_LEADER):
        assert name not in html
    assert 'href="/transparency"' in client.get("/").get_data(as_text=True)


def _statements(client, url: str) -> int:
    client.get(url)
    with count_statements() as statements:
        assert client.get(url).status_code == 200
    return len(statements)


def test_statements_do_not_grow_with_the_data(client, auth):
    auth.login("reception")
    urls = (f"/staff/stats/?{NOV}", "/transparency")
    empty = {url: _statements(client, url) for url in urls}
    dataset.county()
    dataset.settled_world()
    full = {url: _statements(client, url) for url in urls}
    assert empty == full, (empty, full)
    assert full["/transparency"] <= 6 and full[f"/staff/stats/?{NOV}"] <= 16, full


def test_htmx_gets_the_figures_fragment(client, auth, county):
    auth.login("reception")
    response = client.get(f"/staff/stats/?{NOV}", headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and html.lstrip().startswith('<div id="stats-figures">')
    assert "<html" not in html and len(charts(html)) == 10


def test_linked_from_the_workbench_and_the_window_on_the_settings_page(client, auth):
    auth.login("admin")
    assert 'href="/staff/stats/"' in client.get("/staff/").get_data(as_text=True)
    settings_page = client.get("/staff/settings").get_data(as_text=True)
    assert "stats_settled_window_days" in settings_page and "息诉息访观察期" in settings_page

