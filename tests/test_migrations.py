"""One schema history: a single Alembic head, and upgrading an empty database gives the models."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import current_app

from portal.extensions import db


def test_single_head(app):
    config = current_app.extensions["migrate"].migrate.get_config()
    heads = ScriptDirectory.from_config(config).get_heads()
    assert len(heads) == 1, heads


def test_upgraded_schema_matches_the_models(app):
    # The test database was created by `flask db upgrade` (see conftest.migrated_template).
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, db.metadata)
    assert diff == [], diff


def test_cli_upgrade_on_an_empty_database(tmp_path):
    import subprocess
    import sys

    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'fresh.sqlite3'}", "SECRET_KEY": "x",
           "DATA_KEY": "y", "PATH": "/usr/bin:/bin"}
    result = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"],
                            env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    check = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "db", "check"],
                           env=env, capture_output=True, text=True, timeout=120)
    assert check.returncode == 0, check.stdout + check.stderr
