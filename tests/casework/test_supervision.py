"""Supervision (督办) through the pages: the list, its highlighting and counts, the hand-over
page and every rule of its four forms (progress, reminder, extension, conclusion)."""
from __future__ import annotations

from datetime import date, time

import pytest
from sqlalchemy import func, select

from portal import audit, create_app
from portal.casework.models import HandOver, HandOverNote
from portal.extensions import db
from tests import factories
from tests.casework import builders
from tests.conftest import PortalClient, base_config
from tests.helpers import count_statements

MONDAY = date(2026, 11, 23)  # the default session's day; hand-overs are made on it


@pytest.fixture
def case(app, clock):
    """One open hand-over (handed over 23 Nov 2026, due 22 Jan 2027); the clock on 1 Dec."""
    made = builders.handover(clock, builders.unit())
    builders.at(clock, date(2026, 12, 1))
    return made


def url(h, action: str = "") -> str:
    return f"/staff/handovers/{h.id}" + (f"/{action}" if action else "")


def state(h) -> tuple:
    """What a refused request must leave unchanged: the row, its notes, the audit log (but
    for the refusals themselves, audited as access.denied)."""
    db.session.expire_all()
    row = db.session.get(HandOver, h.id)
    return (row.status, row.due_on, row.extension_days, row.extension_reason, row.concluded_on,
            row.reply_cipher,
            db.session.scalar(select(func.count(HandOverNote.id))),
            db.session.scalar(select(func.count(audit.AuditEntry.id))
                              .where(audit.AuditEntry.action != "access.denied")))


EXTEND = {"extend-days": "20", "extend-reason": "需调取十年前的征地档案"}
CONCLUDE = {"conclude-concluded_on": "2026-11-30", "conclude-reply": "补偿款差额已于11月30日补发到位"}
PROGRESS = {"progress-noted_on": "2026-11-25", "progress-text": "住建局已约谈村委会"}
REMINDER = {"reminder-noted_on": "2026-11-28", "reminder-method": "phone",
            "reminder-text": "请于本周内报送核查结果"}


# --- the hand-over page: success ----------------------------------------------------------------

def test_the_page_shows_the_visit_and_the_hand_over(client, auth, case):
    auth.login()
    page = client.get(url(case)).text
    assert "张某某" in page and "张三" not in page  # the citizen masked
    for text in ("刘海涛", "值班领导", "征地拆迁", "补偿款未足额发放", "请住建局核实", "县住建局",
                 "核实补偿款发放情况并答复来访人", "2027年1月22日", "办理中"):
        assert text in page, text
    assert f'action="/staff/handovers/{case.id}/extend"' in page


def test_progress_reminder_extension_and_conclusion(client, auth, case):
    auth.login()
    response = client.post(url(case, "notes"), data=PROGRESS)
    assert response.status_code == 303 and response.location.endswith(url(case))
    assert client.post(url(case, "reminders"), data=REMINDER).status_code == 303
    response = client.post(url(case, "extend"), data=EXTEND, follow_redirects=True)
    assert "已延期 20 天" in response.text
    page = response.text
    assert "需调取十年前的征地档案" in page and "2027年2月11日" in page and "已延期" in page
    assert f'action="/staff/handovers/{case.id}/extend"' not in page  # extended: form gone
    notes = page[page.index("办理进展和催办"):]
    assert notes.index("电话催办") < notes.index("住建局已约谈村委会")  # newest first
    response = client.post(url(case, "conclude"), data=CONCLUDE, follow_redirects=True)
    assert "已办结" in response.text and "补偿款差额已于11月30日补发到位" in response.text
    assert "/conclude" not in response.text and "/notes" not in response.text
    db.session.expire_all()
    row = db.session.get(HandOver, case.id)
    assert (row.extension_days, row.due_on, row.concluded_on) == (20, date(2027, 2, 11),
                                                                 date(2026, 11, 30))
    kinds = [e.action for e in db.session.scalars(
        select(audit.AuditEntry).where(audit.AuditEntry.object_type == "handover"))]
    assert {"handover.progress", "handover.remind", "handover.extend",
            "handover.conclude"} <= set(kinds)


