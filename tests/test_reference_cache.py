"""Reference data kept per process (portal/reference.py) stays correct across servers.

Two applications on one database stand for two servers: each keeps its own copy of the rule
settings, the bureau's contact details, the working calendar and the confirmed years. A change
committed through one is in force on the other's very next request; without a change the
other reads only the version number. Runs on SQLite, and on PostgreSQL with TEST_DATABASE_URL.
"""
from __future__ import annotations

import re
from contextlib import contextmanager
from datetime import date

import pytest
from sqlalchemy import event, select

from portal import calendar, create_app, settings
from portal.admin import services as admin
from portal.extensions import db
from portal.reference import ReferenceVersion
from tests.conftest import base_config

DAY = date(2026, 11, 20)  # a Friday, a working day by the State Council's calendar
LATER = 2031  # a year chinesecalendar does not know yet (confirmed by an administrator)


@pytest.fixture
def servers(tmp_path, database_url):
    made = [create_app(base_config(tmp_path / name, database_url)) for name in ("a", "b")]
    yield made
    for app in made:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@contextmanager
def request_on(app, path: str = "/"):
    """One request context of ``app``; yields the SQL statements it ran."""
    statements: list[str] = []
    with app.test_request_context(path):
        record = lambda _c, _cur, sql, *_a: statements.append(sql)  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", record)
        try:
            yield statements
        finally:
            event.remove(db.engine, "before_cursor_execute", record)
            db.session.remove()


def change_on(app, action) -> None:
    with app.app_context():
        action()
        db.session.commit()
        db.session.remove()


def footer(app) -> str:
    page = app.test_client().get("/reception/lookup")
    assert page.status_code == 200
    return page.text.split('<footer class="site-footer">')[1]


def test_a_settings_change_on_one_server_is_in_force_on_the_other_at_once(servers):
    a, b = servers
    assert "县信访局" in footer(b) and "青山县信访局" not in footer(b)  # b keeps the defaults
    with request_on(b) as statements:
        assert settings.get("booking_max_party") == 5
    assert not [s for s in statements if re.search(r"FROM setting\b", s)]  # kept, not read
    change_on(a, lambda: admin.save_settings(
        {"bureau_name": "青山县信访局", "booking_max_party": "2"}, "admin"))
    assert "青山县信访局" in footer(b)  # b's very next request
    with request_on(b):
        assert settings.get("booking_max_party") == 2


def test_calendar_days_and_years_changed_on_one_server_hold_on_the_other(servers):
    a, b = servers
    with request_on(b):
        assert calendar.WorkingCalendar().is_working_day(DAY)
        assert not calendar.year_settled(LATER, calendar.confirmed_years())
    change_on(a, lambda: admin.set_calendar_day(DAY, False, "临时休息", "admin"))
    with request_on(b):
        assert not calendar.WorkingCalendar().is_working_day(DAY)
    change_on(a, lambda: admin.set_year_confirmed(LATER, True, "admin",
                                                  calendar.now()))
    with request_on(b):
        assert calendar.year_settled(LATER, calendar.confirmed_years())
    change_on(a, lambda: admin.delete_calendar_day(DAY, "admin"))
    with request_on(b) as statements:
        assert calendar.WorkingCalendar().is_working_day(DAY)
        calendar.WorkingCalendar()
    # One version check per request, the overrides read once on reload.
    assert len([s for s in statements if "FROM reference_version" in s]) == 1
    assert len([s for s in statements if "FROM calendar_override" in s]) == 1


def test_every_change_to_reference_rows_moves_the_version_and_a_rollback_does_not(servers):
    a, _b = servers

    def version() -> int:  # no row yet (PostgreSQL tests TRUNCATE it) counts as 0
        return db.session.scalar(select(ReferenceVersion.version)) or 0

    with a.app_context():
        first = version()
        db.session.add(calendar.CalendarOverride(day=DAY, is_working=False, note="直接写入"))
        db.session.flush()  # any code path: the flush moves it, in the same transaction
        assert version() == first + 1
        db.session.rollback()
        assert version() == first
        settings.save({"booking_max_party": "3"})
        db.session.commit()
        assert version() == first + 1


def test_a_request_that_changed_settings_reads_its_own_values_and_keeps_none(servers):
    """Within the changing transaction the new values are read directly; a rolled-back change
    never reaches the kept copy."""
    a, _b = servers
    with request_on(a, "/staff/settings"):
        assert settings.get("booking_max_party") == 5  # kept
        assert settings.save({"booking_max_party": "4"}) == {}
        assert settings.get("booking_max_party") == 4  # its own, uncommitted change
        db.session.rollback()
    with request_on(a):
        assert settings.get("booking_max_party") == 5
