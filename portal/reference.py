"""Reference data an administrator sets, kept in each process and checked once per request.

The rule settings (with the bureau's contact details), the working calendar's overrides and the
confirmed calendar years change a few times a year but were read on nearly every page. Each
process now keeps them, labelled with the number in the one-row table ``reference_version``:

- A request that needs any of them reads that number once (one primary-key statement, the
  first time it is needed; pages that need none read nothing) and uses the kept copy while the
  number is unchanged; when it moved, the copy is dropped and reloaded.
- Every change to a watched table moves the number in the same transaction, from the
  session's flush (``before_flush``), whichever code path made the change — an administrator's
  form, a service, a CLI command or a test. So a change committed through one server is in
  force on every other server's very next request (tests/test_reference_cache.py).
- The number is read before the data, so a copy is never newer-labelled than its content: at
  worst a copy is reloaded once more than needed, never kept stale.
- A transaction that changed watched rows reads them directly for the rest of its request
  (its own uncommitted values must neither be cached nor hidden by the cache), and so does
  code outside a request (CLI, jobs), as before.

Copies are kept per application (``app.extensions``), so two apps in one process (tests, or
two databases) never share one.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import current_app, g, has_request_context
from sqlalchemy import BigInteger, event, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from portal.extensions import db

T = TypeVar("T")
ROW = 1
_EXTENSION = "portal.reference"
_VERSION_READ = "_reference_version"  # on g: the number this request works with
_WROTE = "_reference_written"  # on g: this request's transaction changed watched rows
WATCHED: set[str] = set()  # table names whose rows are reference data


class ReferenceVersion(db.Model):
    """One row: moved by every change to reference data (see the module docstring)."""

    __tablename__ = "reference_version"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(BigInteger, default=0)


class _Copies:
    """The values one process keeps for one version number."""

    def __init__(self, version: int | None):  # None: nothing kept yet
        self.version = version
        self.values: dict[str, object] = {}


def watch(*models) -> None:
    """Declare models whose rows are reference data: changing one moves the version."""
    WATCHED.update(m.__tablename__ for m in models)


def cached(name: str, load: Callable[[], T]) -> T:
    """``load()``'s result, kept in this process while the reference version stays the same.

    Callers must not change what they get: it is shared by every request of the process."""
    if not has_request_context() or g.get(_WROTE) or _touches_reference(db.session):
        return load()  # (pending changes: the load's autoflush moves the version)
    version = _request_version()
    copies: _Copies = current_app.extensions.get(_EXTENSION) or _Copies(None)
    if copies.version != version:
        copies = _Copies(version)
        current_app.extensions[_EXTENSION] = copies
    if name not in copies.values:
        copies.values[name] = load()
    return copies.values[name]  # type: ignore[return-value]


def _request_version() -> int:
    """The version this request works with, read once. A missing row (a database emptied by
    TRUNCATE, as the PostgreSQL tests do) counts as 0: the first change inserts it as 1."""
    if _VERSION_READ not in g:
        setattr(g, _VERSION_READ, db.session.scalar(
            select(ReferenceVersion.version).where(ReferenceVersion.id == ROW)) or 0)
    return g.get(_VERSION_READ)


def forget_request_version() -> None:
    if has_request_context():
        g.pop(_VERSION_READ, None)


def bump(session: Session) -> None:
    """Move the version in ``session``'s transaction (made once by the migration; made here
    when missing, e.g. a schema built without the migrations)."""
    moved = session.execute(update(ReferenceVersion).where(ReferenceVersion.id == ROW)
                            .values(version=ReferenceVersion.version + 1))
    if not moved.rowcount:
        session.execute(ReferenceVersion.__table__.insert().values(id=ROW, version=1))
    if has_request_context():
        setattr(g, _WROTE, True)


def _touches_reference(session: Session) -> bool:
    return any(getattr(obj, "__tablename__", None) in WATCHED
               for obj in (*session.new, *session.dirty, *session.deleted))


@event.listens_for(Session, "before_flush")
def _move_version_with_the_change(session: Session, _context, _instances) -> None:
    if WATCHED and _touches_reference(session):
        bump(session)