# --- the rules: refusals ------------------------------------------------------------------------

def test_a_second_extension_is_refused_and_changes_nothing(client, auth, case):
    auth.login()
    assert client.post(url(case, "extend"), data=EXTEND).status_code == 303
    before = state(case)
    response = client.post(url(case, "extend"), data={"extend-days": "5",
                                                       "extend-reason": "再延一次"})
    assert response.status_code == 409
    assert "已延期过一次" in response.text
    assert state(case) == before


@pytest.mark.parametrize("data, message", [
    ({"extend-days": "31", "extend-reason": "需要更多时间"}, "延期天数为 1–30 天"),
    ({"extend-days": "0", "extend-reason": "需要更多时间"}, "延期天数为 1–30 天"),
    ({"extend-days": "10", "extend-reason": ""}, "请填写延期理由"),
    ({"extend-days": "10", "extend-reason": "   "}, "请填写延期理由"),
    ({"extend-days": "", "extend-reason": "需要更多时间"}, "请填写延期天数"),
    ({"extend-days": "九", "extend-reason": "需要更多时间"}, "整数"),
])
def test_a_bad_extension_is_a_422_with_the_input_kept(client, auth, case, data, message):
    auth.login()
    before = state(case)
    response = client.post(url(case, "extend"), data=data)
    assert response.status_code == 422
    assert message in response.text and "错误：" in response.text
    if data["extend-reason"].strip():
        assert data["extend-reason"] in response.text  # what was typed is still there
    assert state(case) == before


def test_the_extension_limit_is_the_setting(client, auth, case):
    from portal import settings

    auth.login()
    assert settings.save({"handover_extension_max_days": "10"}) == {}
    db.session.commit()
    response = client.post(url(case, "extend"), data={**EXTEND, "extend-days": "11"})
    assert response.status_code == 422 and "1–10 天" in response.text


def test_a_second_conclusion_is_refused(client, auth, case):
    auth.login()
    assert client.post(url(case, "conclude"), data=CONCLUDE).status_code == 303
    before = state(case)
    response = client.post(url(case, "conclude"), data={**CONCLUDE, "conclude-reply": "另一个答复"})
    assert response.status_code == 409 and "已办结，不能重复办结" in response.text
    assert state(case) == before


@pytest.mark.parametrize("action, data", [("notes", PROGRESS), ("reminders", REMINDER),
                                          ("extend", EXTEND)])
def test_nothing_is_added_to_a_concluded_hand_over(client, auth, case, action, data):
    auth.login()
    assert client.post(url(case, "conclude"), data=CONCLUDE).status_code == 303
    before = state(case)
    response = client.post(url(case, action), data=data)
    assert response.status_code == 409 and "已办结" in response.text
    assert state(case) == before


@pytest.mark.parametrize("action, data, field", [
    ("notes", PROGRESS, "progress-noted_on"),
    ("reminders", REMINDER, "reminder-noted_on"),
    ("conclude", CONCLUDE, "conclude-concluded_on"),
])
@pytest.mark.parametrize("day", ["2026-12-02", "2026-11-22", "2030-01-01"])
def test_dates_in_the_future_or_before_the_hand_over_are_422(client, auth, case, action, data,
                                                             field, day):
    auth.login()
    before = state(case)
    response = client.post(url(case, action), data={**data, field: day})
    assert response.status_code == 422
    assert "日期应在 2026年11月23日 星期一 至 2026年12月1日 星期二 之间" in response.text
    assert state(case) == before


@pytest.mark.parametrize("action, data, message", [
    ("notes", {**PROGRESS, "progress-text": ""}, "请填写办理进展"),
    ("notes", {**PROGRESS, "progress-noted_on": ""}, "请填写日期"),
    ("notes", {**PROGRESS, "progress-noted_on": "2026-02-30"}, "日期格式不正确"),
    ("reminders", {**REMINDER, "reminder-method": ""}, "请选择催办方式"),
    ("reminders", {**REMINDER, "reminder-method": "fax"}, "请选择催办方式"),
    ("conclude", {**CONCLUDE, "conclude-reply": "x"}, "请填写答复意见"),
    ("conclude", {**CONCLUDE, "conclude-reply": "长" * 2001}, "最多 2000 字"),
])
def test_missing_or_bad_fields_are_422(client, auth, case, action, data, message):
    auth.login()
    before = state(case)
    response = client.post(url(case, action), data=data)
    assert response.status_code == 422 and message in response.text
    assert state(case) == before


