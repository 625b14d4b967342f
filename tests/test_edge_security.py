"""Issue 10, the edge of the portal: cookies over HTTPS, the headers on every answer, the
Chinese error pages (which leak nothing), request size limits, and the rate-limit settings
read from the environment."""
from __future__ import annotations

import logging
from importlib.metadata import version

import pytest
from flask import url_for
from itsdangerous import URLSafeSerializer

from portal import config, create_app
from portal.accounts.sessions import DEVICE_COOKIE
from portal.extensions import db, limiter
from tests import factories
from tests.conftest import AuthActions, PortalClient, base_config
from tests.helpers import ROOT, example_url

ENVIRONMENT = ("HTTPS", "PUBLIC_BASE_URL", "SESSION_COOKIE_SECURE", "RATELIMIT_ENABLED",
               "RATELIMIT_STORAGE_URI", "REDIS_URL")
HSTS = "max-age=31536000; includeSubDomains"


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch):
    for name in ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)


def make_app(tmp_path, database_url, **settings):
    app = create_app({**base_config(tmp_path, database_url), **settings})
    app.test_client_class = PortalClient
    return app


@pytest.fixture(params=[False, True], ids=["http", "https"])
def any_app(request, tmp_path, database_url):
    app = make_app(tmp_path, database_url, HTTPS=request.param)
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


# --- 1. cookies ---------------------------------------------------------------------------------

def set_cookies(response) -> dict[str, list[str]]:
    """name -> its attributes, lower-cased, for every Set-Cookie of ``response``."""
    found = {}
    for header in response.headers.getlist("Set-Cookie"):
        name_value, *attributes = [part.strip() for part in header.split(";")]
        found[name_value.split("=", 1)[0]] = [a.lower() for a in attributes]
    return found


def portal_cookies(app, client) -> dict[str, list[str]]:
    """Every cookie the portal sets: the session (a page with a form) and the known-device
    cookie (a staff login), each as first set."""
    cookies = set_cookies(client.get("/reception/lookup"))
    auth = AuthActions(client)
    auth.user("reception")
    cookies.update(set_cookies(client.post("/staff/login", data={
        "username": "reception-user", "password": auth.password})))
    return cookies


def test_cookies_over_https_are_secure_host_prefixed_httponly_and_lax(any_app):
    https = any_app.config["HTTPS"]
    cookies = portal_cookies(any_app, any_app.test_client())
    prefix = "__Host-" if https else ""
    assert set(cookies) == {f"{prefix}session", f"{prefix}{DEVICE_COOKIE}"}, cookies
    for name, attributes in cookies.items():
        assert "httponly" in attributes and "samesite=lax" in attributes, (name, attributes)
        # __Host- is honoured by browsers only with Secure, Path=/ and no Domain.
        assert "path=/" in attributes, (name, attributes)
        assert not [a for a in attributes if a.startswith("domain=")], (name, attributes)
        assert ("secure" in attributes) is https, (name, attributes)
    assert any_app.config["PREFERRED_URL_SCHEME"] == ("https" if https else "http")


def test_the_device_cookie_is_read_back_under_its_https_name(tmp_path, database_url):
    app = make_app(tmp_path, database_url, HTTPS=True)
    with app.app_context():
        client = app.test_client()
        auth = AuthActions(client)
        for role in ("reception", "admin"):
            auth.login(role)
            auth.logout()
        raw = client.get_cookie(f"__Host-{DEVICE_COOKIE}", domain="portal.test").value
        signer = URLSafeSerializer(app.config["SECRET_KEY"], salt="known-device")
        # The second login found the first one's cookie, so both names are kept.
        assert signer.loads(raw) == ["reception-user", "admin-user"]
        assert client.get_cookie(DEVICE_COOKIE, domain="portal.test") is None
        db.session.remove()  # the requests shared this app context and its session
        db.engine.dispose()


