"""Issue 16.9: staff are warned until a year's working calendar is settled — known to the
library or confirmed complete by an administrator — not merely touched by one override."""
from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import select

from portal import audit, calendar
from portal.extensions import db

DASHBOARDS = ("/staff/", "/staff/reception/", "/staff/evaluation/", "/staff/calendar")


def _warnings(today: date) -> list[str]:
    return calendar.unsettled_year_warnings(today)


def test_an_unknown_current_year_warns_from_january(app):
    for today in (date(2027, 1, 4), date(2027, 3, 1), date(2027, 6, 1), date(2027, 9, 30)):
        assert any("2027年" in w for w in _warnings(today)), today


def test_next_year_warns_from_october(app):
    assert _warnings(date(2026, 6, 1)) == []  # 2026 is known; 2027 not yet due
    assert any("2027年" in w for w in _warnings(date(2026, 10, 1)))


def test_one_override_does_not_settle_a_year(app):
    db.session.add(calendar.CalendarOverride(day=date(2027, 1, 1), is_working=False, note="元旦"))
    db.session.commit()
    assert any("2027年" in w for w in _warnings(date(2026, 11, 18)))
    assert any("2027年" in w for w in _warnings(date(2027, 2, 1)))


@pytest.mark.parametrize("role", ["admin", "reception", "evaluation"])
def test_every_staff_dashboard_warns_until_an_administrator_confirms(app, client, auth, clock,
                                                                   role):
    clock.set(datetime(2027, 2, 3, 10, 0))  # unknown current year, well before October
    auth.login(role)
    pages = [url for url in DASHBOARDS
             if client.get(url).status_code == 200]  # the dashboards this role may open
    assert "/staff/" in pages and len(pages) >= 2
    for url in pages:
        assert "2027年法定节假日和调休安排尚未确认" in client.get(url).text, url
    auth.logout()
    auth.login("admin", "chief")
    assert client.post("/staff/calendar/years/2027/confirm").status_code == 303
    assert db.session.get(calendar.CalendarYear, 2027).confirmed_by == "chief"
    auth.logout()
    auth.login(role)
    for url in pages:
        assert "2027年法定节假日和调休安排尚未确认" not in client.get(url).text, url


def test_confirming_is_admin_only_audited_and_can_be_withdrawn(app, client, auth, clock):
    clock.set(datetime(2027, 2, 3, 10, 0))
    auth.login("reception")
    assert client.post("/staff/calendar/years/2027/confirm").status_code == 403
    auth.logout()
    auth.login("admin")
    client.post("/staff/calendar/years/2027/confirm")
    again = client.post("/staff/calendar/years/2027/confirm", follow_redirects=True)
    assert "已经确认" in again.text
    known = client.post("/staff/calendar/years/2026/confirm", follow_redirects=True)
    assert "已内置" in known.text and db.session.get(calendar.CalendarYear, 2026) is None
    client.post("/staff/calendar/years/2027/revoke")
    assert db.session.get(calendar.CalendarYear, 2027) is None
    assert "2027年法定节假日和调休安排尚未确认" in client.get("/staff/").text
    actions = list(db.session.scalars(select(audit.AuditEntry.action)
                                      .where(audit.AuditEntry.object_type == "calendar_year")))
    assert actions == ["calendar.year_confirm", "calendar.year_revoke"]


@pytest.mark.parametrize("year", [0, 1999, 2100, 99999])
def test_years_outside_the_range_are_refused_not_a_500(client, auth, year):
    auth.login("admin")
    response = client.post(f"/staff/calendar/years/{year}/confirm", follow_redirects=True)
    assert response.status_code == 200 and "年份应在 2000–2099 之间" in response.text
    assert db.session.scalar(select(calendar.CalendarYear)) is None


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31", "2027-02-30", "明天"])
def test_calendar_days_outside_the_range_are_refused(client, auth, day):
    auth.login("admin")
    response = client.post("/staff/calendar", data={"day": day, "note": "测试"})
    assert response.status_code == 422
    assert db.session.scalar(select(calendar.CalendarOverride)) is None
