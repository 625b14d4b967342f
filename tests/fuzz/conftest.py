"""One seeded portal for the whole fuzzing run, restored to the seed before each form, and
the run's totals printed at the end (examples run, 5xx seen: the closing note of issue 10)."""
from __future__ import annotations

import random
import shutil
from datetime import date, time

import pytest
from sqlalchemy import select

from portal import calendar, create_app
from portal.demo import seed_demo
from portal.extensions import db
from portal.reception import management
from portal.reception.models import Leader
from tests.conftest import FIXED_NOW, PG_URL, base_config
from tests.fuzz import world

TOTALS: dict = {}


@pytest.fixture(scope="session")
def seeded(migrated_template, tmp_path_factory):
    """The app on a database holding the demo county, and the seed's rows to restore."""
    if PG_URL:
        url = PG_URL
    else:
        path = tmp_path_factory.mktemp("fuzz") / "fuzz.sqlite3"
        shutil.copy(migrated_template.removeprefix("sqlite:///"), path)
        url = f"sqlite:///{path}"
    app = create_app(base_config(tmp_path_factory.mktemp("fuzz-instance"), url))
    with pytest.MonkeyPatch.context() as patch, app.app_context():
        patch.setattr(calendar, "now", lambda: FIXED_NOW)
        if PG_URL:  # what the last test left
            world.Snapshot({t.name: [] for t in world.tables()}).restore()
        seed_demo(rng=random.Random(2026), today=FIXED_NOW.date())
        _add_a_weekly_series()
        snapshot = world.Snapshot.take()
        db.session.remove()
    yield app, snapshot
    with app.app_context():
        db.engine.dispose()


def _add_a_weekly_series() -> None:
    """The demo has single sessions only; the series forms need a weekly series."""
    leader = db.session.scalars(select(Leader).order_by(Leader.id)).first()
    management.create_sessions(management.SessionPlan(
        leader_id=leader.id, first_day=date(2026, 12, 3), start_time=time(14, 0),
        end_time=time(16, 0), place="县人民来访接待中心", weeks=3, publish=True),
        "演示数据", FIXED_NOW)
    db.session.commit()


@pytest.fixture
def fuzz_app(seeded):
    app, snapshot = seeded
    with app.app_context():
        snapshot.restore()
    return app


@pytest.fixture(scope="session")
def totals():
    return TOTALS


def pytest_terminal_summary(terminalreporter):
    if TOTALS:
        examples = sum(t.examples for t in TOTALS.values())
        errors = sum(t.server_errors for t in TOTALS.values())
        terminalreporter.write_line(
            f"fuzz: {len(TOTALS)} forms, {examples} examples run, 5xx seen: {errors}")
