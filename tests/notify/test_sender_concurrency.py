"""Two senders at the same time deliver each message exactly once.

Each sender is a separate OS process (fork) with its own app, engine and connection, started
together at a barrier, on the test's SQLite file and on PostgreSQL when TEST_DATABASE_URL is
set. The channel records every delivery in a queue the parent reads.
"""
from __future__ import annotations

import multiprocessing
import time
from collections import Counter

from sqlalchemy import func, select

from portal import calendar, create_app
from portal.extensions import db
from portal.notify import channels, sender
from portal.notify.lifecycle import MESSAGE
from portal.notify.models import OutboxMessage
from tests.conftest import base_config

CTX = multiprocessing.get_context("fork")
MESSAGES = 50
SENDERS = 2


def _send(config, now, barrier, deliveries, results):
    delivered = []

    def record(message, _settings):
        time.sleep(0.002)  # a little work, so the senders interleave
        delivered.append(message.id)

    channels.CHANNELS["log"] = sender.CHANNELS["log"] = record
    app = create_app(config)
    with app.app_context():
        try:
            db.session.execute(select(1))  # connect before the start line
            db.session.rollback()
            barrier.wait(timeout=60)
            outcome = sender.send_due(now, limit=MESSAGES * 2)
            deliveries.put(delivered)
            results.put((outcome.sent, outcome.retried, outcome.failed))
        except Exception as error:  # reported to the parent, which fails the test
            deliveries.put([])
            results.put(repr(error))
        finally:
            db.session.remove()
            db.engine.dispose()


def test_two_senders_deliver_each_message_exactly_once(app, tmp_path):
    now = calendar.now()
    for n in range(MESSAGES):
        message = MESSAGE.new(OutboxMessage, kind="reminder", attempts=0, next_attempt_at=now,
                              created_at=now, channel="", last_error="")
        message.phone, message.body = f"139{n:08d}", f"消息 {n}"
        db.session.add(message)
    db.session.commit()
    config = base_config(tmp_path, app.config["SQLALCHEMY_DATABASE_URI"])
    db.session.remove()
    db.engine.dispose()  # no connection of ours may cross the fork
    barrier, deliveries, results = CTX.Barrier(SENDERS), CTX.Queue(), CTX.Queue()
    workers = [CTX.Process(target=_send, args=(config, now, barrier, deliveries, results))
               for _ in range(SENDERS)]
    for worker in workers:
        worker.start()
    delivered = [deliveries.get(timeout=120) for _ in workers]
    outcomes = [results.get(timeout=120) for _ in workers]
    for worker in workers:
        worker.join(timeout=60)
        assert worker.exitcode == 0
    assert all(isinstance(o, tuple) for o in outcomes), outcomes
    counts = Counter(i for ids in delivered for i in ids)
    assert len(counts) == MESSAGES and set(counts.values()) == {1}, counts.most_common(3)
    assert sum(o[0] for o in outcomes) == MESSAGES
    assert all(ids for ids in delivered), "one sender did all the work: no overlap was tested"
    sent = db.session.scalar(select(func.count(OutboxMessage.id))
                             .where(OutboxMessage.status == "sent"))
    assert sent == MESSAGES
