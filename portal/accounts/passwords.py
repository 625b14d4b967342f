"""The one password policy for staff accounts, used by the admin form and the command line.

12 to 128 characters (the login form accepts the same 128, so every password that can be set
can also be typed in), and refused when zxcvbn judges it guessable — common passwords,
keyboard patterns, repeats, dates, or anything built from the username or name.
"""
from __future__ import annotations

from zxcvbn import zxcvbn

MIN_LENGTH = 12
MAX_LENGTH = 128
# zxcvbn's 0–4 scale; 3 is "safely unguessable" against online and throttled offline attacks.
MIN_SCORE = 3
# Words anyone guessing a password of this site would try first.
SITE_WORDS = ("xinfang", "portal", "jiefang", "pingjia", "admin", "password", "mima")


def password_problem(password: str, username: str = "", display_name: str = "") -> str | None:
    """Why ``password`` may not be set for this account (Chinese), or None when it may."""
    password = password or ""
    if len(password) < MIN_LENGTH:
        return f"密码至少 {MIN_LENGTH} 位"
    if len(password) > MAX_LENGTH:
        return f"密码最多 {MAX_LENGTH} 位"
    if not password.strip():
        return "密码不能全部是空格"
    lowered = password.lower()
    name = (username or "").strip().lower()
    if name and (name in lowered or name in lowered[::-1] or lowered in name):
        return "密码不能包含用户名或由用户名变化而来"
    inputs = [w for w in (name, (display_name or "").strip(), *SITE_WORDS) if w]
    if zxcvbn(password, user_inputs=inputs, max_length=MAX_LENGTH)["score"] < MIN_SCORE:
        return ("密码太容易被猜中（如常见密码、连续或重复的字符、日期、用户名的变形），"
                "请使用更长、更不规则的密码，例如由几个无关的词组成的短语")
    return None
