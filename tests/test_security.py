"""CSRF on every unsafe route, login and its throttling, sessions, roles, error pages."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal import audit, create_app
from portal.accounts import services as accounts
from portal.accounts.models import User
from portal.extensions import db
from tests import factories
from tests.conftest import base_config
from tests.helpers import example_url


def unsafe_routes(app):
    return sorted({example_url(rule) for rule in app.url_map.iter_rules()
                   if {"POST", "PUT", "PATCH", "DELETE"} & (rule.methods or set())})


@pytest.fixture
def csrf_app(tmp_path, database_url):
    app = create_app({**base_config(tmp_path, database_url), "WTF_CSRF_ENABLED": True})
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def state_counts():
    from portal.reception.models import Booking, ReceptionSession

    return tuple(db.session.scalar(select(func.count()).select_from(model))
                 for model in (audit.AuditEntry, Booking, ReceptionSession, User))


def test_every_unsafe_route_rejects_a_missing_or_forged_csrf_token(csrf_app):
    factories.book(factories.session())
    client = csrf_app.test_client()
    routes = unsafe_routes(csrf_app)
    assert len(routes) >= 15, routes
    before = state_counts()
    for url in routes:
        for headers in ({}, {"X-CSRFToken": "forged"}, {"HX-Request": "true", "X-CSRFToken": "x"}):
            response = client.post(url, data={"reason": "x", "csrf_token": headers.get(
                "X-CSRFToken", "")}, headers=headers)
            assert response.status_code == 400, (url, response.status_code)
            assert "安全校验失败" in response.text
    assert state_counts() == before


def test_a_real_token_from_the_page_is_accepted(csrf_app):
    session = factories.session()
    client = csrf_app.test_client()
    page = client.get(f"/reception/sessions/{session.id}").text
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    response = client.post(f"/reception/sessions/{session.id}",
                           data={**factories.booking_form(), "csrf_token": token})
    assert response.status_code == 303
    # htmx sends the token as a header taken from <body hx-headers>.
    assert '"X-CSRFToken": "' in page.replace("&#34;", '"')


def test_login_wrong_password_and_inactive_account(client, auth):
    user = auth.user("reception")
    wrong = client.post("/staff/login", data={"username": user.username, "password": "nope"})
    assert wrong.status_code == 422 and "用户名或密码不正确" in wrong.text
    unknown = client.post("/staff/login", data={"username": "ghost", "password": "nope"})
    assert unknown.status_code == 422
    user.active = False
    db.session.commit()
    assert client.post("/staff/login", data={"username": user.username,
                                             "password": auth.password}).status_code == 422


def test_login_redirects_only_to_local_paths(client, auth):
    user = auth.user("reception")
    for target, expected in (("/staff/reception/", "/staff/reception/"),
                             ("https://evil.example/", "/staff/"), ("//evil.example", "/staff/")):
        client.post("/staff/logout")
        response = client.post(f"/staff/login?next={target}",
                               data={"username": user.username, "password": auth.password})
        assert response.headers["Location"] == expected


def test_passwords_are_argon2id(app, auth):
    user = auth.user("admin")
    assert user.password_hash.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert accounts.check_password(user, auth.password)
    assert not accounts.check_password(user, "wrong")
    assert not accounts.check_password(None, auth.password)


def test_session_expires_and_resetting_a_password_ends_sessions(app, client, auth):
    assert app.config["PERMANENT_SESSION_LIFETIME"] == timedelta(hours=12)
    assert app.config["SESSION_COOKIE_HTTPONLY"] and app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    user = auth.login("reception")
    assert client.get("/staff/reception/").status_code == 200
    admin = auth.user("admin")
    accounts.reset_password(db.session.get(User, user.id), "another-long-password", admin)
    db.session.commit()
    assert client.get("/staff/reception/").status_code == 303


def test_admin_pages_are_admin_only(client, auth):
    auth.login("reception")
    for url in ("/staff/users", "/staff/settings", "/staff/audit"):
        assert client.get(url).status_code == 403
    auth.logout()
    auth.login("admin")
    for url in ("/staff/users", "/staff/settings", "/staff/audit"):
        assert client.get(url).status_code == 200


def test_admin_creates_and_deactivates_accounts(client, auth):
    admin = auth.login("admin")
    bad = client.post("/staff/users", data={"username": "A B", "display_name": "x",
                                            "role": "boss", "password": "short"})
    assert bad.status_code == 422
    good = client.post("/staff/users", data={"username": "wangfang", "display_name": "王芳",
                                             "role": "reception", "password": "a-long-password"})
    assert good.status_code == 303
    user = db.session.scalar(select(User).where(User.username == "wangfang"))
    assert client.post(f"/staff/users/{user.id}/deactivate").status_code == 303
    assert db.session.get(User, user.id).active is False
    itself = client.post(f"/staff/users/{admin.id}/deactivate", follow_redirects=True)
    assert "不能停用自己的账号" in itself.text


def test_settings_are_validated_and_audited(client, auth):
    auth.login("admin")
    bad = client.post("/staff/settings", data={"booking_open_days": "abc",
                                               "booking_cutoff_time": "25:00"})
    assert bad.status_code == 422 and "请填写整数" in bad.text and "时:分" in bad.text
    ok = client.post("/staff/settings", data={"booking_open_days": "10",
                                              "booking_cutoff_time": "16:30"})
    assert ok.status_code == 303
    from portal import settings

    assert settings.get("booking_open_days") == 10
    assert settings.get("booking_cutoff_time") == "16:30"
    assert db.session.scalar(select(audit.AuditEntry.action).order_by(
        audit.AuditEntry.id.desc())) == "settings.update"


def test_calendar_page_adds_and_removes_days(client, auth):
    auth.login("reception")
    bad = client.post("/staff/calendar", data={"day": "2027-02-30", "note": "x"})
    assert bad.status_code == 422 and "日期格式" in bad.text
    ok = client.post("/staff/calendar", data={"day": "2027-01-01", "note": "元旦"})
    assert ok.status_code == 303
    from portal import calendar

    assert calendar.WorkingCalendar().is_working_day(__import__("datetime").date(2027, 1, 1)) is False
    assert client.post("/staff/calendar/2027-01-01/delete").status_code == 303
    assert client.post("/staff/calendar/not-a-day/delete").status_code == 404


def test_request_too_large_is_413_in_chinese(client):
    response = client.post("/reception/lookup", data={"code": "x" * (2 * 1024 * 1024)})
    assert response.status_code == 413 and "内容过大" in response.text
