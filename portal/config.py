"""Settings from the environment, with safe defaults for a single-machine demo.

With nothing set, the portal runs on SQLite under ``instance/`` and keeps a generated secret
key and data key there, so a fresh checkout works and restarts keep sessions and data readable.
"""
from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path


def _instance_secret(instance: Path, name: str) -> str:
    """Read a secret from instance/<name>, creating it (mode 600) on first use."""
    path = instance / name
    if not path.exists():
        instance.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def from_environment(instance_path: str) -> dict:
    instance = Path(instance_path)
    env = os.environ
    return {
        "SECRET_KEY": env.get("SECRET_KEY") or _instance_secret(instance, "secret_key"),
        # Encrypts ID numbers, phones and case contents at rest; keyed hashes derive from it.
        "DATA_KEY": env.get("DATA_KEY") or _instance_secret(instance, "data_key"),
        "SQLALCHEMY_DATABASE_URI": env.get("DATABASE_URL")
        or f"sqlite:///{instance / 'portal.sqlite3'}",
        "SQLALCHEMY_ENGINE_OPTIONS": {
            "pool_size": int(env.get("DB_POOL_SIZE", "2")),
            "max_overflow": int(env.get("DB_MAX_OVERFLOW", "3")),
            "pool_pre_ping": True,
        },
        "REDIS_URL": env.get("REDIS_URL"),
        "PUBLIC_BASE_URL": env.get("PUBLIC_BASE_URL"),
        "SESSION_COOKIE_SECURE": _bool("SESSION_COOKIE_SECURE", False),
        "PROXY_COUNT": int(env.get("PROXY_COUNT", "0")),
    }


# Values that do not depend on the environment.
FIXED = {
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "PERMANENT_SESSION_LIFETIME": timedelta(hours=8),
    "MAX_CONTENT_LENGTH": 1 * 1024 * 1024,
    "WTF_CSRF_TIME_LIMIT": 8 * 3600,
    "SQLALCHEMY_TRACK_MODIFICATIONS": False,
    "RATELIMIT_HEADERS_ENABLED": False,
    "TIMEZONE": "Asia/Shanghai",
}
