"""Messages to citizens, written by event subscribers in the transaction of the change.

``subscribe()`` (called by the factory) connects ``on_event`` to the domain events; each
handler renders ``templates/notify/<kind>.txt`` and adds one outbox row. A change that rolls
back takes its message with it; ``flask notify send`` delivers what committed.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from flask import render_template
from sqlalchemy import String, cast, exists, literal, select
from sqlalchemy.exc import IntegrityError

from portal import bureau, calendar, events
from portal.casework.models import HandOver, ReceptionRecord
from portal.extensions import db
from portal.notify import rules  # noqa: F401  (registers the notification settings)
from portal.notify.lifecycle import MESSAGE
from portal.notify.models import OutboxMessage
from portal.reception.models import Booking, Place, ReceptionSession
from portal.request_guard import external_url


def subscribe() -> None:
    for prefix in ("booking.", "session.cancel", "handover.conclude"):
        events.subscribe(prefix, on_event)


def on_event(event: events.Event) -> None:
    handler = HANDLERS.get(event.name)
    if handler is not None:
        handler(event)


# --- writing one message ---------------------------------------------------------------------------

def receipt_url(code: str) -> str:
    return external_url("reception.receipt", code=code)


def text_for(kind: str, booking: Booking, **context) -> str:
    session = db.session.get(ReceptionSession, booking.session_id)
    place = db.session.get(Place, booking.place_id) if booking.place_id else None
    return render_template(
        f"notify/{kind}.txt", booking=booking, session=session, place=place,
        bureau=bureau.current(), receipt_url=receipt_url(booking.code), **context).strip()


def write(kind: str, booking: Booking, dedupe_key: str | None = None, **context) -> OutboxMessage:
    """Add the message (due now) to the current transaction."""
    now = calendar.now()
    message = MESSAGE.new(
        OutboxMessage, kind=kind, booking_id=booking.id, dedupe_key=dedupe_key, attempts=0,
        next_attempt_at=now, created_at=now, channel="", last_error="")
    message.phone = booking.phone
    message.body = text_for(kind, booking, **context)
    db.session.add(message)
    db.session.flush()
    return message


def write_once(kind: str, booking: Booking, dedupe_key: str, **context) -> bool:
    """Write a message that must exist once; a duplicate (another sender, a second run) is
    skipped inside a savepoint, never an error. True when written."""
    try:
        with db.session.begin_nested():
            write(kind, booking, dedupe_key, **context)
    except IntegrityError:
        return False
    return True


def _not_yet(key_of) -> object:
    return ~exists().where(OutboxMessage.dedupe_key == key_of)


# --- the handlers ----------------------------------------------------------------------------------

def _booking(event: events.Event) -> Booking | None:
    """The event's booking: by id, or by the code in its detail (an event of a bulk change)."""
    if event.object_id is not None:
        return db.session.get(Booking, event.object_id)
    if code := event.detail.get("code"):
        return db.session.scalar(select(Booking).where(Booking.code == code))
    return None


def _simple(kind: str) -> Callable[[events.Event], None]:
    def handler(event: events.Event) -> None:
        if booking := _booking(event):
            write(kind, booking, reason=event.detail.get("reason", ""))

    return handler


def _offered(event: events.Event) -> None:
    if booking := _booking(event):
        expires = event.detail.get("expires_at") or booking.offer_expires_at
        if isinstance(expires, str):
            expires = datetime.fromisoformat(expires)
        write("waitlist_offered", booking,
              expires_at=expires.astimezone(calendar.TZ) if expires else None)


def _session_cancelled(event: events.Event) -> None:
    """One message per booking cancelled with the session (none twice)."""
    key = literal("session_cancelled:").concat(cast(Booking.id, String))
    bookings = db.session.scalars(
        select(Booking).where(Booking.session_id == event.object_id,
                              Booking.cancelled_by_staff.is_(True),
                              Booking.status == "cancelled", _not_yet(key))
        .order_by(Booking.id)).all()
    for booking in bookings:
        write_once("session_cancelled", booking, f"session_cancelled:{booking.id}")


def _handover_concluded(event: events.Event) -> None:
    booking = db.session.scalar(
        select(Booking).join(ReceptionRecord, ReceptionRecord.booking_id == Booking.id)
        .join(HandOver, HandOver.record_id == ReceptionRecord.id)
        .where(HandOver.id == event.object_id))
    if booking is not None:
        write("handover_concluded", booking,
              progress_url=receipt_url(booking.code) + "/progress")


HANDLERS: dict[str, Callable[[events.Event], None]] = {
    "booking.create": _simple("booking_received"),
    "booking.waitlist": _simple("booking_received"),  # the text says 候补 (no place yet)
    "booking.confirm": _simple("booking_confirmed"),
    "booking.decline": _simple("booking_declined"),
    "booking.offer": _offered,
    "session.cancel": _session_cancelled,
    "handover.conclude": _handover_concluded,
}


# --- reminders (the send command queues them first) --------------------------------------------------

def queue_reminders(now: datetime) -> int:
    """A reminder for every confirmed booking of a session tomorrow (once per booking)."""
    tomorrow = now.astimezone(calendar.TZ).date() + timedelta(days=1)
    key = literal("reminder:").concat(cast(Booking.id, String))
    bookings = db.session.scalars(
        select(Booking).join(ReceptionSession, ReceptionSession.id == Booking.session_id)
        .where(ReceptionSession.day == tomorrow, Booking.status == "confirmed", _not_yet(key))
        .order_by(Booking.id))
    return sum(write_once("reminder", b, f"reminder:{b.id}") for b in list(bookings))
