"""强制下线: an administrator ends every open session of an account, on every server."""
from __future__ import annotations

import sqlalchemy as sa

from portal.audit import AuditEntry
from portal.extensions import db


def test_an_administrator_ends_all_sessions_of_a_user(app, client, auth):
    office, tablet = app.test_client(), app.test_client()
    staff = type(auth)(office).login("reception")
    type(auth)(tablet).login("reception")
    assert office.get("/staff/reception/").status_code == 200
    assert tablet.get("/staff/reception/").status_code == 200

    auth.login("admin")
    assert "强制下线" in client.get("/staff/users").get_data(as_text=True)
    response = client.post(f"/staff/users/{staff.id}/sessions/end")
    assert response.status_code == 303

    for browser in (office, tablet):
        response = browser.get("/staff/reception/")
        assert response.status_code == 303 and "/staff/login" in response.headers["Location"]
    assert client.get("/staff/users").status_code == 200  # the administrator's own goes on
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "user.sessions_end"))
    assert entry.actor == "admin-user" and entry.object_id == str(staff.id)
    # The account itself still works: a new login opens a new session.
    type(auth)(office).login("reception")
    assert office.get("/staff/reception/").status_code == 200


def test_only_administrators_end_sessions(client, auth):
    victim = auth.user("evaluation")
    before = victim.session_version
    auth.login("reception")
    assert client.post(f"/staff/users/{victim.id}/sessions/end").status_code == 403
    version = db.session.scalar(sa.select(type(victim).session_version).where(
        type(victim).id == victim.id))
    assert version == before