def test_roles_and_unknown_ids(client, auth, case):
    auth.login("evaluation")
    before = state(case)
    assert client.get(url(case)).status_code == 403
    assert client.get("/staff/supervision/").status_code == 403
    assert client.post(url(case, "conclude"), data=CONCLUDE).status_code == 403
    assert state(case) == before
    auth.logout()
    assert client.get(url(case)).status_code in (302, 303)  # to the login page
    auth.login("admin")  # administrators pass every staff check
    assert client.get(url(case)).status_code == 200
    assert client.get("/staff/handovers/999999").status_code == 404
    assert client.post("/staff/handovers/999999/notes", data=PROGRESS).status_code == 404


def test_a_post_without_csrf_token_is_400_and_changes_nothing(tmp_path, database_url, clock):
    app = create_app({**base_config(tmp_path, database_url), "WTF_CSRF_ENABLED": True})
    app.test_client_class = PortalClient  # a fresh ``g`` per request, as in production
    with app.app_context():
        made = builders.handover(clock, builders.unit())
        builders.at(clock, date(2026, 12, 1))
        client = app.test_client()
        user = factories_user()
        page = client.get("/staff/login").text
        token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
        assert client.post("/staff/login", data={"username": user, "password": PASSWORD,
                                                 "csrf_token": token}).status_code == 303
        before = state(made)
        for action, data in (("notes", PROGRESS), ("reminders", REMINDER), ("extend", EXTEND),
                             ("conclude", CONCLUDE)):
            response = client.post(url(made, action), data=data)
            assert response.status_code == 400 and "安全校验失败" in response.text
        assert state(made) == before
        page = client.get(url(made)).text
        token = page.split('name="conclude-csrf_token" type="hidden" value="')[1].split('"')[0]
        response = client.post(url(made, "conclude"),
                               data={**CONCLUDE, "conclude-csrf_token": token})
        assert response.status_code == 303  # the page's own token works
        db.session.remove()
        db.engine.dispose()


PASSWORD = "correct-horse-battery"


def factories_user() -> str:
    from portal.accounts.services import create_user

    create_user("desk", "reception", PASSWORD, "接待科")
    db.session.commit()
    return "desk"


# --- the supervision list -----------------------------------------------------------------------

def _three_cases(clock):
    """Due 3 Dec (10 days), 22 Jan (default) and 1 Dec, handed over 23 Nov."""
    unit = builders.unit()
    session = factories.session(start=time(9), end=time(11), slot=20)
    soon = builders.handover(clock, unit, session, name="王五", due_on=date(2026, 12, 3))
    later = builders.handover(clock, unit, session, name="赵六")
    due = builders.handover(clock, unit, session, name="孙七", due_on=date(2026, 12, 1))
    return soon, later, due


def row_of(page: str, h) -> str:
    start = page.index(f'data-handover="{h.id}"')
    return page[page.rindex("<tr", 0, start):page.index("</tr>", start)]


def test_overdue_and_due_soon_rows_are_marked_by_class_and_words(client, auth, clock):
    soon, later, due = _three_cases(clock)
    auth.login()
    builders.at(clock, date(2026, 11, 30))  # 3 Dec is 3 days away, 1 Dec 1 day
    page = client.get("/staff/supervision/").text
    assert "deadline-due-soon" in row_of(page, soon) and "3 天后到期" in row_of(page, soon)
    assert "1 天后到期" in row_of(page, due)
    assert "deadline-on-time" in row_of(page, later) and "还有 53 天" in row_of(page, later)
    assert page.index(row_of(page, due)) < page.index(row_of(page, soon)) < page.index(
        row_of(page, later))  # by deadline
    builders.at(clock, date(2026, 12, 5))
    page = client.get("/staff/supervision/").text
    assert "deadline-overdue" in row_of(page, due) and "超期 4 天" in row_of(page, due)
    assert "超期 2 天" in row_of(page, soon)
    assert 'data-count="overdue">2<' in page and 'data-count="open">3<' in page
    assert 'data-count="due_soon">0<' in page
    assert "王某某" in page and "王五" not in page


