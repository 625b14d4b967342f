"""The secret ballot: the ballot table holds nothing that links a ballot to a voter."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import inspect, select, text
from sqlalchemy.exc import DBAPIError

from portal import audit, settings
from portal.evaluation import voting
from portal.evaluation.models import OpenVote, PanelMember, Participation
from portal.extensions import db
from tests.evaluation import factories


def _voted_poll(clock, choices):
    hearing, _ = factories.noticed_hearing()
    factories.at_hearing(clock, hearing)
    factories.present(hearing)
    poll = factories.open_poll(hearing)
    factories.vote_all(poll, choices)
    return hearing, poll


def test_the_ballot_table_links_no_ballot_to_a_voter(clock):
    choices = ["satisfied", "unsatisfied", "satisfied", "satisfied", "unsatisfied",
               "satisfied", "unsatisfied", "satisfied", "satisfied"]
    hearing, poll = _voted_poll(clock, choices)
    columns = {c["name"] for c in inspect(db.engine).get_columns("eval_ballot")}
    assert columns == {"id", "poll_id", "choice"}
    rows = db.session.execute(text("SELECT * FROM eval_ballot")).mappings().all()
    assert len(rows) == 9 and sorted(r["choice"] for r in rows) == sorted(choices)
    member_ids = {m.id for m in db.session.scalars(select(PanelMember))}
    user_ids = {factories.user("panel", f"member{i}").id for i in range(1, 10)}
    for row in rows:
        assert set(row) == {"id", "poll_id", "choice"}
        assert re.fullmatch(r"[0-9a-f]{32}", row["id"])  # random, not a sequence
        assert row["poll_id"] == poll.id
        assert not any(str(i) == row["id"] for i in member_ids | user_ids)
    assert len({r["id"] for r in rows}) == 9
    # No hidden insertion order either: the SQLite table has no rowid.
    if db.engine.dialect.name == "sqlite":
        with pytest.raises(DBAPIError):
            db.session.execute(text("SELECT rowid FROM eval_ballot"))
        db.session.rollback()
        with pytest.raises(DBAPIError):
            db.session.execute(text("SELECT rowid FROM eval_participation"))
        db.session.rollback()
    # Participation says who voted, never how; the open-vote table stays empty.
    assert {c["name"] for c in inspect(db.engine).get_columns("eval_participation")} == {
        "poll_id", "member_id"}
    assert len(db.session.scalars(select(Participation)).all()) == 9
    assert db.session.scalars(select(OpenVote)).all() == []
    # Votes leave no trace in the audit log (which records actor and time).
    actions = set(db.session.scalars(select(audit.AuditEntry.action)))
    assert not [a for a in actions if "vote" in a or "ballot" in a], actions


def test_ballots_never_change(clock):
    _voted_poll(clock, ["satisfied"] * 9)
    for statement in ("UPDATE eval_ballot SET choice = 'unsatisfied'",
                      "DELETE FROM eval_ballot", "DELETE FROM eval_participation"):
        with pytest.raises(DBAPIError):
            db.session.execute(text(statement))
        db.session.rollback()


def test_an_open_ballot_when_settings_say_so(clock):
    settings.save({"eval_secret_ballot": "0", "eval_allow_abstain": "1"})
    db.session.commit()
    hearing, poll = _voted_poll(clock, ["satisfied"] * 4 + ["unsatisfied"] * 4 + ["abstain"])
    assert poll.secret is False and poll.allow_abstain is True
    votes = db.session.scalars(select(OpenVote)).all()
    assert len(votes) == 9 and sorted(v.choice for v in votes).count("abstain") == 1
    closed = voting.close_poll(poll.id, factories.staff(), factories.now())
    db.session.commit()
    # 4 满意 of 9 present is not more than half.
    assert (closed.valid_count, closed.abstain_count, closed.result) == (9, 1, "unsatisfied")
