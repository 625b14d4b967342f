"""Delivering the outbox: claim one due message at a time, deliver it, record the outcome.

A claim is one conditional UPDATE (pending and due → sending, ``claimed_at``) committed
before delivery, so two senders running at once never deliver the same message: the one whose
UPDATE changed no row moves on. On PostgreSQL the candidate is picked ``FOR UPDATE SKIP
LOCKED`` (senders do not queue behind each other); SQLite serialises writers. After delivery
the message becomes sent, or pending again with exponential back-off (1, 2, 4, 8 … minutes),
or failed after the last attempt. A message held longer than ``LEASE`` (its sender died) is
released to pending.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select

from portal import privacy, settings
from portal.extensions import db
from portal.notify import rules
from portal.notify.channels import CHANNELS, DeliveryError, Outgoing
from portal.notify.lifecycle import MESSAGE
from portal.notify.models import OutboxMessage

LEASE = timedelta(minutes=10)
ERROR_MAX = 200


@dataclass
class Outcome:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    released: int = 0
    ids: list[int] = field(default_factory=list)


def backoff(attempt: int) -> timedelta:
    """The wait after the ``attempt``-th failed attempt: 1, 2, 4, 8 … minutes."""
    return timedelta(minutes=2 ** (max(attempt, 1) - 1))


def release_stale(now: datetime) -> int:
    """Messages whose sender died mid-delivery go back to pending, due at once."""
    count = MESSAGE.fire_where(
        OutboxMessage, "release", OutboxMessage.claimed_at < now - LEASE,
        values={"claimed_at": None, "next_attempt_at": now})
    db.session.commit()
    return count


def claim_next(now: datetime) -> Outgoing | None:
    """Claim the next due message and commit the claim; None when none is left."""
    while True:
        candidate = db.session.execute(
            select(OutboxMessage.id, OutboxMessage.kind, OutboxMessage.phone_cipher,
                   OutboxMessage.body_cipher)
            .where(OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= now)
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id).limit(1)
            .with_for_update(skip_locked=True)).first()
        if candidate is None:
            db.session.commit()
            return None
        claimed = MESSAGE.fire_where(
            OutboxMessage, "claim", OutboxMessage.id == candidate.id,
            OutboxMessage.next_attempt_at <= now, values={"claimed_at": now})
        db.session.commit()
        if claimed == 1:
            return Outgoing(candidate.id, candidate.kind,
                            privacy.decrypt(candidate.phone_cipher) or "",
                            privacy.decrypt(candidate.body_cipher) or "")
        # another sender took it between our read and our update: look again


def record_outcome(message: Outgoing, now: datetime, channel: str, error: str | None,
                   max_attempts: int) -> str:
    """Sent, retried later or failed; only while our claim still stands (a sender whose lease
    ran out and whose message was taken by another changes nothing)."""
    row = db.session.get(OutboxMessage, message.id)
    ours = (OutboxMessage.id == message.id, OutboxMessage.claimed_at == now)
    common = {"claimed_at": None, "attempts": row.attempts + 1, "channel": channel}
    if error is None:
        outcome, event, values = "sent", "deliver", {"sent_at": now, "last_error": ""}
    elif row.attempts + 1 >= max_attempts:
        outcome, event, values = "failed", "give_up", {"last_error": error[:ERROR_MAX]}
    else:
        outcome, event = "retried", "reschedule"
        values = {"last_error": error[:ERROR_MAX],
                  "next_attempt_at": now + backoff(row.attempts + 1)}
    changed = MESSAGE.fire_where(OutboxMessage, event, *ours, object_id=message.id,
                                 values={**common, **values})
    db.session.commit()
    return outcome if changed else "lost"


def send_due(now: datetime, limit: int = 100) -> Outcome:
    """Deliver up to ``limit`` due messages through the channel in force."""
    result = Outcome(released=release_stale(now))
    values = settings.current_values()
    db.session.commit()
    channel = values[rules.CHANNEL.key]
    deliver = CHANNELS[channel]
    for _ in range(limit):
        message = claim_next(now)
        if message is None:
            break
        try:
            deliver(message, values)
            error = None
        except DeliveryError as failure:
            error = str(failure)
        except Exception as failure:  # a channel bug must not leave the message held
            current_app.logger.error("notify: channel %s raised %s on message %s", channel,
                                     type(failure).__name__, message.id)
            error = f"{channel} {type(failure).__name__}"
        outcome = record_outcome(message, now, channel, error,
                                 values[rules.MAX_ATTEMPTS.key])
        if outcome != "lost":
            setattr(result, outcome, getattr(result, outcome) + 1)
            result.ids.append(message.id)
    return result
