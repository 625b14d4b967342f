"""The access table (portal/access.py) covers the whole URL map, and the running portal obeys
it: every route, requested by every role and by an anonymous visitor, is admitted or refused
exactly as the table says. A new view without a rule fails here (and is refused to everyone)."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint
from werkzeug.routing import AnyConverter, IntegerConverter

from portal import access, create_app
from portal.audit import AuditEntry
from portal.extensions import db
from tests.conftest import PortalClient, base_config

ROLES = ("admin", "reception", "evaluation", "panel")


def _sample_url(rule) -> str:
    """The rule's address with a made-up value for each argument (objects need not exist:
    authorization is decided before the view loads anything)."""
    values = {}
    for name, converter in rule._converters.items():  # noqa: SLF001 - werkzeug's public-ish map
        if isinstance(converter, AnyConverter):
            values[name] = sorted(converter.items)[0] if hasattr(converter, "items") else "x"
        elif isinstance(converter, IntegerConverter):
            values[name] = 987654  # no such object: nothing is changed by the walk
        else:
            values[name] = "2026-11-18" if name == "day" else "ABCD2345"
    return rule.build(values, append_unknown=False)[1]


def _routes(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        method = "GET" if "GET" in rule.methods else "POST"
        yield rule, method, _sample_url(rule)


def test_every_endpoint_has_exactly_one_rule(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert endpoints - access.ACCESS.keys() == set(), "views without an access rule"
    assert access.ACCESS.keys() - endpoints == set(), "rules for views that no longer exist"


def _request(client, method: str, url: str):
    return client.open(url, method=method, headers={"Accept": "text/html"})


def _is_login_redirect(response) -> bool:
    return response.status_code in (302, 303) and "/staff/login" in response.headers["Location"]


def test_every_route_with_every_role_obeys_the_table(app, auth):
    clients = {None: app.test_client()}
    for role in ROLES:
        clients[role] = app.test_client()
        type(auth)(clients[role]).login(role)
    checked = 0
    for rule, method, url in _routes(app):
        table_rule = access.ACCESS[rule.endpoint]
        if rule.endpoint in ("accounts.logout", "accounts.login"):
            continue  # would end or restart the walking sessions; public, covered below
        for role, client in clients.items():
            response = _request(client, method, url)
            where = f"{method} {url} as {role or 'anonymous'}"
            if table_rule.admits(role):
                assert response.status_code != 403 and not _is_login_redirect(response), where
            elif role is None:
                assert _is_login_redirect(response), where
            else:
                assert response.status_code == 403, where
                assert "无权访问" in response.get_data(as_text=True), where
            assert response.status_code < 500, where
            checked += 1
    assert checked > 400


def test_login_and_logout_are_open_to_everyone(client):
    assert client.get("/staff/login").status_code == 200
    assert client.post("/staff/logout").status_code in (302, 303)


def test_a_refusal_is_audited_and_changes_nothing(app, client, auth):
    auth.login("panel")
    before = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry))
    response = client.post("/staff/reception/leaders/new", data={"name": "越权", "post": "x"})
    assert response.status_code == 403
    entries = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "access.denied")).all()
    assert len(entries) == 1
    assert entries[0].actor == "panel-user" and entries[0].object_id.startswith("reception_staff.")
    after = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry))
    assert after == before + 1  # the refusal only: the leader was not created


def test_a_view_without_a_rule_is_refused_even_to_administrators(tmp_path, database_url, auth):
    unruled = Blueprint("unruled", __name__)

    @unruled.get("/staff/forgotten")
    def forgotten():
        return "secret"

    app = create_app(base_config(tmp_path, database_url))
    app.register_blueprint(unruled)
    app.test_client_class = PortalClient
    with app.app_context():
        client = app.test_client()
        type(auth)(client).login("admin")
        assert client.get("/staff/forgotten").status_code == 403
        assert "unruled.forgotten" not in access.ACCESS
        db.session.remove()
        db.engine.dispose()
