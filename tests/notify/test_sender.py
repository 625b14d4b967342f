"""The sender: claim, deliver, record; back-off, the failed state, the lease; the command."""
from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from sqlalchemy import update

from portal import calendar, settings
from portal.extensions import db
from portal.notify import channels, sender
from portal.notify.channels import DeliveryError
from portal.notify.models import OutboxMessage
from tests import factories
from tests.notify.helpers import outbox


class Recorder:
    """A channel that records deliveries, failing while ``failures`` is positive."""

    def __init__(self, failures: int = 0, error: str = "gateway down"):
        self.delivered: list[int] = []
        self.failures = failures
        self.error = error

    def __call__(self, message, _settings):
        if self.failures:
            self.failures -= 1
            raise DeliveryError(self.error)
        self.delivered.append(message.id)


@pytest.fixture
def channel(monkeypatch):
    recorder = Recorder()
    monkeypatch.setitem(channels.CHANNELS, "log", recorder)
    monkeypatch.setitem(sender.CHANNELS, "log", recorder)
    return recorder


def test_due_messages_are_sent_once(app, channel):
    booking = factories.book(factories.session())
    result = sender.send_due(calendar.now())
    assert (result.sent, result.retried, result.failed) == (1, 0, 0)
    [message] = outbox()
    assert channel.delivered == [message.id] and message.booking_id == booking.id
    assert message.status == "sent" and message.sent_at == calendar.now()
    assert message.attempts == 1 and message.channel == "log" and message.claimed_at is None
    assert sender.send_due(calendar.now()).sent == 0 and channel.delivered == [message.id]


def test_messages_not_yet_due_wait(app, channel):
    factories.book(factories.session())
    db.session.execute(update(OutboxMessage).values(
        next_attempt_at=calendar.now() + timedelta(minutes=1)))
    db.session.commit()
    assert sender.send_due(calendar.now()).sent == 0
    assert sender.send_due(calendar.now() + timedelta(minutes=1)).sent == 1


def test_failures_back_off_exponentially_then_fail(app, clock, channel):
    settings.save({"notify_max_attempts": "5"})
    db.session.commit()
    factories.book(factories.session(), phone="13912345678")
    channel.failures = 99
    now, waits = calendar.now(), []
    for attempt in range(1, 5):
        assert sender.send_due(now).retried == 1
        [message] = outbox()
        assert (message.status, message.attempts, message.last_error) == (
            "pending", attempt, "gateway down")
        waits.append(message.next_attempt_at - now)
        assert sender.send_due(message.next_attempt_at - timedelta(seconds=1)).retried == 0
        now = message.next_attempt_at
    assert waits == [timedelta(minutes=m) for m in (1, 2, 4, 8)]
    assert sender.send_due(now).failed == 1
    [message] = outbox()
    assert (message.status, message.attempts) == ("failed", 5)
    assert sender.send_due(now + timedelta(days=1)).failed == 0  # failed stays failed


def test_an_error_is_kept_short_and_without_the_number(app, channel):
    channel.failures, channel.error = 1, "x" * 500
    factories.book(factories.session())
    sender.send_due(calendar.now())
    assert len(outbox()[0].last_error) == 200


def test_a_message_held_past_the_lease_returns_to_pending(app, channel):
    factories.book(factories.session())
    now = calendar.now()
    assert sender.claim_next(now) is not None  # the sender died after claiming
    assert outbox()[0].status == "sending"
    assert sender.send_due(now + timedelta(minutes=5)).sent == 0  # still within the lease
    later = now + sender.LEASE + timedelta(seconds=1)
    result = sender.send_due(later)
    assert result.released == 1 and result.sent == 1 and outbox()[0].status == "sent"
    # the dead sender, coming back, changes nothing
    assert sender.record_outcome(sender.Outgoing(outbox()[0].id, "booking_received", "", ""),
                                 now, "log", "late", 5) == "lost"
    assert outbox()[0].status == "sent"


def test_the_command_queues_reminders_and_reports(app, runner, clock, channel):
    booking = factories.book(factories.session())
    from portal.reception import management

    management.change_booking(booking, "confirm", factories.STAFF, calendar.now())
    db.session.commit()
    clock.set(calendar.now().replace(day=22, hour=18))
    result = runner.invoke(args=["notify", "send", "--limit", "10"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "sent 3, retried 0, failed 0, reminders queued 1"
    again = runner.invoke(args=["notify", "send"])
    assert again.output.strip() == "sent 0, retried 0, failed 0, reminders queued 0"
    assert runner.invoke(args=["notify", "send", "--limit", "0"]).exit_code != 0


def test_the_log_channel_never_logs_the_full_phone(app, caplog):
    booking = factories.book(factories.session(), phone="13912345678",
                             id_number=factories.id_number(seq=7))
    with caplog.at_level(logging.DEBUG):
        assert sender.send_due(calendar.now()).sent == 1
    text = caplog.text
    assert "139****5678" in text and "booking_received" in text
    assert "13912345678" not in text and booking.code not in text
    assert factories.id_number(seq=7) not in text
