"""Lifecycles: the one place that says which status may follow which, for whom, and when.

Each domain declares a ``Lifecycle`` per stateful record (a booking, a session, a matter ...):
its statuses with their Chinese labels and its transitions. ``fire`` is the only code that
assigns ``status``; it checks the transition, applies it and emits the domain event.
Templates and views ask ``actions_for`` which actions are open to a user now, so no template
compares status strings and no rule is written twice.

Domain-free: guards are functions the domain passes in.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import update

from portal import calendar, events
from portal.errors import DomainError
from portal.extensions import db

# A guard says why a transition may not happen now (Chinese), or None when it may.
Guard = Callable[[Any, Any], str | None]


class Refusal(str):
    """A refusal with the HTTP status it is answered with; a plain ``str`` from a guard means
    409 (the record is not in a state for this), a role refusal 403."""

    http_status: int

    def __new__(cls, message: str, http_status: int = 409):
        refusal = super().__new__(cls, message)
        refusal.http_status = http_status
        return refusal

REGISTRY: dict[str, Lifecycle] = {}


@dataclass(frozen=True)
class Transition:
    event: str  # "confirm"
    sources: frozenset[str]
    target: str
    label: str  # the verb on the button and in messages: "确认"
    roles: frozenset[str] = frozenset()  # empty: no role check (citizen or system act)
    guards: tuple[Guard, ...] = ()
    audited: bool = True


@dataclass
class Context:
    """What a guard may look at besides the object."""

    user: Any = None
    now: Any = None
    extra: dict[str, Any] = field(default_factory=dict)


class Lifecycle:
    def __init__(self, name: str, statuses: dict[str, str], transitions: Iterable[Transition],
                 initial: str, object_type: str | None = None,
                 wrong_status: dict[str, str | Callable] | None = None,
                 entries: Iterable[str] = ()):
        """``wrong_status`` keeps the wording people already know for an event refused
        because of the record's status: event -> message with ``{status}`` (the current
        status' label), or a function of the record. ``entries``: statuses other than the
        initial one a new record may start in (a waiting-list entry)."""
        self.name = name
        self.initial = initial
        self.entries = frozenset(entries) | {initial}
        self.wrong_status = wrong_status or {}
        self.object_type = object_type or name
        self.statuses = statuses
        self.transitions = {t.event: t for t in transitions}
        for t in self.transitions.values():
            unknown = (set(t.sources) | {t.target}) - set(statuses)
            if unknown:
                raise ValueError(f"{name}.{t.event}: unknown statuses {sorted(unknown)}")
        if not self.entries <= set(statuses):
            raise ValueError(f"{name}: unknown entry statuses {sorted(self.entries - set(statuses))}")
        # Guards other domains add to a transition: a record kept elsewhere that forbids it
        # (casework: a visitor with a reception record cannot become 爽约).
        self.added_guards: dict[str, list[Guard]] = {}
        REGISTRY[name] = self

    def add_guard(self, event: str, guard: Guard) -> None:
        """Add ``guard`` to ``event``'s own (idempotent: a second app in one process)."""
        guards = self.added_guards.setdefault(self.transitions[event].event, [])
        if guard not in guards:
            guards.append(guard)

    def new(self, model, status: str | None = None, **fields):
        """A new record of ``model`` in the initial status, or in one of the declared entry
        statuses (the other way a status is set)."""
        status = status or self.initial
        if status not in self.entries:
            raise ValueError(f"{self.name}: a new record cannot start as {status}")
        return model(status=status, **fields)

    def history(self, status: str, **fields) -> dict:
        """Fields for a record whose status comes from recorded history (the demo county, an
        import of past data), not from a transition: any declared status, nothing else."""
        if status not in self.statuses:
            raise ValueError(f"{self.name}: unknown status {status}")
        return {"status": status, **fields}

    def __getitem__(self, event: str) -> Transition:
        return self.transitions[event]

    def label(self, status: str) -> str:
        return self.statuses[status]

    def refusal(self, obj, event: str, user=None, now=None, **extra) -> str | None:
        """Why ``event`` may not happen to ``obj`` now (Chinese), or None when it may."""
        t = self.transitions[event]
        if obj.status not in t.sources:
            if wording := self.wrong_status.get(event):
                return wording(obj) if callable(wording) else wording.format(
                    status=self.statuses[obj.status])
            return f"当前状态为“{self.statuses[obj.status]}”，不能{t.label}"
        if t.roles and not _has_role(user, t.roles):
            return Refusal(f"您的账号不能{t.label}", 403)
        context = Context(user=user, now=now, extra=extra)
        for guard in (*t.guards, *self.added_guards.get(event, ())):
            if message := guard(obj, context):
                return message
        return None

    def can(self, obj, event: str, user=None, now=None, **extra) -> bool:
        return self.refusal(obj, event, user, now, **extra) is None

    def actions_for(self, obj, user=None, now=None, **extra) -> list[Transition]:
        """The transitions open to ``user`` for ``obj`` now, in declaration order."""
        return [t for t in self.transitions.values() if self.can(obj, t.event, user, now, **extra)]

    def check(self, obj, event: str, actor=None, now=None, **extra) -> None:
        """Raise the refusal ``fire`` would raise, e.g. before changes that must precede the
        transition itself (a session's bookings before the session's own event)."""
        if message := self.refusal(obj, event, actor, now, **extra):
            raise DomainError(message, status=getattr(message, "http_status", 409))

    def fire(self, obj, event: str, /, actor=None, now=None, **detail) -> None:
        """Check and apply a transition, then emit ``<name>.<event>`` in this transaction."""
        self.check(obj, event, actor, now)
        t = self.transitions[event]
        obj.status = t.target
        db.session.flush()
        events.emit(f"{self.name}.{event}", self.object_type, obj.id, actor=actor,
                    audited=t.audited, **detail)

    def fire_where(self, model, event: str, /, *criteria, actor=None, object_id=None,
                   values: dict | None = None, **detail) -> int:
        """Apply a transition to every row of ``model`` matching ``criteria`` in one UPDATE
        (rows in other statuses are left alone); emit one event with the count."""
        t = self.transitions[event]
        result = db.session.execute(
            update(model).where(model.status.in_(t.sources), *criteria)
            .values(status=t.target, **(values or {})))
        events.emit(f"{self.name}.{event}", self.object_type, object_id, actor=actor,
                    audited=t.audited, count=result.rowcount, **detail)
        return result.rowcount


def _has_role(user, roles: frozenset[str]) -> bool:
    role = getattr(user, "role", None)
    # Administrators may do every staff act except a panel member's own vote.
    return role in roles or (role == "admin" and roles != frozenset({"panel"}))


# --- for templates: what may this user do to this object now? ------------------------------

def open_actions(name: str, obj, **extra) -> list[Transition]:
    """Jinja global: ``open_actions('booking', b)`` — the actions the current user may take."""
    return REGISTRY[name].actions_for(obj, _current_user(), calendar.now(), **extra)


def can(name: str, obj, event: str, **extra) -> bool:
    """Jinja global: ``can('hearing', h, 'notice')``."""
    return REGISTRY[name].can(obj, event, _current_user(), calendar.now(), **extra)


def _current_user():
    from flask_login import current_user

    return current_user if current_user.is_authenticated else None
