"""Real concurrency for the database invariants: each job runs in its own OS process (fork)
with its own app, engine and connection; all wait on one barrier, then act at once. Runs on
the test's SQLite file, and on PostgreSQL when TEST_DATABASE_URL is set."""
from __future__ import annotations

import multiprocessing
from collections.abc import Callable

from sqlalchemy import select

from portal import create_app
from portal.errors import DomainError
from portal.extensions import db
from tests.conftest import base_config

CTX = multiprocessing.get_context("fork")


def _worker(config, label, job, barrier, results):
    app = create_app(config)
    with app.app_context():
        db.session.execute(select(1))  # connect before the start line, not after it
        db.session.rollback()
        barrier.wait(timeout=60)
        try:
            result = job()
            db.session.commit()
            results.put((label, "ok", result))
        except DomainError as error:
            db.session.rollback()
            results.put((label, "refused", error.message))
        except Exception as error:  # reported to the parent, which fails the test
            results.put((label, "error", repr(error)))
        finally:
            db.session.remove()
            db.engine.dispose()


def at_once(app, tmp_path, jobs: list[tuple[str, Callable[[], object]]]) -> list[tuple]:
    """Run each ``(label, job)`` in its own process at the same instant; a job's return value
    is committed and reported as ``(label, "ok", value)``, a DomainError as ``(label,
    "refused", message)``. Any other error fails the test."""
    config = base_config(tmp_path, app.config["SQLALCHEMY_DATABASE_URI"])
    db.session.remove()
    db.engine.dispose()  # no connection of ours may cross the fork
    barrier, results = CTX.Barrier(len(jobs)), CTX.Queue()
    workers = [CTX.Process(target=_worker, args=(config, label, job, barrier, results))
               for label, job in jobs]
    for worker in workers:
        worker.start()
    outcomes = [results.get(timeout=120) for _ in workers]
    for worker in workers:
        worker.join(timeout=60)
        assert worker.exitcode == 0
    assert not [o for o in outcomes if o[1] == "error"], outcomes
    return outcomes
