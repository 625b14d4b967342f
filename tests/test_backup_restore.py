"""Issue 11: back up the demo county, restore it into a new database, find every row, and
``audit verify`` passing on the restored copy — with the same DATA_KEY, and only with it.

SQLite: ``flask --app wsgi backup FILE`` (the online backup API), even while another
connection holds a write transaction. PostgreSQL: ``pg_dump -Fc`` and ``pg_restore`` into a
new database, as docs/deploy.md tells an operator. Each CI stage runs its own database's
variant (.ci/run: SQLite first, then TEST_DATABASE_URL).
"""
from __future__ import annotations

import hashlib
import random
import re
import shutil
import sqlite3
import subprocess
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa

from portal import audit, create_app
from portal.admin import services as admin_services
from portal.demo import seed_demo
from portal.extensions import db
from tests.conftest import PG_URL, base_config
from tests.helpers import unavailable


def fingerprints(url: str) -> dict[str, tuple[int, str]]:
    """Every table: its row count and the SHA-256 of its rows, sorted (order-free)."""
    engine = sa.create_engine(url)
    found = {}
    try:
        with engine.connect() as conn:
            for name in sorted(sa.inspect(conn).get_table_names()):
                table = sa.Table(name, sa.MetaData(), autoload_with=conn)
                rows = sorted(repr(tuple(row)) for row in conn.execute(sa.select(table)))
                found[name] = (len(rows), hashlib.sha256("\n".join(rows).encode()).hexdigest())
    finally:
        engine.dispose()
    return found


def seed_county() -> int:
    """The demo county, a settings change and two entries of our own; the audit log's length."""
    seed_demo(rng=random.Random(11))
    admin_services.save_settings({"bureau_phone": "0579-12345678"}, "命令行")
    for n in range(2):
        audit.record("backup.drill", "setting", n, actor="命令行", note=f"恢复演练 {n}")
    db.session.commit()
    entries = db.session.scalar(sa.select(sa.func.count(audit.AuditEntry.id)))
    db.session.rollback()  # on SQLite even a read began a write transaction here
    return entries


@contextmanager
def restored_app(tmp_path: Path, url: str, data_key: str = "test-data-key"):
    app = create_app({**base_config(tmp_path / f"restored-{data_key}", url), "DATA_KEY": data_key})
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def check_restored(tmp_path: Path, source_url: str, restored_url: str, entries: int) -> None:
    """Row for row the same; the audit chain intact and sealed with this key; still writable."""
    before, after = fingerprints(source_url), fingerprints(restored_url)
    assert after == before
    assert {"booking", "audit_entry", "reception_session", "alembic_version"} <= set(after)
    assert after["audit_entry"][0] == entries and after["booking"][0] > 0
    with restored_app(tmp_path, restored_url) as app:
        result = app.test_cli_runner().invoke(args=["audit", "verify"])
        assert result.exit_code == 0, result.output
        assert f"audit chain intact: {entries} entries" in result.output
        # Sequences, triggers and seals came back too: the copy carries on the chain.
        audit.record("backup.restored", "setting", 0, actor="命令行")
        db.session.commit()
        again = app.test_cli_runner().invoke(args=["audit", "verify"])
        assert f"audit chain intact: {entries + 1} entries" in again.output, again.output
    # Without the portal's DATA_KEY the restored log cannot be trusted: every seal fails.
    with restored_app(tmp_path, restored_url, data_key="another-data-key") as app:
        result = app.test_cli_runner().invoke(args=["audit", "verify"])
        assert result.exit_code != 0
        assert "not sealed with this portal's key" in result.output, result.output


# --- SQLite: the online backup API -----------------------------------------------------------------

