"""Fixtures in the flaskr style: app, client, runner, auth — plus a fixed clock and factories.

The schema always comes from the migrations. SQLite (default): migrate once into a template
file, copy it for every test. PostgreSQL (TEST_DATABASE_URL set): migrate once, TRUNCATE
between tests. Time is frozen at a known working Wednesday unless a test moves it.
"""
from __future__ import annotations

import os
import shutil
from datetime import datetime

import pytest
import sqlalchemy as sa
from flask import g, has_app_context
from flask.testing import FlaskClient
from flask_migrate import upgrade

from portal import calendar, create_app
from portal.extensions import db

# Every log record of the run is scanned for ID and phone numbers (tests/logscan.py).
pytest_plugins = ["tests.logscan"]

PG_URL = os.environ.get("TEST_DATABASE_URL")
# Wednesday 18 November 2026, 10:00 in Shanghai: a normal working week in 2026.
FIXED_NOW = datetime(2026, 11, 18, 10, 0, tzinfo=calendar.TZ)


def base_config(tmp_path, url: str) -> dict:
    return {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": url,
        "SECRET_KEY": "test-secret",
        "DATA_KEY": "test-data-key",
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        "RATELIMIT_STORAGE_URI": "memory://",
        "SERVER_NAME": "portal.test",
        "TRUSTED_HOSTS": ["portal.test"],
    }


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory):
    """A database with the whole migration history applied, made once per test run."""
    if PG_URL:
        engine = sa.create_engine(PG_URL)
        with engine.begin() as conn:
            conn.execute(sa.text("DROP SCHEMA public CASCADE"))
            conn.execute(sa.text("CREATE SCHEMA public"))
        engine.dispose()
        url = PG_URL
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('template') / 'template.sqlite3'}"
    app = create_app(base_config(tmp_path_factory.mktemp("tmpl"), url))
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return url


@pytest.fixture
def database_url(migrated_template, tmp_path):
    if PG_URL:
        engine = sa.create_engine(PG_URL)
        with engine.begin() as conn:
            tables = [t for t in sa.inspect(conn).get_table_names() if t != "alembic_version"]
            conn.execute(sa.text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        engine.dispose()
        return PG_URL
    path = tmp_path / "test.sqlite3"
    shutil.copy(migrated_template.removeprefix("sqlite:///"), path)
    return f"sqlite:///{path}"


class Clock:
    def __init__(self, monkeypatch):
        self.current = FIXED_NOW
        monkeypatch.setattr(calendar, "now", lambda: self.current)

    def set(self, moment: datetime) -> None:
        self.current = moment if moment.tzinfo else moment.replace(tzinfo=calendar.TZ)


@pytest.fixture(autouse=True)
def clock(monkeypatch) -> Clock:
    return Clock(monkeypatch)


class PortalClient(FlaskClient):
    """Each request starts with a fresh ``g``, as in production.

    The fixture keeps one app context open for the test body, and Flask reuses it for the
    client's requests; without this, Flask-Login's cached user would leak between requests.
    """

    def open(self, *args, **kwargs):
        if has_app_context():
            for key in list(g):
                g.pop(key)
        return super().open(*args, **kwargs)


@pytest.fixture
def app(tmp_path, database_url):
    app = create_app(base_config(tmp_path, database_url))
    app.test_client_class = PortalClient
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


class AuthActions:
    """Create staff accounts on demand and log in as them through the real login form."""

    password = "correct-horse-battery"

    def __init__(self, client):
        self._client = client

    def user(self, role: str, username: str | None = None):
        from portal.accounts.models import User
        from portal.accounts.services import create_user

        username = username or f"{role}-user"
        existing = db.session.scalar(sa.select(User).where(User.username == username))
        if existing:
            return existing
        user = create_user(username, role, self.password, f"{role} 测试")
        db.session.commit()
        return user

    def login(self, role: str = "reception", username: str | None = None):
        user = self.user(role, username)
        response = self._client.post(
            "/staff/login", data={"username": user.username, "password": self.password})
        assert response.status_code == 303, response.data.decode()[:500]
        return user

    def logout(self):
        return self._client.post("/staff/logout")


@pytest.fixture
def auth(client):
    return AuthActions(client)
