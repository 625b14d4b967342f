"""A hand-over under real concurrency, and the database's own refusals.

Several clerks press 办结 (or 延期) on the same hand-over at the same instant: exactly one
conclusion (one extension) is recorded, the others are told it was already done (409), none
gets a 500. Each worker is a separate OS process (fork) with its own app, engine and
connection, posting through the real page with the session cookie of a logged-in clerk, as
tests/reception/test_concurrency.py does for bookings. Runs on the test's SQLite file and on
PostgreSQL when TEST_DATABASE_URL is set.
"""
from __future__ import annotations

import multiprocessing
from datetime import date, timedelta

import pytest
from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError

from portal import audit, create_app, privacy
from portal.casework.models import HandOver, HandOverNote
from portal.extensions import db
from tests.casework import builders
from tests.conftest import PortalClient, base_config

CTX = multiprocessing.get_context("fork")
WORKERS = 8


def _post(config, cookie, now, path, data, barrier, results):
    import portal.calendar

    portal.calendar.now = lambda: now  # the frozen clock, in this process too
    app = create_app(config)
    app.test_client_class = PortalClient
    with app.app_context():
        try:
            client = app.test_client()
            client.set_cookie("session", cookie, domain="portal.test")
            db.session.execute(select(1))  # connect before the start line, not after it
            db.session.rollback()
            barrier.wait(timeout=60)
            response = client.post(path, data=data)
            results.put((response.status_code, response.text))
        except Exception as error:  # reported to the parent, which fails the test
            results.put((-1, repr(error)))
        finally:
            db.session.remove()
            db.engine.dispose()


def at_once(app, client, tmp_path, clock, path: str, payloads: list[dict]) -> list[int]:
    cookie = client.get_cookie("session", domain="portal.test").value
    config = base_config(tmp_path, app.config["SQLALCHEMY_DATABASE_URI"])
    db.session.remove()
    db.engine.dispose()  # no connection of ours may cross the fork
    barrier, results = CTX.Barrier(len(payloads)), CTX.Queue()
    workers = [CTX.Process(target=_post, args=(config, cookie, clock.current, path, data,
                                                barrier, results)) for data in payloads]
    for worker in workers:
        worker.start()
    outcomes = [results.get(timeout=120) for _ in workers]
    for worker in workers:
        worker.join(timeout=60)
        assert worker.exitcode == 0
    assert all(status in (303, 409) for status, _ in outcomes), [
        (s, t[-400:]) for s, t in outcomes if s not in (303, 409)]
    return [status for status, _ in outcomes]


@pytest.fixture
def case(app, client, auth, clock):
    made = builders.handover(clock, builders.unit())
    builders.at(clock, date(2026, 12, 1))
    auth.login()
    return made


def audit_count(action: str) -> int:
    return db.session.scalar(select(func.count(audit.AuditEntry.id))
                             .where(audit.AuditEntry.action == action))


def test_simultaneous_conclusions_record_exactly_one(app, client, tmp_path, clock, case):
    payloads = [{"conclude-concluded_on": "2026-11-30", "conclude-reply": f"答复意见第 {i} 稿"}
                for i in range(WORKERS)]
    statuses = at_once(app, client, tmp_path, clock, f"/staff/handovers/{case.id}/conclude",
                       payloads)
    assert statuses.count(303) == 1 and statuses.count(409) == WORKERS - 1
    row = db.session.get(HandOver, case.id)
    assert row.concluded_on == date(2026, 11, 30) and row.reply.startswith("答复意见第")
    assert audit_count("handover.conclude") == 1


def test_simultaneous_extensions_record_exactly_one(app, client, tmp_path, clock, case):
    payloads = [{"extend-days": str(i + 1), "extend-reason": f"理由 {i}"} for i in range(WORKERS)]
    statuses = at_once(app, client, tmp_path, clock, f"/staff/handovers/{case.id}/extend",
                       payloads)
    assert statuses.count(303) == 1 and statuses.count(409) == WORKERS - 1
    row = db.session.get(HandOver, case.id)
    assert row.due_on == row.first_due_on + timedelta(days=row.extension_days)
    assert row.extension_reason == f"理由 {row.extension_days - 1}"
    assert audit_count("handover.extend") == 1


# --- what the database itself refuses ------------------------------------------------------------

def refused(statement) -> None:
    try:
        with db.session.begin_nested():
            db.session.execute(statement)
    except IntegrityError:
        return
    raise AssertionError("the database accepted it")


def test_the_database_refuses_broken_hand_overs(app, clock):
    h = builders.handover(clock, builders.unit())
    where = update(HandOver).where(HandOver.id == h.id)
    # concluded without a reply, or without a date
    refused(where.values(status="concluded", concluded_on=date(2026, 11, 30)))
    refused(where.values(status="concluded", reply_cipher=privacy.encrypt("答复")))
    # a conclusion dated before the hand-over
    refused(where.values(status="concluded", concluded_on=date(2026, 11, 1),
                         reply_cipher=privacy.encrypt("答复")))
    # an extension without a reason, or not moving the deadline
    refused(where.values(extension_days=10, extended_on=date(2026, 11, 30),
                         due_on=h.due_on + timedelta(days=10)))
    refused(where.values(extension_days=10, extended_on=date(2026, 11, 30),
                         extension_reason="理由"))
    # a deadline on or before the day of the hand-over
    refused(where.values(first_due_on=date(2026, 11, 20), due_on=date(2026, 11, 20)))
    # a reminder without its method, a progress note with one
    note = dict(handover_id=h.id, noted_on=date(2026, 11, 24), text_cipher=privacy.encrypt("x"),
                created_at=clock.current)
    refused(insert(HandOverNote).values(kind="reminder", method="", **note))
    refused(insert(HandOverNote).values(kind="progress", method="phone", **note))
    db.session.rollback()
    row = db.session.get(HandOver, h.id)
    assert (row.concluded_on, row.extension_days, row.due_on) == (None, None,
                                                                  date(2027, 1, 22))
    # and a correct direct conclusion is accepted (the checks are not simply closed doors)
    db.session.execute(where.values(status="concluded", concluded_on=date(2026, 11, 30),
                                    reply_cipher=privacy.encrypt("答复")))
    db.session.rollback()


def test_the_database_refuses_a_second_unit_of_the_same_name(app):
    from portal.casework.models import Unit

    builders.unit("县住建局")
    db.session.add(Unit(name="县住建局", kind="township", active=True))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()