def test_a_sqlite_backup_taken_during_a_write_restores_every_row(app, runner, database_url, tmp_path):
    if PG_URL:
        pytest.skip("the SQLite variant runs in .ci/run's SQLite stage (TEST_DATABASE_URL is set)")
    entries = seed_county()
    source = database_url.removeprefix("sqlite:///")
    # Another connection is in the middle of a write: the backup neither waits for it nor
    # takes its uncommitted row.
    writer = sqlite3.connect(source, timeout=30, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("INSERT INTO setting (key, value) VALUES ('uncommitted', 'x')")
    target = tmp_path / "backup" / "portal-backup.sqlite3"
    target.parent.mkdir()
    try:
        result = runner.invoke(args=["backup", str(target)])
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert result.exit_code == 0, result.output
    assert "integrity check ok" in result.output
    assert target.stat().st_mode & 0o077 == 0  # personal data: the owner's alone
    assert sorted(p.name for p in target.parent.iterdir()) == [target.name]  # one whole file
    # An earlier backup is never overwritten.
    again = runner.invoke(args=["backup", str(target)])
    assert again.exit_code != 0 and "exists" in again.output
    # Restore (the portal stopped): the backup file becomes a new database file.
    restored = tmp_path / "restored" / "portal.sqlite3"
    restored.parent.mkdir()
    shutil.copyfile(target, restored)
    check_restored(tmp_path, database_url, f"sqlite:///{restored}", entries)


def test_the_backup_command_refuses_postgresql_and_names_pg_dump(tmp_path):
    app = create_app(base_config(tmp_path, "postgresql+psycopg://nobody@127.0.0.1:1/none"))
    result = app.test_cli_runner().invoke(args=["backup", str(tmp_path / "x.dump")])
    assert result.exit_code != 0 and "pg_dump -Fc" in result.output
    assert not (tmp_path / "x.dump").exists()


# --- PostgreSQL: pg_dump -Fc / pg_restore into a new database --------------------------------------

def _libpq(url: str) -> str:
    return sa.engine.make_url(url).set(drivername="postgresql").render_as_string(
        hide_password=False)


def _major(version: str) -> int:
    """16 from 'pg_dump (PostgreSQL) 16.4 (Debian 16.4-1)'."""
    return int(re.search(r"\)\s*(\d+)", version).group(1))


def pg_tools(url: str) -> tuple[str, str]:
    """pg_dump and pg_restore, at least as new as the server (an older pg_dump refuses)."""
    dump, restore = shutil.which("pg_dump"), shutil.which("pg_restore")
    if not (dump and restore):
        unavailable("pg_dump and pg_restore are not installed (Debian: postgresql-client)")
    tool = _major(subprocess.run([dump, "--version"], capture_output=True, text=True,
                                 check=True).stdout)
    with db.engine.connect() as conn:
        server = int(conn.exec_driver_sql("SHOW server_version_num").scalar()) // 10000
    if tool < server:
        unavailable(f"pg_dump {tool} cannot dump a PostgreSQL {server} server")
    return dump, restore


@contextmanager
def new_postgres_database(url: str, suffix: str):
    """A new, empty database beside ``url``'s (named ``<its name>_<suffix>``), dropped after."""
    base = sa.engine.make_url(url)
    name = f"{base.database}_{suffix}"
    admin = sa.create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.exec_driver_sql(f'CREATE DATABASE "{name}" TEMPLATE template0')
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def test_a_pg_dump_restored_into_a_new_database_has_every_row(app, database_url, tmp_path):
    if not PG_URL:
        pytest.skip("the PostgreSQL variant runs with TEST_DATABASE_URL (.ci/run's second stage)")
    dump, restore = pg_tools(database_url)
    entries = seed_county()
    archive = tmp_path / "portal.dump"
    done = subprocess.run([dump, "-Fc", "--file", str(archive), "--dbname", _libpq(database_url)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    with new_postgres_database(database_url, "restore") as restored_url:
        done = subprocess.run([restore, "--no-owner", "--exit-on-error", "--dbname",
                               _libpq(restored_url), str(archive)],
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        check_restored(tmp_path, database_url, restored_url, entries)
