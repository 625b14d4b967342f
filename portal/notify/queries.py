"""What the outbox pages read: the outbox (filtered, newest first) and the call list."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from portal.extensions import db
from portal.notify.models import KINDS, MESSAGE_STATUSES, OutboxMessage
from portal.reception import queries as reception_queries
from portal.reception.models import Booking

PAGE_SIZE = 50


@dataclass(frozen=True)
class OutboxFilter:
    status: str = ""
    kind: str = ""

    @classmethod
    def of(cls, status: str, kind: str) -> OutboxFilter:
        """Unknown values are ignored like any malformed filter."""
        return cls(status if status in MESSAGE_STATUSES else "", kind if kind in KINDS else "")

    def args(self) -> dict[str, str]:
        return {k: v for k, v in (("status", self.status), ("kind", self.kind)) if v}

    def criteria(self) -> list:
        found = []
        if self.status:
            found.append(OutboxMessage.status == self.status)
        if self.kind:
            found.append(OutboxMessage.kind == self.kind)
        return found


def outbox_page(filters: OutboxFilter, before: int | None) -> list[OutboxMessage]:
    """Newest first; keyset paging (``before`` an id) stays fast at any depth."""
    query = select(OutboxMessage).where(*filters.criteria())
    if before is not None:
        query = query.where(OutboxMessage.id < before)
    return list(db.session.scalars(query.order_by(OutboxMessage.id.desc()).limit(PAGE_SIZE)))


def status_counts(kind: str = "") -> dict[str, int]:
    """Messages per status (of one kind when given), every status listed."""
    query = select(OutboxMessage.status, func.count(OutboxMessage.id))
    if kind:
        query = query.where(OutboxMessage.kind == kind)
    counted = dict(db.session.execute(query.group_by(OutboxMessage.status)).all())
    return {status: counted.get(status, 0) for status in MESSAGE_STATUSES}


def booking_codes(messages: list[OutboxMessage]) -> dict[int, str]:
    """Booking id -> booking code for the messages shown (one query)."""
    ids = sorted({m.booking_id for m in messages if m.booking_id})
    if not ids:
        return {}
    rows = db.session.execute(select(Booking.id, Booking.code).where(Booking.id.in_(ids)))
    return dict(rows.all())


def call_list():
    """Bookings cancelled with their session and not yet phoned, each with its
    session_cancelled message (or None): staff call first those the message did not reach."""
    bookings = reception_queries.call_list()
    keys = [f"session_cancelled:{b.id}" for b in bookings]
    messages = {}
    if keys:
        messages = {m.booking_id: m for m in db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.dedupe_key.in_(keys)))}
    return [(b, messages.get(b.id)) for b in bookings]
