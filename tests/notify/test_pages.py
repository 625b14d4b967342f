"""The staff pages: the outbox (filters, counts, masked phones, retry) and the call list."""
from __future__ import annotations

from datetime import date, time, timedelta

import pytest
from sqlalchemy import select, update

from portal import audit, calendar
from portal.extensions import db
from portal.notify.models import OutboxMessage
from portal.reception import management
from tests import factories
from tests.factories import STAFF
from tests.helpers import count_statements
from tests.notify.helpers import outbox

HX = {"HX-Request": "true"}


def failed(message_id: int) -> None:
    db.session.execute(update(OutboxMessage).where(OutboxMessage.id == message_id).values(
        status="failed", attempts=5, last_error="webhook HTTP 503"))
    db.session.commit()


@pytest.fixture
def cancelled(app):
    """A session cancelled with two bookings: two session_cancelled messages."""
    session = factories.session()
    bookings = [factories.book(session, phone=f"1391234567{n}") for n in range(2)]
    management.cancel_session(session, "领导临时公务", STAFF, calendar.now())
    db.session.commit()
    return bookings


def test_the_outbox_lists_newest_first_with_masked_phones(client, auth, cancelled):
    auth.login()
    page = client.get("/staff/outbox/")
    assert page.status_code == 200
    assert "139****5670" in page.text and "13912345670" not in page.text
    ids = [m.id for m in outbox()]
    assert page.text.index(f'data-message-id="{ids[-1]}"') < page.text.index(
        f'data-message-id="{ids[0]}"')
    assert 'data-status="pending" data-count="4"' in page.text


def test_the_outbox_filters_by_status_and_kind(client, auth, cancelled):
    failed(outbox("session_cancelled")[0].id)
    auth.login()
    page = client.get("/staff/outbox/?status=failed")
    assert page.text.count("data-message-id=") == 1 and "webhook HTTP 503" in page.text
    assert "重新发送</button>" in page.text
    page = client.get("/staff/outbox/?kind=booking_received")
    assert page.text.count("data-message-id=") == 2 and "重新发送</button>" not in page.text
    fragment = client.get("/staff/outbox/?kind=session_cancelled", headers=HX)
    assert "<html" not in fragment.text and fragment.text.count("data-message-id=") == 2
    assert client.get("/staff/outbox/?status=nonsense&kind=x&before=abc").status_code == 200


def test_the_outbox_pages_by_keyset(client, auth, app):
    session = factories.session(slot=5, end=time(14, 0))
    for _ in range(55):
        factories.book(session)
    auth.login()
    first = client.get("/staff/outbox/")
    assert first.text.count("data-message-id=") == 50 and "更早的通知" in first.text
    oldest_shown = min(m.id for m in outbox()[-50:])
    second = client.get(f"/staff/outbox/?before={oldest_shown}")
    assert second.text.count("data-message-id=") == 5 and "更早的通知" not in second.text


def test_the_outbox_reads_a_constant_number_of_statements(client, auth, app):
    session = factories.session(slot=5, end=time(14, 0))
    auth.login()

    def statements() -> int:
        with count_statements() as seen:
            assert client.get("/staff/outbox/").status_code == 200
        return len(seen)

    factories.book(session)
    statements()  # warm-up: reference data kept per process
    db.session.rollback()  # and a transaction of its own for the count
    few = statements()
    for _ in range(20):
        factories.book(session)
    assert statements() == few


def test_retry_puts_a_failed_message_back_and_is_audited(client, auth, cancelled, clock):
    message = outbox("session_cancelled")[0]
    failed(message.id)
    user = auth.login()
    clock.set(calendar.now() + timedelta(hours=2))
    done = client.post(f"/staff/outbox/{message.id}/retry",
                       data={"back": "/staff/outbox/?status=failed"})
    assert done.status_code == 303 and done.headers["Location"].endswith(
        "/staff/outbox/?status=failed")
    db.session.expire_all()
    row = db.session.get(OutboxMessage, message.id)
    assert (row.status, row.attempts, row.next_attempt_at) == ("pending", 0, calendar.now())
    entry = db.session.scalars(select(audit.AuditEntry).order_by(audit.AuditEntry.id.desc())).first()
    assert entry.action == "message.retry" and entry.actor == user.username
    again = client.post(f"/staff/outbox/{message.id}/retry", follow_redirects=True)
    assert "只有发送失败的消息可以重新发送" in again.text
    assert client.post("/staff/outbox/999999/retry").status_code == 404
    assert db.session.get(OutboxMessage, message.id).status == "pending"


def test_retry_refuses_a_foreign_back_address(client, auth, cancelled):
    message = outbox()[0]
    failed(message.id)
    auth.login()
    done = client.post(f"/staff/outbox/{message.id}/retry", data={"back": "https://evil.example/"})
    assert done.headers["Location"].endswith("/staff/outbox/")


def test_the_call_list_shows_each_cancelled_booking_with_its_delivery(client, auth, cancelled):
    first, second = cancelled
    failed(outbox("session_cancelled")[0].id)
    auth.login()
    page = client.get("/staff/reception/calls")
    assert page.status_code == 200 and "接访活动取消：领导临时公务" in page.text
    assert "发送失败" in page.text and "webhook HTTP 503" in page.text and "待发送" in page.text
    done = client.post(f"/staff/reception/bookings/{first.id}/notified")
    assert done.status_code == 303 and done.headers["Location"].endswith("/staff/reception/calls")
    page = client.get("/staff/reception/calls")
    assert f'data-booking-code="{first.code}"' not in page.text
    assert f'data-booking-code="{second.code}"' in page.text
    twice = client.post(f"/staff/reception/bookings/{first.id}/notified", follow_redirects=True)
    assert "该预约不在待通知名单中" in twice.text
    assert client.post("/staff/reception/bookings/999999/notified").status_code == 404


def test_the_call_list_reads_a_constant_number_of_statements(client, auth, app):
    auth.login()

    def statements(bookings: int) -> int:
        session = factories.session(slot=5, end=time(14, 0), day=date(2026, 11, 24 if bookings == 1 else 25))
        for _ in range(bookings):
            factories.book(session)
        management.cancel_session(session, "公务", STAFF, calendar.now())
        db.session.commit()
        with count_statements() as seen:
            assert client.get("/staff/reception/calls").status_code == 200
        return len(seen)

    client.get("/staff/reception/calls")  # warm-up: reference data kept per process

    db.session.rollback()  # and a transaction of its own for the count
    assert statements(1) == statements(10)


def test_roles_and_csrf(client, auth, app, cancelled):
    message = outbox()[0]
    failed(message.id)
    assert client.get("/staff/outbox/").status_code == 303  # to the login page
    assert client.post(f"/staff/outbox/{message.id}/retry").status_code == 303
    auth.login("evaluation")
    assert client.get("/staff/outbox/").status_code == 403
    assert client.get("/staff/reception/calls").status_code == 403
    assert client.post(f"/staff/outbox/{message.id}/retry").status_code == 403
    auth.logout()
    auth.login("admin")
    assert client.get("/staff/outbox/").status_code == 200
    app.config["WTF_CSRF_ENABLED"] = True
    refused = client.post(f"/staff/outbox/{message.id}/retry")
    assert refused.status_code == 400 and "CSRF" in refused.text
    refused = client.post(f"/staff/reception/bookings/{cancelled[0].id}/notified")
    assert refused.status_code == 400
    db.session.expire_all()
    assert db.session.get(OutboxMessage, message.id).status == "failed"
