"""Staff account rules: Argon2id passwords, creation, authentication."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select

from portal import events
from portal.accounts import throttle
from portal.accounts.models import ROLES, User
from portal.accounts.passwords import password_problem
from portal.errors import DomainError
from portal.extensions import db

# OWASP's minimum for Argon2id: m=19 MiB, t=2, p=1 (about 22 ms per verify here).
_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
# Verified against when the username is unknown, so timing does not reveal which names exist.
_DUMMY_HASH = _hasher.hash("not a real password")
USERNAME_RE = re.compile(r"[a-z0-9_.-]{3,40}", re.ASCII)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password(user: User | None, password: str) -> bool:
    try:
        return _hasher.verify(user.password_hash if user else _DUMMY_HASH, password) and (
            user is not None
        )
    except (VerificationError, InvalidHashError):
        return False


def normalise_username(username: str | None) -> str:
    return unicodedata.normalize("NFKC", username or "").strip().lower()


def create_user(username: str, role: str, password: str, display_name: str = "", actor=None) -> User:
    username = normalise_username(username)
    reasons = {}
    if not USERNAME_RE.fullmatch(username):
        reasons["username"] = "用户名为 3–40 位小写字母、数字或 _ . -"
    if role not in ROLES:
        reasons["role"] = "角色应为 " + "、".join(ROLES)
    if problem := password_problem(password, username, display_name):
        reasons["password"] = problem
    if not reasons and db.session.scalar(
        select(func.count()).select_from(User).where(User.username == username)
    ):
        reasons["username"] = "该用户名已存在"
    if reasons:
        raise DomainError(reasons)
    user = User(
        username=username,
        display_name=(display_name or username).strip()[:40],
        role=role,
        password_hash=hash_password(password),
        created_at=datetime.now(UTC),
    )
    db.session.add(user)
    db.session.flush()
    events.emit("user.create", "user", user.id, actor=actor or "命令行", role=role,
                username=username)
    return user


def ensure_accounts(specs, actor) -> list[str]:
    """Create the (username, role, name, password) accounts that do not exist yet; say which."""
    existing = set(db.session.scalars(select(User.username)))
    made = []
    for username, role, name, password in specs:
        if username not in existing:
            create_user(username, role, password, name, actor=actor)
            made.append(f"demo account: {username} / {password} ({role})")
    return made


def authenticate(username: str, password: str) -> User | None:
    user = db.session.scalar(select(User).where(User.username == normalise_username(username)))
    if not check_password(user, password) or not user.active:
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = datetime.now(UTC)
    return user


@dataclass(frozen=True)
class LoginAttempt:
    username: str  # normalised
    password: str
    address: str
    known_device: bool  # this browser has logged in to the account before
    now: datetime


class LoginRefused(DomainError):
    """Refused before the password was checked (locked or backing off)."""

    def __init__(self, message: str, retry_after: int):
        super().__init__(message, status=429)
        self.retry_after = retry_after


def log_in(attempt: LoginAttempt) -> User | None:
    """The user when the password is right; None (and the failure recorded) when not."""
    if refused := throttle.refusal(attempt.username, attempt.address, attempt.now,
                                   known_device=attempt.known_device):
        raise LoginRefused(refused.message, refused.retry_after)
    user = authenticate(attempt.username, attempt.password)
    if user is None:
        throttle.record_failure(attempt.username, attempt.address, attempt.now)
        return None
    throttle.clear(attempt.username, attempt.address)
    events.emit("user.login", "user", user.id, actor=user)
    return user


def set_active(user: User, active: bool, actor) -> None:
    if user.id == getattr(actor, "id", None) and not active:
        raise DomainError("不能停用自己的账号")
    user.active = active
    user.session_version += 1  # ends the account's open sessions
    events.emit("user.activate" if active else "user.deactivate", "user", user.id, actor=actor)


def end_sessions(user: User, actor) -> None:
    """强制下线: every session of the account ends now (on every server: the version is in
    the database), the administrator's own included when they choose themselves."""
    user.session_version += 1
    events.emit("user.sessions_end", "user", user.id, actor=actor)


def reset_password(user: User, password: str, actor) -> None:
    if problem := password_problem(password, user.username, user.display_name):
        raise DomainError({"password": problem})
    user.password_hash = hash_password(password)
    user.session_version += 1
    events.emit("user.password_reset", "user", user.id, actor=actor)
