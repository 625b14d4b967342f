"""The booking POST takes SQLite's write lock only for the write (actions.reading / perform).

Checking the form and re-rendering a refused one run in a plain BEGIN (a snapshot, no lock), so
they go on while another connection writes; BEGIN IMMEDIATE wraps only the booking itself, and
its rules read again, inside it, what they decide on. SQLite only: PostgreSQL has no such lock.
"""
from __future__ import annotations

import sqlite3

import pytest

from portal.extensions import db
from tests import factories
from tests.conftest import PG_URL
from tests.helpers import count_statements

pytestmark = pytest.mark.skipif(bool(PG_URL), reason="SQLite's database-wide write lock")


def begins(statements: list[str]) -> list[str]:
    return [s.strip() for s in statements if s.strip().upper().startswith("BEGIN")]


def test_a_refused_form_is_checked_and_rendered_without_the_write_lock(client):
    session = factories.session()
    with count_statements() as statements:
        page = client.post(f"/reception/sessions/{session.id}",
                           data=factories.booking_form(id_number="123"))
    assert page.status_code == 422 and "身份证" in page.text
    assert begins(statements) == ["BEGIN"]


def test_only_the_booking_itself_runs_under_begin_immediate(client):
    session = factories.session()
    with count_statements() as statements:
        answer = client.post(f"/reception/sessions/{session.id}", data=factories.booking_form())
    assert answer.status_code == 303
    assert begins(statements) == ["BEGIN", "BEGIN IMMEDIATE"]
    write = statements[[s.strip() for s in statements].index("BEGIN IMMEDIATE"):]
    # The write reads the session again inside its own transaction before inserting.
    assert any("FROM reception_session" in s for s in write)
    assert any(s.lstrip().upper().startswith("INSERT INTO BOOKING") for s in write)


def test_a_rule_refusal_is_rendered_after_the_write_transaction_ends(client):
    session = factories.session()
    taken = factories.booking_form()
    assert client.post(f"/reception/sessions/{session.id}", data=taken).status_code == 303
    with count_statements() as statements:  # the same ID number again: 一人一号
        page = client.post(f"/reception/sessions/{session.id}", data=taken)
    assert page.status_code == 422
    assert begins(statements) == ["BEGIN", "BEGIN IMMEDIATE", "BEGIN"]


def test_forms_are_refused_while_another_connection_holds_the_write_lock(app, client):
    session = factories.session()
    url = f"/reception/sessions/{session.id}"
    db.session.commit()
    other = sqlite3.connect(db.engine.url.database, isolation_level=None, timeout=0)
    try:
        other.execute("BEGIN IMMEDIATE")  # a long write elsewhere (another worker)
        page = client.post(url, data=factories.booking_form(phone="12"))
        assert page.status_code == 422 and "手机号码" in page.text
        assert client.get(url).status_code == 200
    finally:
        other.execute("ROLLBACK")
        other.close()
