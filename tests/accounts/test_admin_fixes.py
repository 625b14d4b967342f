"""Issue 15, administration: settings validated across fields (item 2) and an audit log
people can read and filter (item 8)."""
from __future__ import annotations

import json
import re
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from portal import audit, calendar, events, lifecycle, settings
from portal.extensions import db
from tests import factories


def _rows(page: str) -> str:
    return page.split("<tbody>")[1].split("</tbody>")[0]


def _form(**changes) -> dict[str, str]:
    values = {key: settings.as_text(value) for key, value in settings.current_values().items()}
    return {**values, **changes}


# --- item 2: settings across fields --------------------------------------------------------------

@pytest.mark.parametrize(("changes", "field", "reason"), [
    ({"eval_quorum_numerator": "4", "eval_quorum_denominator": "3"},
     "eval_quorum_numerator", "不能大于分母"),
    ({"eval_min_panel": "4", "eval_odd_panel": "1"}, "eval_min_panel", "单数"),
    ({"booking_cutoff_time": "00:00"}, "booking_cutoff_time", "00:00"),
    ({"booking_open_days": "2", "booking_min_working_days": "3"},
     "booking_min_working_days", "不能大于"),
])
def test_impossible_combinations_are_refused_with_the_reason(client, auth, changes, field,
                                                             reason):
    auth.login("admin")
    before = settings.current_values()
    page = client.post("/staff/settings", data=_form(**changes))
    assert page.status_code == 422
    assert reason in page.text and 'class="field-error"' in page.text
    db.session.expire_all()
    settings.forget_request_copy()
    assert settings.current_values() == before  # nothing saved
    assert settings.save(changes)[field]  # the service refuses it too, not only the page


def test_coherent_combinations_are_saved(client, auth):
    auth.login("admin")
    saved = client.post("/staff/settings", data=_form(
        eval_quorum_numerator="3", eval_quorum_denominator="3", eval_min_panel="4",
        eval_odd_panel="0", booking_open_days="3", booking_min_working_days="3"))
    assert saved.status_code == 303
    assert settings.get("eval_quorum_numerator") == 3 and settings.get("eval_min_panel") == 4


def test_a_cross_rule_sees_the_stored_value_of_a_field_not_submitted(app):
    assert settings.save({"eval_quorum_denominator": "2"}) == {}  # 2/2
    db.session.commit()
    assert "eval_quorum_numerator" in settings.save({"eval_quorum_denominator": "1"})


# --- item 8: the audit log in words -------------------------------------------------------------

def test_settings_changes_record_old_and_new_and_show_both(client, auth):
    auth.login("admin")
    assert client.post("/staff/settings", data=_form(booking_open_days="10")).status_code == 303
    entry = db.session.scalar(select(audit.AuditEntry).order_by(audit.AuditEntry.id.desc()))
    assert entry.action == "settings.update"
    assert json.loads(entry.detail) == {"booking_open_days": {"old": "7", "new": "10"}}
    page = client.get("/staff/audit").text
    assert "修改规则设置" in page and "提前开放预约天数：7 → 10" in page
    assert "booking_open_days" not in page.split("<tbody>")[1].split("</tbody>")[0] \
        .replace('title="settings.update"', "")


def test_entries_recorded_before_keep_displaying(client, auth):
    admin = auth.login("admin")
    audit.record("settings.update", "settings", "rules", actor=admin, booking_open_days="9")
    audit.record("some.future_action", "gadget", "7", actor=admin, raw={"a": 1})
    db.session.commit()
    page = client.get("/staff/audit").text
    assert "提前开放预约天数：→ 9" in page
    assert "some.future_action" in page  # an unknown code is shown as it is


def test_actions_and_objects_are_named(client, auth):
    admin = auth.login("admin")
    leader = factories.leader(name="王建国")
    events.emit("leader.deactivate", "leader", leader.id, actor=admin)
    db.session.commit()
    rows = _rows(client.get("/staff/audit").text)
    row = rows[rows.index("停用接访领导"):]
    assert "接访领导 王建国" in row[:300]
    assert "登录" in rows and "user.login" not in rows.replace('title="user.login"', "")


def test_every_audited_action_has_a_chinese_label():
    from portal.admin.audit_labels import ACTIONS, action_label

    codes = [f"{lc.name}.{t.event}" for lc in lifecycle.REGISTRY.values()
             for t in lc.transitions.values() if t.audited]
    assert [c for c in codes if action_label(c) == c] == []
    assert all(not re.search(r"[a-z_]", label) for label in ACTIONS.values())
    assert action_label("booking.some_new_step") == "booking.some_new_step"


def test_filters_by_who_what_object_and_date_and_paging_keeps_them(client, auth, clock):
    admin = auth.login("admin")
    other = auth.user("reception")
    for n in range(60):
        audit.record("leader.create", "leader", n, actor=other)
    audit.record("calendar.set", "calendar", "2026-10-01", actor=admin)
    db.session.commit()
    by_other = client.get("/staff/audit?actor=reception-user").text
    assert "新建接访领导" in _rows(by_other) and "设置工作日历" not in _rows(by_other)
    older = re.search(r'href="([^"]+)">更早的记录', by_other).group(1).replace("&amp;", "&")
    assert "actor=reception-user" in older and "before=" in older
    second = _rows(client.get(older).text)
    assert second.count("新建接访领导") == 10 and "设置工作日历" not in second
    what = _rows(client.get("/staff/audit?action=calendar.set").text)
    assert "设置工作日历" in what and "新建接访领导" not in what
    assert "新建接访领导" in _rows(client.get("/staff/audit?action=leader.").text)
    obj = _rows(client.get("/staff/audit?object_type=leader&object_id=5").text)
    assert obj.count("新建接访领导") == 1
    today = datetime.now(calendar.TZ).date()  # entries carry the real time
    assert "新建接访领导" in _rows(client.get(f"/staff/audit?since={today}&until={today}").text)
    empty = client.get(f"/staff/audit?until={today - timedelta(days=1)}&since=not-a-date").text
    assert "没有符合筛选条件的记录" in empty
    assert "新建接访领导" in _rows(client.get(f"/staff/audit?since={today}").text)
    assert client.get("/staff/audit?before=abc&object_id=" + "9" * 500).status_code == 200
