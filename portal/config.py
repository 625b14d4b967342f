"""Settings from the environment, with safe defaults for a single-machine demo.

With nothing set, the portal runs on SQLite under ``instance/`` and keeps a generated secret
key and data key there, so a fresh checkout works and restarts keep sessions and data readable.
"""
from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit


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


def _trusted_hosts(value: str | None, public_base_url: str | None) -> list[str]:
    """Host names requests may carry (Flask answers any other Host with 400).

    TRUSTED_HOSTS, comma-separated (".example.gov.cn" also accepts its subdomains); when unset,
    the host of PUBLIC_BASE_URL plus the loopback names, so a local run works. IPv6 literals
    cannot be listed: Werkzeug 3.1 never matches them.
    """
    hosts = [h.strip().lower() for h in (value or "").split(",") if h.strip()]
    if hosts:
        return hosts
    if public_base_url and (host := urlsplit(public_base_url.strip()).hostname):
        hosts.append(host)
    return hosts + ["localhost", "127.0.0.1"]


def _https(env) -> bool:
    """Served over HTTPS: ``HTTPS=1``; unset, a PUBLIC_BASE_URL starting ``https://`` (or the
    older ``SESSION_COOKIE_SECURE=true``) says so. ``HTTPS=0`` wins over both."""
    base = (env.get("PUBLIC_BASE_URL") or "").strip().lower()
    return _bool("HTTPS", base.startswith("https://") or _bool("SESSION_COOKIE_SECURE", False))


def cookie_name(name: str, https: bool) -> str:
    """Over HTTPS every cookie is ``__Host-`` named: browsers then take it only with Secure,
    Path=/ and no Domain, so neither plain HTTP nor a sibling subdomain can set or overwrite it."""
    return f"__Host-{name}" if https else name


def transport(https: bool) -> dict:
    """The settings that follow HTTPS (applied after any test configuration)."""
    return {
        "SESSION_COOKIE_SECURE": https,
        "SESSION_COOKIE_NAME": cookie_name("session", https),
        # What __Host- requires, whatever APPLICATION_ROOT or SERVER_NAME say.
        "SESSION_COOKIE_PATH": "/",
        "SESSION_COOKIE_DOMAIN": None,
        "PREFERRED_URL_SCHEME": "https" if https else "http",
    }


def _rate_limits(env) -> dict:
    """Flask-Limiter's own settings, so a load test can switch limits off (RATELIMIT_ENABLED=0).
    Without RATELIMIT_STORAGE_URI the factory counts in REDIS_URL, else in memory (warned)."""
    found = {"RATELIMIT_ENABLED": _bool("RATELIMIT_ENABLED", True)}
    if uri := (env.get("RATELIMIT_STORAGE_URI") or "").strip():
        found["RATELIMIT_STORAGE_URI"] = uri
    return found


def _engine_options(env) -> dict:
    """The connection pool of each worker process (PostgreSQL; SQLite ignores them).

    Every server x worker x (DB_POOL_SIZE + DB_MAX_OVERFLOW) must fit under PostgreSQL's
    max_connections (docs/deploy.md). DB_PGBOUNCER=1 (PgBouncer in transaction mode in front):
    psycopg never prepares statements, since the next transaction may run on another server
    connection that does not know them."""
    options = {
        "pool_size": int(env.get("DB_POOL_SIZE", "2")),
        "max_overflow": int(env.get("DB_MAX_OVERFLOW", "3")),
        # Seconds a request waits for a free connection before it fails (then a 500).
        "pool_timeout": int(env.get("DB_POOL_TIMEOUT", "30")),
        # Replace connections older than this (seconds): a firewall or PgBouncer's
        # server_lifetime may drop idle ones. -1: never; pre-ping catches the rest.
        "pool_recycle": int(env.get("DB_POOL_RECYCLE", "-1")),
        "pool_pre_ping": True,
    }
    if _bool("DB_PGBOUNCER", False):
        options["connect_args"] = {"prepare_threshold": None}
    return options


def from_environment(instance_path: str) -> dict:
    instance = Path(instance_path)
    env = os.environ
    return {
        "SECRET_KEY": env.get("SECRET_KEY") or _instance_secret(instance, "secret_key"),
        # Encrypts ID numbers, phones and case contents at rest; keyed hashes derive from it.
        "DATA_KEY": env.get("DATA_KEY") or _instance_secret(instance, "data_key"),
        "SQLALCHEMY_DATABASE_URI": env.get("DATABASE_URL")
        or f"sqlite:///{instance / 'portal.sqlite3'}",
        "SQLALCHEMY_ENGINE_OPTIONS": _engine_options(env),
        "REDIS_URL": env.get("REDIS_URL"),
        "PUBLIC_BASE_URL": env.get("PUBLIC_BASE_URL"),
        "TRUSTED_HOSTS": _trusted_hosts(env.get("TRUSTED_HOSTS"), env.get("PUBLIC_BASE_URL")),
        "HTTPS": _https(env),
        **_rate_limits(env),
        "PROXY_COUNT": int(env.get("PROXY_COUNT", "0")),
        "STAFF_SESSION_IDLE": timedelta(minutes=int(env.get("STAFF_IDLE_MINUTES", "15"))),
        # Citizen notifications (the channel itself is a setting): secrets only.
        "NOTIFY_WEBHOOK_SECRET": env.get("NOTIFY_WEBHOOK_SECRET", ""),
        "NOTIFY_SMTP_USER": env.get("NOTIFY_SMTP_USER", ""),
        "NOTIFY_SMTP_PASSWORD": env.get("NOTIFY_SMTP_PASSWORD", ""),
    }


# Values that do not depend on the environment.
FIXED = {
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    # A staff session ends 12 hours after login whatever the activity (accounts.sessions).
    "STAFF_SESSION_MAX": timedelta(hours=12),
    "PERMANENT_SESSION_LIFETIME": timedelta(hours=12),
    "MAX_CONTENT_LENGTH": 1 * 1024 * 1024,
    # multipart/form-data: any one text field (the longest form field, 3000 characters, is
    # 9 kB of UTF-8), and the number of fields (the largest form has a few dozen). Werkzeug
    # applies neither to urlencoded bodies, which MAX_CONTENT_LENGTH bounds.
    "MAX_FORM_MEMORY_SIZE": 64 * 1024,
    "MAX_FORM_PARTS": 200,
    "WTF_CSRF_TIME_LIMIT": 12 * 3600,
    # Redis down: count in this process's memory rather than fail (and log that it happened).
    "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
    "RATELIMIT_STORAGE_OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
    "SQLALCHEMY_TRACK_MODIFICATIONS": False,
    "RATELIMIT_HEADERS_ENABLED": False,
    "TIMEZONE": "Asia/Shanghai",
}
