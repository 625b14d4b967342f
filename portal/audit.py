"""Append-only, tamper-evident audit log of staff state changes.

Each entry stores the SHA-256 of its own content chained to the previous entry's hash, so a
changed or deleted row breaks the chain (``flask audit verify``). Database triggers (made by
the first migration) refuse UPDATE and DELETE; appends are serialised (SQLite: BEGIN
IMMEDIATE; PostgreSQL: an advisory transaction lock) so the chain never forks.
Never put sensitive values into ``detail``.
"""
from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime

from flask import has_request_context, request
from flask_login import current_user
from sqlalchemy import String, Text, select, text
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import UTCDateTime, db

GENESIS = "0" * 64
_PG_LOCK_KEY = 7_240_001  # any constant shared by all writers of the log


class AuditEntry(db.Model):
    __tablename__ = "audit_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor_id: Mapped[int | None]
    actor: Mapped[str] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(60), index=True)
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[str] = mapped_column(String(40))
    detail: Mapped[str] = mapped_column(Text, default="{}")
    address: Mapped[str | None] = mapped_column(String(64))
    prev_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hash: Mapped[str] = mapped_column(String(64), unique=True)

    def content(self) -> str:
        return json.dumps(
            [
                self.at.astimezone(UTC).isoformat(timespec="microseconds"),
                self.actor_id,
                self.actor,
                self.action,
                self.object_type,
                self.object_id,
                self.detail,
                self.address,
                self.prev_hash,
            ],
            ensure_ascii=False,
        )

    def compute_hash(self) -> str:
        return hashlib.sha256(self.content().encode()).hexdigest()

    @property
    def detail_dict(self) -> dict:
        return json.loads(self.detail or "{}")


def record(action: str, obj_type: str, obj_id, /, actor=None, **detail) -> AuditEntry:
    """Add an entry to the current transaction; it commits or rolls back with the change."""
    session = db.session
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK_KEY})
    prev = session.scalar(select(AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1))
    if actor is None and has_request_context() and current_user.is_authenticated:
        actor = current_user
    entry = AuditEntry(
        at=datetime.now(UTC),
        actor_id=getattr(actor, "id", None),
        actor=getattr(actor, "username", None) or (actor if isinstance(actor, str) else "系统"),
        action=action,
        object_type=obj_type,
        object_id=str(obj_id),
        detail=json.dumps(detail, ensure_ascii=False, sort_keys=True, default=str),
        address=request.remote_addr if has_request_context() else None,
        prev_hash=prev or GENESIS,
    )
    entry.hash = entry.compute_hash()
    session.add(entry)
    session.flush()
    return entry


def record_event(event) -> None:
    """The audit log as a subscriber of domain events (``portal.events``, wired in the
    factory): every audited event becomes an entry, in the transaction of the change."""
    if event.audited:
        record(event.name, event.object_type, event.object_id, actor=event.actor,
               **event.detail)


def verify_chain() -> tuple[int, int | None]:
    """Return (entries checked, id of the first broken entry or None)."""
    expected_prev = GENESIS
    count = 0
    for entry in db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)).yield_per(1000):
        count += 1
        if entry.prev_hash != expected_prev or entry.compute_hash() != entry.hash:
            return count, entry.id
        expected_prev = entry.hash
    return count, None
