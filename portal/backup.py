"""A consistent copy of a SQLite database while the portal runs: ``flask --app wsgi backup FILE``.

Copying the live file (cp, rsync, a disk snapshot of a running server) is never safe: pages
still in the ``-wal`` file are missing from it, and a write in progress leaves a torn copy.
SQLite's online backup API copies one consistent snapshot instead; in WAL mode the portal's
readers and its writer go on meanwhile. PostgreSQL is backed up with ``pg_dump -Fc``
(docs/deploy.md), so on PostgreSQL this command refuses and says so.

The copy holds the data as stored: ID numbers, phones and case contents encrypted with
``DATA_KEY``, which is not in it. Keep the key's own backup apart from the database's.
"""
from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import click
from flask.cli import with_appcontext

from portal.extensions import db


class BackupRefused(Exception):
    """The backup cannot be made; the message says why (English, for the operator)."""


def backup_sqlite(target: Path) -> int:
    """Copy the portal's SQLite database to ``target`` (a new file, mode 600); return its pages.

    The copy is written beside the target and renamed only once SQLite's integrity check
    passes, so a backup file that exists is a whole one."""
    if db.engine.dialect.name != "sqlite":
        raise BackupRefused("the database is not SQLite: back PostgreSQL up with "
                            "pg_dump -Fc (see docs/deploy.md)")
    target = Path(target)
    if target.exists():
        raise BackupRefused(f"{target} exists: name a new file (an earlier backup is never "
                            "overwritten)")
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    # Created empty and private before SQLite opens it: the copy holds personal data.
    os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    try:
        pages = _copy(partial)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    os.replace(partial, target)
    return pages


def _copy(destination_path: Path) -> int:
    with db.engine.connect() as conn:
        source = conn.connection.driver_connection
        destination = sqlite3.connect(destination_path)
        try:
            # One step (pages=-1): the whole database from a single read snapshot.
            source.backup(destination)
            # One self-contained file: no -wal beside it to lose when it is copied on.
            destination.execute("PRAGMA journal_mode = DELETE")
            check = destination.execute("PRAGMA integrity_check").fetchone()[0]
            pages = destination.execute("PRAGMA page_count").fetchone()[0]
        finally:
            destination.close()
    if check != "ok":
        raise BackupRefused(f"the copy failed SQLite's integrity check: {check}")
    return pages


@click.command("backup")
@click.argument("target", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def backup_command(target: Path) -> None:
    """Copy the SQLite database to TARGET (a new file) while the portal keeps running."""
    try:
        pages = backup_sqlite(target)
    except BackupRefused as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"backup written to {target}: {pages} pages, integrity check ok")
    click.echo("DATA_KEY is not in it: keep the key's backup apart from this file")
