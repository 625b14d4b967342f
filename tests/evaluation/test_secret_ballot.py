"""The secret ballot: no row says how anyone voted; the sealed tally counts each vote once.

The attacks on the storage (system columns, SELECT and dump order, raw pages) are replayed in
test_ballot_unlinkability.py; here are the schema, the tally's integrity and the DB guards.
"""
from __future__ import annotations

import uuid
from datetime import date, datetime, time
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade
from sqlalchemy import inspect, select, text
from sqlalchemy.exc import DBAPIError

from portal import audit, create_app, settings
from portal.evaluation import queries, sealed_tally, voting
from portal.evaluation.poll_records import OpenVote, Participation, Poll
from portal.extensions import db
from tests.conftest import PG_URL, base_config
from tests.evaluation import factories

MIX = ["satisfied", "unsatisfied", "satisfied", "satisfied", "unsatisfied",
       "satisfied", "unsatisfied", "satisfied", "satisfied"]


def _open(clock, **kwargs):
    hearing, _ = factories.noticed_hearing(**kwargs)
    factories.at_hearing(clock, hearing)
    factories.present(hearing)
    return hearing, factories.open_poll(hearing)


def _voted_poll(clock, choices):
    hearing, poll = _open(clock)
    factories.vote_all(poll, choices)
    return hearing, poll


def _sealed(poll_id: int) -> str | None:
    return db.session.scalar(text("SELECT sealed FROM eval_tally WHERE poll_id = :p"),
                             {"p": poll_id})


def test_no_table_holds_a_ballot_and_participation_says_who_never_how(clock):
    hearing, poll = _voted_poll(clock, MIX)
    tables = set(inspect(db.engine).get_table_names())
    assert "eval_ballot" not in tables
    assert {c["name"] for c in inspect(db.engine).get_columns("eval_tally")} == {
        "poll_id", "sealed"}
    assert {c["name"] for c in inspect(db.engine).get_columns("eval_participation")} == {
        "poll_id", "member_id"}
    assert len(db.session.scalars(select(Participation)).all()) == 9
    assert db.session.scalars(select(OpenVote)).all() == []
    # One tally row for the poll, its counts sealed; the staff's count is the participation.
    assert db.session.scalar(text("SELECT count(*) FROM eval_tally")) == 1
    assert queries.voted_count(poll.id) == 9
    assert voting.tally(poll) == {"satisfied": 6, "unsatisfied": 3, "abstain": 0}
    closed = voting.close_poll(poll.id, factories.staff(), factories.now())
    db.session.commit()
    assert (closed.valid_count, closed.manyi_count, closed.bumanyi_count) == (9, 6, 3)
    assert _sealed(poll.id) is None  # the closer clears it; the counts stand on the poll
    # Votes leave no trace in the audit log (which records actor and time).
    actions = set(db.session.scalars(select(audit.AuditEntry.action)))
    assert not [a for a in actions if "vote" in a or "ballot" in a], actions


def test_participation_never_changes_and_a_closed_tally_is_frozen(clock):
    _hearing, poll = _voted_poll(clock, ["satisfied"] * 9)
    voting.close_poll(poll.id, factories.staff(), factories.now())
    db.session.commit()
    for statement in ("UPDATE eval_participation SET member_id = member_id",
                      "DELETE FROM eval_participation",
                      "UPDATE eval_tally SET sealed = 'x'",
                      "UPDATE eval_tally SET sealed = NULL",
                      "DELETE FROM eval_tally"):
        with pytest.raises(DBAPIError):
            db.session.execute(text(statement))
        db.session.rollback()


def test_a_tally_only_for_an_open_electronic_poll(clock):
    other, _ = factories.noticed_hearing(matter_obj=factories.accepted_matter(number="XF-9"))
    _hearing, poll = _open(clock)
    with pytest.raises(DBAPIError):  # never deleted, not even while open
        db.session.execute(text("DELETE FROM eval_tally"))
    db.session.rollback()
    factories.present(other)
    paper = factories.open_poll(other, mode="paper")
    assert _sealed(paper.id) is None
    with pytest.raises(DBAPIError):
        db.session.execute(text("INSERT INTO eval_tally (poll_id, sealed) VALUES (:p, 'x')"),
                           {"p": paper.id})
    db.session.rollback()
    assert len(_sealed(poll.id)) == 120


def test_a_replayed_or_transplanted_tally_stops_the_close(clock):
    _hearing, poll = _open(clock)
    factories.vote_all(poll, ["satisfied"] * 3)
    early = _sealed(poll.id)
    for i in range(4, 10):
        voting.cast_ballot(poll.id, factories.user("panel", f"member{i}"), "unsatisfied")
        db.session.commit()
    # Someone with SQL access puts back the sealed value from three votes ago.
    db.session.execute(text("UPDATE eval_tally SET sealed = :s WHERE poll_id = :p"),
                       {"s": early, "p": poll.id})
    db.session.commit()
    with pytest.raises(sealed_tally.TallyError) as info:
        voting.close_poll(poll.id, factories.staff(), factories.now())
    db.session.rollback()
    assert "计票 3 票，投票记录 9 人" in info.value.message and info.value.status == 500
    assert db.session.get(Poll, poll.id, populate_existing=True).status == "open"
    # A sealed value from another poll does not open here either: the poll id is inside.
    db.session.execute(text("UPDATE eval_tally SET sealed = :s WHERE poll_id = :p"),
                       {"s": sealed_tally.seal(poll.id + 1, {"satisfied": 9, "unsatisfied": 0,
                                                        "abstain": 0}), "p": poll.id})
    with pytest.raises(sealed_tally.TallyError):
        voting.tally(poll)
    db.session.rollback()


