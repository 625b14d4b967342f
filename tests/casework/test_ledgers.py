"""The leaders' and units' ledgers (领导接访台账, 单位台账) against a small dataset built by hand:
two leaders, two units, four hand-overs (one extended, one concluded late, one concluded on
time, one overdue), one visit answered on the spot and one checked in without a record."""
from __future__ import annotations

import re
from datetime import date, time

import pytest

from portal.casework import services
from portal.extensions import db
from tests import factories
from tests.casework import builders
from tests.factories import STAFF
from tests.helpers import count_statements

TODAY = date(2026, 12, 10)


@pytest.fixture
def data(app, clock):
    jia = factories.leader("甲副县长", ("征地拆迁", "社会保障"))
    yi = factories.leader("乙副县长", ("征地拆迁", "社会保障"))
    s1 = factories.session(jia, day=date(2026, 11, 23))  # 乙 is the duty leader
    s1.duty_leader_id = yi.id
    s2 = factories.session(yi, day=date(2026, 11, 24), start=time(14), end=time(15))
    s3 = factories.session(jia, day=date(2026, 11, 30))
    db.session.commit()
    u1 = builders.unit("县住建局", "department")
    u2 = builders.unit("城关镇人民政府", "township")
    h1 = builders.handover(clock, u1, s1, name="王五")
    h2 = builders.handover(clock, u2, s1, name="赵六", due_on=date(2026, 12, 3))
    h3 = builders.handover(clock, u1, s2, name="孙七", due_on=date(2026, 12, 4))
    builders.visit(clock, s2, name="周八")  # checked in, no record
    h4 = builders.handover(clock, u2, s3, name="吴九")
    builders.answered(clock, s3, name="郑十")
    now = builders.at(clock, TODAY)
    services.extend(h1, 10, "需调取档案", STAFF, now)
    services.conclude(h2, "已补发", date(2026, 12, 8), STAFF, now)  # 5 days late
    services.conclude(h4, "已解决", date(2026, 12, 5), STAFF, now)  # on time
    db.session.commit()
    return {"jia": jia, "yi": yi, "u1": u1, "u2": u2, "h": (h1, h2, h3, h4),
            "s": (s1, s2, s3)}


def figures(page: str, marker: str) -> dict[str, int]:
    start = page.index(marker)
    row = page[start:page.index("</tr>", start)]
    return {k: int(v) for k, v in re.findall(r'data-figure="(\w+)">(\d+)<', row)}


def test_the_leaders_ledger_counts(client, auth, data):
    auth.login()
    page = client.get("/staff/ledgers/leaders/").text
    assert figures(page, f'data-leader="{data["jia"].id}"') == {
        "sessions": 2, "duty_days": 0, "received": 4, "records": 4, "handovers": 3, "open": 1,
        "concluded": 2, "overdue": 0, "late_concluded": 1}
    assert figures(page, f'data-leader="{data["yi"].id}"') == {
        "sessions": 1, "duty_days": 1, "received": 2, "records": 1, "handovers": 1, "open": 1,
        "concluded": 0, "overdue": 1, "late_concluded": 0}
    assert "2026年1月1日 星期四 至 2026年12月31日 星期四" in page


def test_the_range_narrows_the_figures(client, auth, data):
    auth.login()
    page = client.get("/staff/ledgers/leaders/?start=2026-11-24&end=2026-11-30").text
    assert figures(page, f'data-leader="{data["jia"].id}"')["sessions"] == 1
    assert figures(page, f'data-leader="{data["jia"].id}"')["handovers"] == 1
    assert figures(page, f'data-leader="{data["yi"].id}"')["duty_days"] == 0


@pytest.mark.parametrize("query", ["?start=2026-13-01", "?end=yesterday", "?start=9999-01-01",
                                   "?start=2026-12-31&end=2026-01-01"])
def test_a_bad_range_falls_back_to_this_year_with_a_message(client, auth, data, query):
    auth.login()
    for path in ("/staff/ledgers/leaders/", f"/staff/ledgers/leaders/{data['jia'].id}",
                 f"/staff/ledgers/units/{data['u1'].id}"):
        response = client.get(path + query)
        assert response.status_code == 200
        assert "已按默认范围" in response.text
        assert "2026年1月1日 星期四 至 2026年12月31日 星期四" in response.text


