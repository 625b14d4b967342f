"""Shared by the notification tests: the outbox as the test sees it."""
from __future__ import annotations

from sqlalchemy import select

from portal.extensions import db
from portal.notify.models import OutboxMessage


def outbox(kind: str | None = None) -> list[OutboxMessage]:
    query = select(OutboxMessage).order_by(OutboxMessage.id)
    if kind:
        query = query.where(OutboxMessage.kind == kind)
    return list(db.session.scalars(query))


def kinds() -> list[str]:
    return [m.kind for m in outbox()]
