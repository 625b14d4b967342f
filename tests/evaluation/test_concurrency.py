"""Nine members vote at the same instant, each from a process of its own (spawn), through
cast_ballot: nine participation rows and a sealed tally of nine; the same nine again are all
refused.
Runs on the test's SQLite file, and on PostgreSQL when TEST_DATABASE_URL is set."""
from __future__ import annotations

from sqlalchemy import func, select

from portal.evaluation import voting
from portal.evaluation.poll_records import Participation, Poll
from portal.extensions import db
from tests.conftest import base_config
from tests.evaluation import factories, workers


def _counts(poll_id: int) -> tuple[int, int]:
    """(votes in the sealed tally, participation rows)."""
    counted = sum(voting.tally(db.session.get(Poll, poll_id, populate_existing=True)).values())
    voted = db.session.scalar(select(func.count()).select_from(Participation)
                              .where(Participation.poll_id == poll_id))
    db.session.remove()  # end our transaction: on SQLite it holds the write lock
    return counted, voted


def test_nine_members_vote_at_once_from_separate_processes(app, clock, tmp_path):
    hearing, _pool = factories.noticed_hearing()
    factories.at_hearing(clock, hearing)
    factories.present(hearing)
    poll = factories.open_poll(hearing)
    poll_id = poll.id
    config = base_config(tmp_path, app.config["SQLALCHEMY_DATABASE_URI"])
    choices = ["satisfied"] * 5 + ["unsatisfied"] * 4
    jobs = [(config, poll_id, f"member{i}", choices[i - 1]) for i in range(1, 10)]
    db.session.remove()  # the workers need the write lock; we hold nothing meanwhile

    first = workers.run_at_once(workers.cast_ballot_worker, jobs)
    assert sorted(o[1] for o in first) == ["ok"] * 9, first
    assert _counts(poll_id) == (9, 9)

    second = workers.run_at_once(workers.cast_ballot_worker, jobs)
    assert [o[1] for o in second] == ["refused"] * 9, second
    assert all("您已投票" in o[2] for o in second)
    assert _counts(poll_id) == (9, 9)

    closed = voting.close_poll(poll_id, factories.staff(), factories.now())
    db.session.commit()
    assert (closed.manyi_count, closed.bumanyi_count, closed.result) == (5, 4, "satisfied")
    assert db.session.get(Poll, poll_id).valid_count == 9


def test_the_same_member_voting_from_many_processes_gets_one_vote(app, clock, tmp_path):
    hearing, _pool = factories.noticed_hearing()
    factories.at_hearing(clock, hearing)
    factories.present(hearing)
    poll_id = factories.open_poll(hearing).id
    config = base_config(tmp_path, app.config["SQLALCHEMY_DATABASE_URI"])
    db.session.remove()
    outcomes = workers.run_at_once(workers.cast_ballot_worker, [
        (config, poll_id, "member3", "satisfied") for _ in range(6)])
    assert [o[1] for o in outcomes].count("ok") == 1, outcomes
    assert _counts(poll_id) == (1, 1)


def test_publishing_a_result_twice_at_once_publishes_it_once(app, clock, tmp_path):
    """Staff actions lock their record (PostgreSQL FOR UPDATE; SQLite BEGIN IMMEDIATE)."""
    from portal.evaluation import queries, results
    from portal.evaluation.models import FollowUp, Hearing
    from tests.conftest import AuthActions

    hearing, _ = factories.noticed_hearing()
    factories.at_hearing(clock, hearing)
    factories.present(hearing)
    poll = factories.open_poll(hearing)
    factories.vote_all(poll, ["satisfied"] * 2 + ["unsatisfied"] * 7)
    voting.close_poll(poll.id, factories.staff(), factories.now())
    loaded = queries.load_hearing(hearing.id)
    results.save_letter_reasons(loaded, "评价小组认为应当重新调查处理。", factories.staff(),
                                factories.now())
    results.issue_letter(loaded, factories.staff(), factories.now())
    db.session.commit()
    hearing_id = hearing.id
    config = base_config(tmp_path, app.config["SQLALCHEMY_DATABASE_URI"])
    db.session.remove()
    outcomes = workers.run_at_once(workers.http_post_worker, [
        (config, "pingjia-a", AuthActions.password,
         f"/staff/evaluation/hearings/{hearing_id}/publish",
         {"reason": "信访人拒绝签收，先行公布"}) for _ in range(4)])
    assert sorted(o[1] for o in outcomes) == [303, 409, 409, 409], outcomes
    assert db.session.get(Hearing, hearing_id).result_published_at is not None
    assert db.session.scalar(select(func.count()).select_from(FollowUp)) == 1
