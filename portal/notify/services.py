"""Staff acts on the outbox: send a failed message again."""
from __future__ import annotations

from datetime import datetime

from portal.errors import DomainError
from portal.extensions import db
from portal.notify.lifecycle import MESSAGE
from portal.notify.models import OutboxMessage


def retry(message_id: int, actor, now: datetime) -> OutboxMessage:
    """A failed message goes back to pending, due now, with a fresh count of attempts
    (audited: ``message.retry``)."""
    message = db.session.get(OutboxMessage, message_id)
    if message is None:
        raise DomainError("该通知不存在", status=404)
    MESSAGE.check(message, "retry", actor, now)
    changed = MESSAGE.fire_where(
        OutboxMessage, "retry", OutboxMessage.id == message_id, actor=actor,
        object_id=message_id, values={"next_attempt_at": now, "attempts": 0},
        kind=message.kind, booking=message.booking_id, attempts=message.attempts)
    if changed != 1:
        raise DomainError("该通知已在重新发送", status=409)
    db.session.refresh(message)
    return message