def test_counts_filters_and_concluded_this_month(client, auth, clock):
    soon, later, due = _three_cases(clock)
    other = builders.handover(clock, builders.unit("城关镇人民政府", "township"),
                              factories.session(day=date(2026, 11, 24)), name="周八")
    auth.login()
    builders.at(clock, date(2026, 12, 2))
    client.post(url(later, "conclude"), data={**CONCLUDE, "conclude-concluded_on": "2026-12-01"})
    page = client.get("/staff/supervision/").text
    assert 'data-count="open">3<' in page and 'data-count="concluded_month">1<' in page
    assert 'data-count="overdue">1<' in page and 'data-count="due_soon">1<' in page
    assert f'data-handover="{later.id}"' not in page  # open only by default
    page = client.get("/staff/supervision/?state=concluded").text
    assert f'data-handover="{later.id}"' in page and f'data-handover="{soon.id}"' not in page
    assert "按期办结" in page
    page = client.get("/staff/supervision/?urgent=1").text
    shown = {h.id for h in (soon, later, due, other) if f'data-handover="{h.id}"' in page}
    assert shown == {soon.id, due.id}
    page = client.get(f"/staff/supervision/?unit={other.unit_id}&state=all").text
    shown = {h.id for h in (soon, later, due, other) if f'data-handover="{h.id}"' in page}
    assert shown == {other.id}
    # Bad filters are ignored, never a 500.
    for query in ("?unit=abc", "?unit=99999999999", "?state=x", "?page=-1", "?page=999"):
        assert client.get("/staff/supervision/" + query).status_code == 200


def test_the_list_shows_notes_reminders_and_the_extension_mark(client, auth, case):
    auth.login()
    client.post(url(case, "notes"), data=PROGRESS)
    client.post(url(case, "reminders"), data=REMINDER)
    client.post(url(case, "reminders"), data={**REMINDER, "reminder-noted_on": "2026-11-30"})
    client.post(url(case, "extend"), data=EXTEND)
    row = row_of(client.get("/staff/supervision/").text, case)
    assert "2026年11月25日" in row  # last progress
    assert "<td>2</td>" in row  # reminders
    assert "已延期" in row and "核实补偿款发放情况" in row


def test_htmx_filtering_gets_the_results_fragment(client, auth, case):
    auth.login()
    response = client.get("/staff/supervision/?state=all", headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<div id="results">')
    assert "<html" not in response.text and f'data-handover="{case.id}"' in response.text


def test_the_list_runs_a_constant_number_of_statements(client, auth, clock):
    unit = builders.unit()
    session = factories.session(start=time(9), end=time(12), slot=20)
    builders.handover(clock, unit, session, name="王五")
    auth.login()
    client.get("/staff/supervision/?state=all")  # warm-up: reference data kept per process
    db.session.rollback()  # and a transaction of its own for the count
    with count_statements() as one:
        assert client.get("/staff/supervision/?state=all").status_code == 200
    for name in ("赵六", "孙七", "周八", "吴九"):
        made = builders.handover(clock, unit, session, name=name)
    auth.login()
    client.post(url(made, "notes"), data={**PROGRESS, "progress-noted_on": "2026-11-23"})
    with count_statements() as five:
        page = client.get("/staff/supervision/?state=all")
    assert page.text.count("data-handover=") == 5
    assert len(five) == len(one), (one, five)


def test_the_list_pages_fifty_at_a_time(client, auth, clock, monkeypatch):
    from portal.casework import queries

    monkeypatch.setattr(queries, "PER_PAGE", 2)
    soon, later, due = _three_cases(clock)
    auth.login()
    first = client.get("/staff/supervision/").text
    assert "第 1/2 页" in first and "page=2" in first
    second = client.get("/staff/supervision/?page=2").text
    assert f'data-handover="{later.id}"' in second and f'data-handover="{due.id}"' not in second
