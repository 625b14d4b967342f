"""Issue 10: besides rows and their system columns (test_ballot_unlinkability.py), a vote
leaves no other trace that could pair a member with a choice: it changes no table but the
participation and the sealed tally, neither of which has a timestamp; it advances no
sequence; it writes no audit entry; no log record names the voter or the choice."""
from __future__ import annotations

import logging

import sqlalchemy as sa
from sqlalchemy import inspect, text

from portal.audit import AuditEntry
from portal.evaluation import voting
from portal.extensions import db
from tests.evaluation import factories
from tests.evaluation.test_ballot_unlinkability import CHOICE_OF, VOTE_ORDER, open_poll


def _tables() -> dict[str, list[tuple]]:
    """Every table's rows, sorted: what a vote may have added or changed."""
    names = sorted(inspect(db.session.connection()).get_table_names())
    tables = {name: sorted(map(repr, db.session.execute(text(f'SELECT * FROM "{name}"')).all()))
              for name in names}
    db.session.commit()  # hold no read transaction: on SQLite a vote needs the write lock
    return tables


def _sequences() -> dict[str, int | None]:
    if db.engine.dialect.name == "postgresql":
        return dict(db.session.execute(text(
            "SELECT sequencename, last_value FROM pg_sequences")).all())
    if "sqlite_sequence" in inspect(db.session.connection()).get_table_names():
        return dict(db.session.execute(text("SELECT name, seq FROM sqlite_sequence")).all())
    return {}


def test_a_vote_changes_only_participation_and_the_sealed_tally(app, clock, caplog):
    poll, members = open_poll(clock)
    db.session.commit()
    tables, sequences = _tables(), _sequences()
    audit_count = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry))
    names = []
    with caplog.at_level(logging.DEBUG):
        for i in VOTE_ORDER:
            voter = factories.user("panel", f"member{i}")
            names.append(voter.username)
            voting.cast_ballot(poll.id, voter, CHOICE_OF[i])
            db.session.commit()

    after = _tables()
    changed = {name for name in after if after[name] != tables[name]}
    assert changed == {"eval_participation", "eval_tally"}
    # Neither holds a time, an order or a choice: only who voted, and one sealed sum.
    inspector = inspect(db.session.connection())
    columns = {name: {c["name"] for c in inspector.get_columns(name)} for name in changed}
    assert columns["eval_participation"] == {"poll_id", "member_id"}
    assert columns["eval_tally"] == {"poll_id", "sealed"}
    assert _sequences() == sequences  # no counter moved with the votes
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) == audit_count
    logged = "\n".join(r.getMessage() for r in caplog.records)
    for word in (*names, *{str(m) for m in members.values()}, "satisfied", "unsatisfied",
                 "不满意"):
        assert word not in logged
