"""Domain events: what happened, told to whoever subscribed, inside the same transaction.

Services ``emit`` an event after they change something (``booking.confirmed``,
``hearing.noticed``, ``result.published`` ...). Subscribers, registered once in the factory,
run at once in the caller's transaction: what they write commits or rolls back with the
change itself, so a failed change leaves no audit entry and no message behind.

This module knows no domain. The audit log is one subscriber (every event marked
``audited``); the coming notification outbox will be another.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Event:
    name: str  # "<object>.<what happened>", e.g. "booking.confirm"
    object_type: str
    object_id: Any
    actor: Any = None  # a user, a name such as "命令行", or None for the citizen/system
    detail: dict[str, Any] = field(default_factory=dict)
    audited: bool = True  # a staff act the audit log must keep


Subscriber = Callable[[Event], None]
_subscribers: list[tuple[str, Subscriber]] = []


def subscribe(prefix: str, subscriber: Subscriber) -> None:
    """Call ``subscriber`` for every event whose name starts with ``prefix`` ("" for all).

    Registering the same subscriber twice (a second app in one process) is a no-op.
    """
    if (prefix, subscriber) not in _subscribers:
        _subscribers.append((prefix, subscriber))


def emit(name: str, object_type: str, object_id, /, actor=None, audited: bool = True,
         **detail) -> Event:
    """Tell every subscriber, now, in the current transaction. (The first three are
    positional-only so that ``detail`` may carry keys such as ``name``.)"""
    event = Event(name, object_type, object_id, actor, detail, audited)
    for prefix, subscriber in list(_subscribers):
        if name.startswith(prefix):
            subscriber(event)
    return event
