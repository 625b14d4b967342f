"""Top-level worker functions for the multiprocessing ("spawn") tests: spawn imports this
module in each child, so nothing here may depend on the parent's state."""
from __future__ import annotations

import multiprocessing

CTX = multiprocessing.get_context("spawn")


def cast_ballot_worker(config: dict, poll_id: int, username: str, choice: str, barrier, results):
    """Vote through the service, in a process of its own, when the barrier opens."""
    from sqlalchemy import select

    from portal import create_app
    from portal.accounts.models import User
    from portal.errors import DomainError
    from portal.evaluation import voting
    from portal.extensions import db

    app = create_app(config)
    with app.app_context():
        try:
            user = db.session.scalar(select(User).where(User.username == username))
            db.session.rollback()  # connected before the start line, no transaction held
        except Exception as error:  # reported to the parent, which fails the test
            results.put((username, "error", repr(error)))
            barrier.abort()
            return
        try:
            barrier.wait(timeout=60)
            voting.cast_ballot(poll_id, user, choice)
            db.session.commit()
            results.put((username, "ok", ""))
        except DomainError as error:
            db.session.rollback()
            results.put((username, "refused", error.message))
        except Exception as error:  # reported to the parent, which fails the test
            results.put((username, "error", repr(error)))
        finally:
            db.session.remove()
            db.engine.dispose()


def http_vote_worker(config: dict, poll_id: int, username: str, password: str, choice: str,
                     barrier, results):
    """Log in as a panel member with a test client of its own, then POST the vote at once."""
    http_post_worker(config, username, password, f"/staff/panel/polls/{poll_id}/vote",
                     {"choice": choice, "confirm": "1"}, barrier, results)


def http_post_worker(config: dict, username: str, password: str, url: str, data: dict,
                     barrier, results):
    """Log in with a test client of its own, then POST when the barrier opens."""
    from portal import create_app
    from portal.extensions import db

    app = create_app(config)
    client = app.test_client()
    try:
        login = client.post("/staff/login", data={"username": username, "password": password})
        assert login.status_code == 303, login.status_code
        barrier.wait(timeout=60)
        response = client.post(url, data=data)
        results.put((username, response.status_code, response.headers.get("Location", "")))
    except Exception as error:  # reported to the parent, which fails the test
        results.put((username, "error", repr(error)))
    finally:
        with app.app_context():
            db.engine.dispose()


def run_at_once(target, jobs: list[tuple], timeout: int = 180) -> list[tuple]:
    """Start one process per job, release them together, return what each reported."""
    barrier, results = CTX.Barrier(len(jobs)), CTX.Queue()
    processes = [CTX.Process(target=target, args=(*job, barrier, results)) for job in jobs]
    for process in processes:
        process.start()
    outcomes = [results.get(timeout=timeout) for _ in processes]
    for process in processes:
        process.join(timeout=60)
        assert process.exitcode == 0, process.exitcode
    assert not [o for o in outcomes if o[1] == "error"], outcomes
    return outcomes