@pytest.mark.parametrize("env, https", [
    ({}, False),
    ({"HTTPS": "1"}, True),
    ({"PUBLIC_BASE_URL": "https://xf.example.gov.cn"}, True),
    ({"PUBLIC_BASE_URL": "http://xf.example.gov.cn"}, False),
    ({"PUBLIC_BASE_URL": "https://xf.example.gov.cn", "HTTPS": "0"}, False),
    ({"SESSION_COOKIE_SECURE": "true"}, True),
])
def test_https_is_one_environment_switch(monkeypatch, tmp_path, env, https):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("SECRET_KEY", "x")
    monkeypatch.setenv("DATA_KEY", "y")
    assert config.from_environment(str(tmp_path))["HTTPS"] is https
    app = create_app(base_config(tmp_path, "sqlite://"))
    assert app.config["SESSION_COOKIE_SECURE"] is https
    assert app.config["SESSION_COOKIE_NAME"] == ("__Host-session" if https else "session")
    assert app.config["PREFERRED_URL_SCHEME"] == ("https" if https else "http")


# --- 2. headers on every answer -----------------------------------------------------------------

def directives(csp: str) -> dict[str, str]:
    return {part.split()[0]: " ".join(part.split()[1:]) for part in csp.split(";") if part.strip()}


def assert_headers(response, https: bool, what: str) -> None:
    headers = response.headers
    csp = headers.get("Content-Security-Policy", "")
    found = directives(csp)
    for name, value in (("default-src", "'self'"), ("object-src", "'none'"),
                        ("base-uri", "'none'"), ("frame-ancestors", "'none'")):
        assert found.get(name) == value, (what, response.status_code, csp)
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, (what, csp)
    assert headers.get("X-Content-Type-Options") == "nosniff", what
    assert headers.get("Referrer-Policy"), what
    assert headers.get("Permissions-Policy"), what
    assert headers.get("Strict-Transport-Security") == (HSTS if https else None), what


def every_answer(app, client):
    """(what, response) for every GET route of the URL map (anonymous) and the special cases."""
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if "GET" in rule.methods and rule.endpoint != "static":
            url = example_url(rule)
            yield url, client.get(url)
    css = url_for("static", filename="css/portal.css")
    static = client.get(css)
    yield "static", static
    yield "static 304", client.get(css, headers={"If-None-Match": static.headers["ETag"]})
    yield "static 404", client.get("/static/no-such-file.css")
    yield "404", client.get("/no-such-page")
    yield "405", client.get("/reception/forget")
    yield "308", client.get("/reception")
    yield "400", client.get("/reception/?q=%00")
    yield "htmx fragment", client.get("/reception/", headers={"HX-Request": "true"})
    yield "POST 303", client.post(f"/reception/sessions/{factories.session().id}",
                                  data=factories.booking_form())


def test_every_answer_carries_the_security_headers(any_app):
    https = any_app.config["HTTPS"]
    client = any_app.test_client()
    statuses = set()
    answers = list(every_answer(any_app, client))
    assert len(answers) > 40
    for what, response in answers:
        assert response.status_code < 500, (what, response.status_code)
        statuses.add(response.status_code)
        assert_headers(response, https, what)
    # The walk met pages, redirects, not-modified and errors alike.
    assert {200, 303, 304, 308, 400, 404, 405} <= statuses, statuses


def test_no_template_sets_a_base_address():
    # base-uri 'none' would break a <base> element: there must be none.
    assert not [p for p in (ROOT / "templates").rglob("*.html") if "<base" in p.read_text()]


# --- 3. error pages -----------------------------------------------------------------------------

SECRET = "SELECT password FROM users -- /srv/portal/secret.py"
LEAKS = ["Traceback", 'File "', "Werkzeug", "werkzeug", "Flask", "flask", "Python", "python",
         "SQL", "sqlalchemy", "site-packages", str(ROOT), SECRET, "RuntimeError", "per 10 minute",
         version("flask"), version("werkzeug"), version("sqlalchemy")]