def test_without_the_data_key_nobody_can_vote_or_count(app, clock):
    _hearing, poll = _open(clock)
    factories.vote_all(poll, ["satisfied"])
    member2 = factories.user("panel", "member2")
    app.config["DATA_KEY"] = "another-key"
    with pytest.raises(sealed_tally.TallyError):
        voting.cast_ballot(poll.id, member2, "satisfied")
    db.session.rollback()
    with pytest.raises(sealed_tally.TallyError):
        voting.close_poll(poll.id, factories.staff(), factories.now())
    db.session.rollback()
    app.config["DATA_KEY"] = "test-data-key"
    assert queries.voted_count(poll.id) == 1
    assert voting.tally(poll)["satisfied"] == 1


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


# --- the migration: ballots of a poll open at upgrade time become its sealed tally -----------

def _insert(conn, table: str, **values) -> int:
    """A row with the given values and a plain filler for every other NOT NULL column."""
    reflected = sa.Table(table, sa.MetaData(), autoload_with=conn)
    fillers = {sa.Integer: 0, sa.String: "x", sa.Text: "x", sa.Boolean: False,
               sa.Date: date(2026, 11, 23), sa.Time: time(9, 30),
               sa.DateTime: datetime(2026, 11, 18, 2, 0)}
    for column in reflected.columns:
        if column.name in values or column.nullable or column.name == "id":
            continue
        values[column.name] = next(v for t, v in fillers.items() if isinstance(column.type, t))
    if "id" in reflected.columns and "id" not in values:
        return conn.execute(reflected.insert().values(values).returning(reflected.c.id)).scalar()
    conn.execute(reflected.insert().values(values))
    return 0


def _poll_with_ballots(conn, number: str, status: str, ballots: list[str],
                       ids: list[str]) -> int:
    matter = _insert(conn, "eval_matter", number=number, number_key=number, level="county",
                     status="noticed", petitioner_id_last4="1234",
                     petitioner_id_hash="0" * 64)
    hearing = _insert(conn, "eval_hearing", matter_id=matter, level="county", status="noticed")
    closed = {} if status == "open" else dict(
        valid_count=len(ballots), manyi_count=ballots.count("satisfied"),
        bumanyi_count=ballots.count("unsatisfied"), abstain_count=0, result="satisfied")
    poll = _insert(conn, "eval_poll", hearing_id=hearing, mode="electronic", secret=True,
                   pass_rule="half", status=status, panel_size=len(ballots),
                   present_count=len(ballots), quorum=0,
                   **closed)
    for i, choice in enumerate(ballots):
        evaluator = _insert(conn, "eval_evaluator", name=f"{number}-{i}", category="律师",
                            active=True)
        member = _insert(conn, "eval_panel_member", hearing_id=hearing, evaluator_id=evaluator,
                         present=True)
        _insert(conn, "eval_participation", poll_id=poll, member_id=member)
        ids.append(uuid.uuid4().hex)
        _insert(conn, "eval_ballot", id=ids[-1], poll_id=poll, choice=choice)
    return poll


@pytest.fixture(params=["sqlite"] + (["postgresql"] if PG_URL else []))
def fresh_database(request, tmp_path):
    """An empty database of its own (on PostgreSQL: a second database, dropped afterwards)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
        return
    server = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    name = f"{sa.engine.make_url(PG_URL).database}_migration_0004"
    with server.connect() as conn:
        conn.execute(sa.text(f"DROP DATABASE IF EXISTS {name}"))
        conn.execute(sa.text(f"CREATE DATABASE {name}"))
    yield sa.engine.make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    with server.connect() as conn:
        conn.execute(sa.text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    server.dispose()


def test_the_upgrade_turns_an_open_poll_s_ballots_into_its_sealed_tally(tmp_path, fresh_database,
                                                                          clock):
    app = create_app(base_config(tmp_path, fresh_database))
    with app.app_context():
        upgrade(revision="0003_booking_place_index")
        ballot_ids: list[str] = []
        with db.engine.begin() as conn:
            open_id = _poll_with_ballots(conn, "XF-OPEN", "open",
                                         ["satisfied", "unsatisfied", "satisfied"], ballot_ids)
            closed_id = _poll_with_ballots(conn, "XF-CLOSED", "closed", ["satisfied"] * 5,
                                           ballot_ids)
        upgrade(revision="0004_secret_tally")
        assert "eval_ballot" not in inspect(db.engine).get_table_names()
        if db.engine.dialect.name == "sqlite":
            # Dropped with secure_delete on: once the WAL is checkpointed (the last connection
            # closing does it), no byte of any ballot is left on the free pages of the file.
            db.session.remove()
            db.engine.dispose()
            raw = Path(fresh_database.removeprefix("sqlite:///")).read_bytes()
            assert not [i for i in ballot_ids if i.encode() in raw]
        assert _sealed(closed_id) is None
        assert len(_sealed(open_id)) == 120
        poll = db.session.get(Poll, open_id)
        assert voting.tally(poll) == {"satisfied": 2, "unsatisfied": 1, "abstain": 0}
        # The later migrations rebuild tables others point at (SQLite batch mode): with data
        # in place they must still go through, and leave every foreign key intact.
        db.session.remove()
        upgrade()
        assert len(db.session.scalars(sa.select(Poll)).all()) == 2
        # Closing writes an audit entry: only on the current schema (0008 seals entries).
        closed = voting.close_poll(open_id, factories.staff(), factories.now())
        db.session.commit()
        assert (closed.manyi_count, closed.bumanyi_count, closed.result) == (2, 1, "satisfied")
        db.session.remove()
        db.engine.dispose()