def test_one_leaders_ledger_lists_sessions_duty_days_and_cases(client, auth, data):
    h1, h2, h3, h4 = data["h"]
    s1, s2, s3 = data["s"]
    auth.login()
    page = client.get(f"/staff/ledgers/leaders/{data['jia'].id}").text
    assert f'data-session="{s1.id}"' in page and f'data-session="{s3.id}"' in page
    assert f'data-session="{s2.id}"' not in page and "本人值班" not in page
    assert {h.id for h in data["h"] if f'data-handover="{h.id}"' in page} == {h1.id, h2.id,
                                                                               h4.id}
    assert "超期 5 天办结" in page and "按期办结" in page and "已延期" in page
    assert "王某某" in page and "王五" not in page
    page = client.get(f"/staff/ledgers/leaders/{data['yi'].id}").text
    duty_row = page[page.index(f'data-session="{s1.id}"') - 40:]
    assert "duty-day" in duty_row[:80] and "本人值班" in duty_row[:duty_row.index("</tr>")]
    assert f'data-handover="{h3.id}"' in page and "超期 6 天" in page
    assert 'data-days-late="6"' in page


def test_the_unit_ledger_shows_lateness(client, auth, data):
    h1, h2, h3, h4 = data["h"]
    auth.login()
    page = client.get(f"/staff/ledgers/units/{data['u1'].id}").text
    assert {k: v for k, v in re.findall(r'data-figure="(\w+)">([\d.]+)<', page)} == {
        "cases": "2", "open": "2", "concluded": "0", "late": "1", "average": "3.0",
        "average_late": "6.0"}
    assert f'data-handover="{h1.id}"' in page and f'data-handover="{h3.id}"' in page
    page = client.get(f"/staff/ledgers/units/{data['u2'].id}").text
    assert {k: v for k, v in re.findall(r'data-figure="(\w+)">([\d.]+)<', page)} == {
        "cases": "2", "open": "0", "concluded": "2", "late": "1", "average": "2.5",
        "average_late": "5.0"}


def test_ledgers_are_printable(client, auth, data):
    auth.login()
    page = client.get(f"/staff/ledgers/units/{data['u1'].id}").text
    assert 'class="ledger"' in page and "no-print" in page
    css = client.get("/static/css/portal.css").text
    block = css[css.index("/* casework: supervision and ledgers */"):]
    assert "@page ledger" in block and "A4" in block and "@media print" in block


def test_ledger_statements_do_not_grow_with_rows(client, auth, data, clock):
    auth.login()
    pages = ("/staff/ledgers/leaders/", f"/staff/ledgers/leaders/{data['jia'].id}",
             f"/staff/ledgers/units/{data['u1'].id}")
    for path in pages:
        client.get(path)  # warm-up: reference data kept per process
    before = {}
    for path in pages:
        db.session.rollback()  # each counted request begins its own transaction
        with count_statements() as statements:
            assert client.get(path).status_code == 200
        before[path] = len(statements)
    bing = factories.leader("丙副县长", ("征地拆迁",))
    more = factories.session(data["jia"], day=date(2026, 12, 14), start=time(9), end=time(11))
    factories.session(bing, day=date(2026, 12, 15))
    for name in ("钱一", "钱二", "钱三"):
        builders.handover(clock, data["u1"], more, name=name)
    builders.at(clock, TODAY + (date(2026, 12, 16) - TODAY))
    auth.login()
    for path in pages:
        db.session.rollback()
        with count_statements() as statements:
            assert client.get(path).status_code == 200
        assert len(statements) == before[path], path


def test_ledgers_need_the_reception_role(client, auth, data):
    auth.login("panel")
    for path in ("/staff/ledgers/leaders/", f"/staff/ledgers/leaders/{data['jia'].id}",
                 f"/staff/ledgers/units/{data['u1'].id}"):
        assert client.get(path).status_code == 403
    auth.login("admin")
    assert client.get("/staff/ledgers/leaders/999999").status_code == 404