@pytest.fixture
def error_app(tmp_path, database_url):
    """Limits on (in memory), and a home page that fails the way a bug would."""
    limiter._storage_dead = False
    app = make_app(tmp_path, database_url, RATELIMIT_ENABLED=True)

    def broken():
        raise RuntimeError(SECRET)

    app.view_functions["public.home"] = broken
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def provoke(app) -> dict[int, object]:
    client = app.test_client()
    AuthActions(client).login("reception")
    answers = {403: client.get("/staff/users")}
    client.post("/staff/logout")
    answers.update({
        400: client.get("/reception/?q=%00"),
        404: client.get("/no-such-page"),
        405: client.get("/reception/forget"),
        413: client.post("/reception/lookup", data={"code": "x" * (2 * 1024 * 1024)}),
        500: client.get("/"),
    })
    for i in range(21):  # the lookup allows 20 per 10 minutes from one address
        answers[429] = client.post("/reception/lookup", data={"code": f"ABCD{i:04d}",
                                                               "phone": "13800138000"})
    return answers


@pytest.mark.parametrize("status, title", [
    (400, "请求无效"), (403, "无权访问"), (404, "页面不存在"), (405, "请求方式不正确"),
    (413, "内容过大"), (429, "操作过于频繁"), (500, "系统繁忙")])
def test_error_pages_are_chinese_and_leak_nothing(error_app, status, title, caplog):
    caplog.set_level(logging.CRITICAL)  # the 500 is logged, as it should be; not shown here
    response = provoke(error_app)[status]
    body = response.get_data(as_text=True)
    assert response.status_code == status, (status, body[:300])
    assert f"<title>{title} - 信访公开服务门户</title>" in body and 'lang="zh-CN"' in body
    assert response.mimetype == "text/html"
    assert [leak for leak in LEAKS if leak in body] == []
    if status == 405:
        assert "POST" in response.headers["Allow"]


def test_form_size_and_part_limits_answer_413(app, client):
    """MAX_FORM_MEMORY_SIZE bounds one multipart text field and MAX_FORM_PARTS their number
    (Flask's defaults, 500 kB and 1000, were let through); the longest real field still fits."""
    url = f"/reception/sessions/{factories.session().id}"
    multipart = {"content_type": "multipart/form-data"}
    longest = client.post(url, data=factories.booking_form(summary="补" * 3000), **multipart)
    assert longest.status_code == 422
    one_huge_field = factories.booking_form(summary="补" * 24_000)  # 72 kB of UTF-8
    assert client.post(url, data=one_huge_field, **multipart).status_code == 413
    many_fields = {**factories.booking_form(), **{f"f{i}": "x" for i in range(200)}}
    assert client.post(url, data=many_fields, **multipart).status_code == 413
    assert client.post(url, data=factories.booking_form(), **multipart).status_code == 303


# --- 4. Flask-Limiter's settings from the environment -------------------------------------------

def without_limit_settings(tmp_path, database_url) -> dict:
    return {k: v for k, v in base_config(tmp_path, database_url).items()
            if not k.startswith("RATELIMIT_")}


def lookups_until_refused(app, attempts: int = 25) -> list[int]:
    with app.app_context():
        client = app.test_client()
        statuses = [client.post("/reception/lookup", data={
            "code": f"WXYZ{i:04d}", "phone": "13800138000"}).status_code for i in range(attempts)]
        db.session.remove()
        db.engine.dispose()
    return statuses


def test_rate_limits_are_switched_by_the_environment(monkeypatch, tmp_path, database_url):
    limiter._storage_dead = False
    settings = without_limit_settings(tmp_path, database_url)
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", "memory://")
    assert lookups_until_refused(create_app(settings)) == [422] * 20 + [429] * 5
    monkeypatch.setenv("RATELIMIT_ENABLED", "0")  # e.g. for a load test
    app = create_app(settings)
    assert app.config["RATELIMIT_ENABLED"] is False
    assert lookups_until_refused(app) == [422] * 25


def test_the_limit_storage_comes_from_the_environment(monkeypatch, tmp_path, database_url,
                                                      caplog):
    settings = {**without_limit_settings(tmp_path, database_url), "TESTING": False}
    assert create_app(settings).config["RATELIMIT_ENABLED"] is True
    assert "REDIS_URL is not set" in caplog.text
    assert create_app(settings).config["RATELIMIT_STORAGE_URI"] == "memory://"
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:9/3")
    assert create_app(settings).config["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:9/3"
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", "redis://127.0.0.1:9/4")
    caplog.clear()
    assert create_app(settings).config["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:9/4"
    assert "REDIS_URL is not set" not in caplog.text
