"""Staff login throttling, computed from the recorded failures (``LoginFailure``).

- Account + address: 5 failures within 15 minutes lock that account *from that address* for
  15 minutes. Someone guessing from elsewhere cannot lock the real user out.
- Account alone: once 5 failures within 15 minutes come from anywhere, each further attempt
  must wait 1, 2, 4 … up to 60 seconds after the last failure. A botnet is slowed to about
  one guess a minute; the real user waits a minute at most, never forever.
- Address alone: Flask-Limiter caps login attempts at 20 a minute (``views.login``).

Refused attempts are not checked and not recorded, so they neither reveal a password nor
extend a lock. An administrator sees current locks and back-offs and can lift them.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select

from portal import calendar, events
from portal.accounts.models import LoginFailure
from portal.extensions import db

WINDOW = timedelta(minutes=15)
PAIR_LIMIT = 5
LOCK = timedelta(minutes=15)
BACKOFF_AFTER = 5
BACKOFF_CAP_SECONDS = 60
KEEP = timedelta(days=1)  # older failures count for nothing


@dataclass(frozen=True)
class Refusal:
    message: str
    retry_after: int  # seconds


@dataclass(frozen=True)
class Restriction:
    """What an administrator sees: a lock (account + address) or a back-off (account)."""

    username: str
    address: str | None  # None: the account's back-off, from every address
    failures: int
    until: datetime


def _lock_until(failures: list[datetime]) -> datetime | None:
    """The end of the lock caused by any PAIR_LIMIT failures within WINDOW."""
    until = None
    for i in range(PAIR_LIMIT - 1, len(failures)):
        if failures[i] - failures[i - PAIR_LIMIT + 1] <= WINDOW:
            until = max(until or failures[i], failures[i] + LOCK)
    return until


def _backoff_until(failures: list[datetime], now: datetime) -> datetime | None:
    recent = [at for at in failures if at >= now - WINDOW]
    if len(recent) < BACKOFF_AFTER:
        return None
    delay = min(2 ** (len(recent) - BACKOFF_AFTER), BACKOFF_CAP_SECONDS)
    return recent[-1] + timedelta(seconds=delay)


def _failures(username: str, now: datetime) -> list[tuple[str, datetime]]:
    return list(db.session.execute(
        select(LoginFailure.address, LoginFailure.at)
        .where(LoginFailure.username == username, LoginFailure.at >= now - WINDOW - LOCK)
        .order_by(LoginFailure.at, LoginFailure.id)))


def _seconds(until: datetime, now: datetime) -> int:
    return max(1, math.ceil((until - now).total_seconds()))


def refusal(username: str, address: str, now: datetime,
            known_device: bool = False) -> Refusal | None:
    """Why this attempt is refused before the password is even checked, or None.

    A browser the account has logged in from before (``known_device``) skips the per-account
    back-off: an attacker elsewhere can slow strangers down, never keep the owner out."""
    rows = _failures(username, now)
    lock = _lock_until([at for addr, at in rows if addr == address])
    if lock is not None and now < lock:
        return Refusal(f"该账号在本设备登录失败次数过多，已暂时锁定，请于 "
                       f"{calendar.format_datetime(lock)} 后再试，或请管理员解除锁定。",
                       _seconds(lock, now))
    backoff = None if known_device else _backoff_until([at for _, at in rows], now)
    if backoff is not None and now < backoff:
        seconds = _seconds(backoff, now)
        return Refusal(f"该账号近期登录失败次数较多，请 {seconds} 秒后再试。", seconds)
    return None


def record_failure(username: str, address: str, now: datetime) -> None:
    db.session.execute(delete(LoginFailure).where(LoginFailure.at < now - KEEP))
    db.session.add(LoginFailure(username=username[:40], address=address[:64], at=now))


def clear(username: str, address: str) -> None:
    """A successful login forgets that address's failures for the account."""
    db.session.execute(delete(LoginFailure).where(LoginFailure.username == username,
                                                  LoginFailure.address == address))


def restrictions(now: datetime) -> list[Restriction]:
    """Locks and back-offs in force now, for the administrator (one query)."""
    rows = db.session.execute(
        select(LoginFailure.username, LoginFailure.address, LoginFailure.at)
        .where(LoginFailure.at >= now - WINDOW - LOCK)
        .order_by(LoginFailure.username, LoginFailure.at, LoginFailure.id))
    by_user: dict[str, list[tuple[str, datetime]]] = {}
    for username, address, at in rows:
        by_user.setdefault(username, []).append((address, at))
    found = []
    for username, failures in by_user.items():
        for address in sorted({a for a, _ in failures}):
            mine = [at for a, at in failures if a == address]
            lock = _lock_until(mine)
            if lock is not None and now < lock:
                found.append(Restriction(username, address, len(mine), lock))
        backoff = _backoff_until([at for _, at in failures], now)
        if backoff is not None and now < backoff:
            found.append(Restriction(username, None, len(failures), backoff))
    return found


def lift(username: str, actor) -> int:
    """An administrator lifts every lock and back-off of an account (audited)."""
    removed = db.session.execute(
        delete(LoginFailure).where(LoginFailure.username == username)).rowcount
    events.emit("user.unlock", "user", username, actor=actor, failures=removed)
    return removed
