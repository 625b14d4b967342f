"""The running count of an electronic poll, sealed: one ``eval_tally`` row per poll, written by
every vote and cleared by the closer (the reasons are in ``voting``).

The counts are fixed-width and bound to the poll id, then encrypted with the data key (Fernet:
fresh randomness each time), so every sealed value has the same length and cannot be copied
from one poll to another; a database reader without the key learns neither the counts nor,
from the length, their size.
"""
from __future__ import annotations

import logging
import re

from sqlalchemy import event, func, select, update
from sqlalchemy.orm import Session

from portal import privacy
from portal.errors import DomainError
from portal.evaluation import queries
from portal.evaluation.poll_records import OpenVote, Poll, Tally
from portal.extensions import db

MAX_COUNT = 999
TALLY_CHOICES = ("satisfied", "unsatisfied", "abstain")
log = logging.getLogger(__name__)


class TallyError(DomainError):
    """The sealed tally cannot be read or does not add up: a wrong DATA_KEY, or tampering."""

    def __init__(self, message: str):
        super().__init__(message + "；请联系系统管理员", status=500)


# Fixed width, so every sealed value has the same length (120 characters); the poll id inside
# stops a tally being copied from one poll to another.
_SEALED = "tally:v1:{poll:010d}:{satisfied:03d}:{unsatisfied:03d}:{abstain:03d}"
_UNSEALED = re.compile(r"tally:v1:(\d{10}):(\d{3}):(\d{3}):(\d{3})")


def seal(poll_id: int, counts: dict[str, int]) -> str:
    if not all(0 <= counts[c] <= MAX_COUNT for c in TALLY_CHOICES):
        raise TallyError("计票数超出范围")
    return privacy.encrypt(_SEALED.format(poll=poll_id, **counts))


def unseal(poll_id: int, sealed: str | None) -> dict[str, int]:
    match = _UNSEALED.fullmatch(privacy.decrypt(sealed) or "")
    if match is None or int(match[1]) != poll_id:
        raise TallyError("本次投票的计票数据无法读取（数据密钥不符，或数据被改动）")
    return dict(zip(TALLY_CHOICES, map(int, match.groups()[1:]), strict=True))


def start(poll_id: int) -> Tally:
    """The tally of a new electronic poll: nothing counted yet, sealed."""
    return Tally(poll_id=poll_id, sealed=seal(poll_id, dict.fromkeys(TALLY_CHOICES, 0)))


def running_counts(poll_id: int) -> dict[str, int]:
    """The counts so far of an open electronic poll (needs the data key)."""
    sealed = db.session.scalar(select(Tally.sealed).where(Tally.poll_id == poll_id))
    return unseal(poll_id, sealed)


def count_vote(poll_id: int, choice: str) -> None:
    """Add one vote to the sealed tally: lock, decrypt, increment, re-encrypt (fresh IV)."""
    sealed = db.session.scalar(select(Tally.sealed).where(Tally.poll_id == poll_id)
                               .with_for_update())
    counts = unseal(poll_id, sealed)
    counts[choice] += 1
    db.session.execute(update(Tally).where(Tally.poll_id == poll_id)
                       .values(sealed=seal(poll_id, counts))
                       .execution_options(synchronize_session=False))


def _checkpoint_sqlite_wal(session: Session) -> None:
    """After a close commits on SQLite: copy the WAL into the database and truncate it, so the
    page images of every vote's commit (participation rows, intermediate tallies) do not
    linger. Best effort: a busy database only leaves the WAL for the next checkpoint."""
    try:
        raw = session.get_bind().raw_connection()  # no SQLAlchemy BEGIN: pysqlite autocommit
        try:
            cursor = raw.cursor()
            timeout = cursor.execute("PRAGMA busy_timeout").fetchone()[0]
            cursor.execute("PRAGMA busy_timeout = 2000")
            busy = cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
            cursor.execute(f"PRAGMA busy_timeout = {int(timeout)}")
        finally:
            raw.close()
        if busy:
            log.warning("WAL checkpoint after closing a poll was blocked; it will happen later")
    except Exception:  # never fail the request that closed the poll
        log.exception("WAL checkpoint after closing a poll failed")


def _checkpoint_after_commit() -> None:
    session = db.session()
    if db.engine.dialect.name == "sqlite" and not event.contains(
            session, "after_commit", _checkpoint_sqlite_wal):
        event.listen(session, "after_commit", _checkpoint_sqlite_wal, once=True)


def close(poll: Poll) -> dict[str, int]:
    """The electronic count at close (poll row held exclusively): the tally must add up to the
    participation rows (and, in a 记名 poll, to the open votes); then it is cleared — before the
    poll's status changes, which the tally's trigger requires — so that the tally row's last
    writer is the closer, not the last voter."""
    counts = running_counts(poll.id)
    voted = queries.voted_count(poll.id)
    if sum(counts.values()) != voted:
        raise TallyError(f"计票数据不一致：计票 {sum(counts.values())} 票，投票记录 {voted} 人")
    if not poll.secret:
        named = dict(db.session.execute(select(OpenVote.choice, func.count()).where(
            OpenVote.poll_id == poll.id).group_by(OpenVote.choice)).all())
        if counts != {c: named.get(c, 0) for c in TALLY_CHOICES}:
            raise TallyError("计票数据与记名投票记录不一致")
    db.session.execute(update(Tally).where(Tally.poll_id == poll.id).values(sealed=None)
                       .execution_options(synchronize_session=False))
    _checkpoint_after_commit()
    return counts
