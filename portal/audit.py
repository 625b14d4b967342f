"""Append-only, tamper-evident audit log of staff state changes.

Each entry stores the SHA-256 of its own content chained to the previous entry's hash, and a
seal: an HMAC of that hash with a key derived from DATA_KEY. The chain shows where an entry
was changed, inserted or removed; the seal stops someone with SQL but without the key from
rewriting the chain after a change. Truncating the newest entries leaves a valid chain, so
``flask audit verify`` prints the head (position:hash) for the operator to keep, and
``--expect-head`` checks that the recorded head is still there.

Database triggers refuse UPDATE and DELETE. The one permitted deletion is ``prune``
(retention): in its own transaction it writes a permit row naming the last entry it may
delete, deletes, removes the permit, and appends an ``audit.prune`` entry carrying the anchor
(position and hash of the last removed entry) that verification starts from. Appends are
serialised (SQLite: BEGIN IMMEDIATE; PostgreSQL: an advisory transaction lock) so the chain
never forks. Never put sensitive values into ``detail``.
"""
from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import NamedTuple

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app, has_request_context, request
from flask_login import current_user
from sqlalchemy import String, Text, delete, func, select, text
from sqlalchemy.orm import Mapped, mapped_column

from portal import settings
from portal.extensions import UTCDateTime, db

GENESIS = "0" * 64
PRUNE = "audit.prune"
_PG_LOCK_KEY = 7_240_001  # any constant shared by all writers of the log

RETENTION = settings.register(settings.SettingSpec(
    "audit_retention_days", 180, "操作日志保留天数", "操作日志", 30, 3650,
    hint="每日运行 flask --app wsgi audit prune 删除更早的记录；删除的范围记入日志，链条仍可校验"))


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
    mac: Mapped[str] = mapped_column(String(64))  # seal(hash): keyed, see the module's doc

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


class AuditPrunePermit(db.Model):
    """Exists only inside a prune's transaction: the DELETE trigger lets entries up to
    ``through_id`` go while it does. Uncommitted, no other connection ever sees it."""

    __tablename__ = "audit_prune_permit"

    through_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)


@lru_cache(maxsize=4)
def _derived_key(data_key: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                info=b"portal audit seal v1").derive(data_key.encode())


def seal(entry_hash: str) -> str:
    """The keyed seal of an entry's hash (HMAC-SHA256, key derived from DATA_KEY)."""
    key = _derived_key(current_app.config["DATA_KEY"])
    return hmac.new(key, entry_hash.encode(), hashlib.sha256).hexdigest()


def wall_clock() -> datetime:
    """The log's time: the real clock (not the portal's calendar clock, which tests move)."""
    return datetime.now(UTC)


def _lock() -> None:
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK_KEY})


def _append(action: str, obj_type: str, obj_id, actor, detail: dict, prev: str,
            entry_id: int | None = None) -> AuditEntry:
    """``entry_id`` only after a prune emptied the table: SQLite would reuse id 1 (its
    rowids restart at the largest present), PostgreSQL's sequence never goes back."""
    if db.session.get_bind().dialect.name == "postgresql":
        entry_id = None
    entry = AuditEntry(
        id=entry_id,
        at=wall_clock(),
        actor_id=getattr(actor, "id", None),
        actor=getattr(actor, "username", None) or (actor if isinstance(actor, str) else "系统"),
        action=action,
        object_type=obj_type,
        object_id=str(obj_id),
        detail=json.dumps(detail, ensure_ascii=False, sort_keys=True, default=str),
        address=request.remote_addr if has_request_context() else None,
        prev_hash=prev,
    )
    entry.hash = entry.compute_hash()
    entry.mac = seal(entry.hash)
    db.session.add(entry)
    db.session.flush()
    return entry


def record(action: str, obj_type: str, obj_id, /, actor=None, **detail) -> AuditEntry:
    """Add an entry to the current transaction; it commits or rolls back with the change."""
    _lock()
    prev = db.session.scalar(select(AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1))
    if actor is None and has_request_context() and current_user.is_authenticated:
        actor = current_user
    return _append(action, obj_type, obj_id, actor, detail, prev or GENESIS)


def record_event(event) -> None:
    """The audit log as a subscriber of domain events (``portal.events``, wired in the
    factory): every audited event becomes an entry, in the transaction of the change."""
    if event.audited:
        record(event.name, event.object_type, event.object_id, actor=event.actor,
               **event.detail)


# --- verification --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Head:
    """A point of the history: the entry at ``count`` (counted from the very first entry,
    pruned ones included) has ``hash``. Printed as ``count:hash``."""

    count: int
    hash: str

    def __str__(self) -> str:
        return f"{self.count}:{self.hash}"

    @classmethod
    def parse(cls, value: str) -> Head:
        count, _, digest = (value or "").strip().partition(":")
        if not count.isdigit() or len(digest) != 64 or digest.strip("0123456789abcdef"):
            raise ValueError("expected COUNT:HASH as printed by `audit verify`")
        return cls(int(count), digest)


