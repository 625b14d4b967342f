"""Staff sessions: start, end, lifetime, and where to go after login.

The session is a signed cookie. What ends it on the server is the account's
``session_version`` (part of the login id in the cookie): logout, deactivation and a password
reset bump it, so a cookie copied before then opens nothing afterwards. Besides, a session
ends after ``STAFF_SESSION_IDLE`` without a request and ``STAFF_SESSION_MAX`` after login,
whatever the activity.
"""
from __future__ import annotations

import time
import unicodedata
from urllib.parse import urlsplit

from flask import current_app, flash, request, session
from flask_login import current_user, login_user, logout_user
from itsdangerous import BadSignature, URLSafeSerializer

from portal.config import cookie_name

AUTH_AT = "auth_at"
SEEN_AT = "seen_at"


def wall_clock() -> int:
    """Seconds since the epoch. Session age is measured on its own clock, not the domain's
    ``calendar.now``, so tests can move the reception day without ending staff sessions."""
    return int(time.time())


def start(user) -> None:
    """A new session at login: nothing from before survives (no fixation)."""
    session.clear()
    login_user(user)
    session.permanent = True
    session[AUTH_AT] = session[SEEN_AT] = wall_clock()


def end() -> None:
    """Logout, in the caller's transaction: the account's session version changes, so every
    copy of this cookie stops working too. ``forget`` then clears this browser's session."""
    if current_user.is_authenticated:
        current_user._get_current_object().session_version += 1


def forget() -> None:
    logout_user()
    session.clear()


def enforce_lifetime() -> None:
    """Before every request: end a staff session that was idle too long or is too old."""
    if "_user_id" not in session:
        return
    now = wall_clock()
    idle = current_app.config["STAFF_SESSION_IDLE"].total_seconds()
    longest = current_app.config["STAFF_SESSION_MAX"].total_seconds()
    if now - session.get(AUTH_AT, 0) > longest or now - session.get(SEEN_AT, 0) > idle:
        logout_user()
        session.clear()
        flash("登录已超时，请重新登录")
        return
    session[SEEN_AT] = now


# --- known devices -------------------------------------------------------------------------

DEVICE_COOKIE = "portal_device"
DEVICE_DAYS = 180


def _device_signer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="known-device")


def known_device_users() -> list[str]:
    """Accounts that have logged in from this browser before (a signed cookie).

    An attacker guessing from elsewhere cannot have it, so the per-account back-off of
    ``accounts.throttle`` does not apply here: guessing elsewhere never locks the owner out.
    """
    raw = request.cookies.get(cookie_name(DEVICE_COOKIE, current_app.config["HTTPS"]))
    if not raw:
        return []
    try:
        names = _device_signer().loads(raw)
    except BadSignature:
        return []
    return [n for n in names if isinstance(n, str)] if isinstance(names, list) else []


def remember_device(response, username: str) -> None:
    names = [n for n in known_device_users() if n != username][-4:] + [username]
    response.set_cookie(
        cookie_name(DEVICE_COOKIE, current_app.config["HTTPS"]), _device_signer().dumps(names),
        max_age=DEVICE_DAYS * 86400, path="/", httponly=True, samesite="Lax",
        secure=current_app.config["HTTPS"])


def safe_next_path(raw: str | None) -> str | None:
    """A path on this site to go to after login, or None.

    Browsers drop tabs and newlines inside URLs and read a backslash as a slash, so
    ``/\\t/evil.example`` and ``/\\evil.example`` are both ``//evil.example`` to them: strip
    control characters first, then accept only a plain absolute path.
    """
    if not raw:
        return None
    target = "".join(ch for ch in raw if unicodedata.category(ch) != "Cc")
    if "\\" in target or not target.startswith("/") or target.startswith("//"):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target