@dataclass(frozen=True)
class Anchor:
    """Where the stored chain starts: after the entries removed by the last prune."""

    through: int = 0  # id of the last removed entry (0: nothing ever removed)
    head: Head = Head(0, GENESIS)


class Verdict(NamedTuple):
    count: int  # entries checked
    broken: int | None  # id of the entry where the log was found changed, or None
    problem: str = ""
    head: Head | None = None


def latest_anchor() -> Anchor:
    """The anchor of the newest ``audit.prune`` entry (its own seal is checked by the walk)."""
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == PRUNE)
                              .order_by(AuditEntry.id.desc()).limit(1))
    if entry is None:
        return Anchor()
    try:
        data = entry.detail_dict
        return Anchor(int(data["through"]), Head(int(data["position"]), str(data["last_hash"])))
    except (KeyError, TypeError, ValueError):
        return Anchor(0, Head(0, "（无效的删除记录）"))


def _entry_problem(entry: AuditEntry, expected: str, previous_id: int | None,
                   anchor: Anchor) -> str:
    if entry.id <= anchor.through:
        return (f"entry {entry.id} lies in the range removed by the last prune "
                f"(up to entry {anchor.through}): inserted")
    if entry.compute_hash() != entry.hash:
        return f"entry {entry.id} was altered: its content does not match its hash"
    if not hmac.compare_digest(entry.mac or "", seal(entry.hash)):
        return f"entry {entry.id} is not sealed with this portal's key: inserted or rewritten"
    if entry.prev_hash == expected:
        return ""
    if previous_id is not None:
        return f"entries removed between entry {previous_id} and entry {entry.id}"
    start = "the start of the log" if anchor.through == 0 else f"the last prune (entry {anchor.through})"
    return f"entries removed before entry {entry.id}: the oldest entry does not follow {start}"


def verify_chain(expect: Head | None = None) -> Verdict:
    """Walk the log oldest first; stop at the first entry found altered, inserted or not
    following its predecessor. With ``expect`` (a head recorded earlier), also fail when that
    entry is gone (the newest entries were removed) or differs (the log was rebuilt)."""
    anchor = latest_anchor()
    expected, position, previous_id, checked = anchor.head.hash, anchor.head.count, None, 0
    for entry in db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)).yield_per(1000):
        checked += 1
        problem = _entry_problem(entry, expected, previous_id, anchor)
        position += 1
        if not problem and expect and position == expect.count and entry.hash != expect.hash:
            problem = f"entry {entry.id} (position {position}) is not the recorded head: rewritten"
        if problem:
            return Verdict(checked, entry.id, problem)
        expected, previous_id = entry.hash, entry.id
    if expect and expect.count > position:
        last = f"entry {previous_id}" if previous_id else "the start"
        return Verdict(checked, previous_id or 0,
                       f"entries removed from the end: the log stops at {last} (position "
                       f"{position}) before the recorded head (position {expect.count})")
    return Verdict(checked, None, "", Head(position, expected))


# --- retention -----------------------------------------------------------------------------------

class ChainBroken(Exception):
    """Pruning refused: removing entries would destroy the evidence of a broken chain."""


def prune(now: datetime | None = None, days: int | None = None, actor="命令行") -> int:
    """Remove the entries older than the retention (in the caller's transaction), anchored by
    an ``audit.prune`` entry so that what remains still verifies. Returns how many went."""
    now, days = now or wall_clock(), days or settings.get(RETENTION.key)
    _lock()
    verdict = verify_chain()
    if verdict.broken is not None:
        raise ChainBroken(f"audit chain broken at entry {verdict.broken}: {verdict.problem}")
    cutoff = now - timedelta(days=days)
    # Only the oldest run of entries goes: an entry stamped early by a clock step back never
    # takes a newer one with it.
    first_kept = db.session.scalar(select(func.min(AuditEntry.id)).where(AuditEntry.at >= cutoff))
    older = [AuditEntry.at < cutoff] + ([AuditEntry.id < first_kept] if first_kept else [])
    through = db.session.scalar(select(func.max(AuditEntry.id)).where(*older))
    if through is None:
        return 0
    anchor = latest_anchor()
    removed = db.session.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.id <= through))
    last_hash = db.session.scalar(select(AuditEntry.hash).where(AuditEntry.id == through))
    db.session.add(AuditPrunePermit(through_id=through))
    db.session.flush()
    db.session.execute(delete(AuditEntry).where(AuditEntry.id <= through))
    db.session.execute(delete(AuditPrunePermit))
    newest = db.session.scalar(select(AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1))
    _append(PRUNE, "audit", through, actor,
            {"through": through, "position": anchor.head.count + removed,
             "last_hash": last_hash, "rows": removed, "retention_days": days,
             "before": cutoff.isoformat(timespec="seconds")},
            newest or last_hash, entry_id=None if newest else through + 1)
    return removed
