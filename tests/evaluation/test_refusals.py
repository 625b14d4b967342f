"""Each refusal the rules call for, at the service and (where a page exists) at the page."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import DBAPIError

from portal import audit
from portal.errors import DomainError
from portal.evaluation import applications, hearings, panels, paper, queries, rules, voting
from portal.evaluation import pool as evaluator_pool
from portal.evaluation.models import Hearing, Matter, PanelMember, Recusal
from portal.evaluation.poll_records import Participation, Poll
from portal.extensions import db
from tests.conftest import AuthActions
from tests.evaluation import factories


def _refused(call, status: int | None = None, contains: str = "") -> DomainError:
    with pytest.raises(DomainError) as info:
        call()
    db.session.rollback()
    if status is not None:
        assert info.value.status == status, info.value.reasons
    assert contains in info.value.message, info.value.message
    return info.value


# --- the notice: at least 3 full days between publication and hearing -------------------------

@pytest.mark.parametrize("published, hearing_day, ok", [
    (datetime(2026, 11, 18, 23, 59), date(2026, 11, 22), True),   # 19, 20, 21 in between
    (datetime(2026, 11, 18, 0, 1), date(2026, 11, 21), False),    # only 19, 20
    (datetime(2026, 11, 17, 16, 0), date(2026, 11, 21), True),
])
def test_notice_in_time_counts_full_days(published, hearing_day, ok):
    from portal import calendar

    assert rules.notice_in_time(published.replace(tzinfo=calendar.TZ), hearing_day, 3) is ok


def test_late_notice_is_refused_and_an_in_time_one_is_published(app, client, auth):
    late = factories.paneled_hearing(day=date(2026, 11, 21))[0]
    error = _refused(lambda: hearings.publish_notice(queries.load_hearing(late.id), factories.staff(),
                                                   factories.now()), 409, "3 个整日")
    assert "2026年11月17日" in error.message  # the last day it could have been published
    auth.login("evaluation", "pingjia-a")
    response = client.post(f"/staff/evaluation/hearings/{late.id}/notice")
    assert response.status_code == 409 and "最迟应于" in response.text
    assert db.session.get(Hearing, late.id).notice_published_at is None
    assert client.get(f"/evaluation/notices/{late.id}").status_code == 404


def test_a_poll_cannot_open_when_the_notice_was_not_public_in_time(clock):
    hearing, _ = factories.noticed_hearing()
    db.session.execute(update(Hearing).where(Hearing.id == hearing.id).values(
        notice_published_at=datetime(2026, 11, 21, 9, 0, tzinfo=factories.calendar.TZ)))
    db.session.commit()
    factories.at_hearing(clock, hearing)
    factories.present(hearing)
    _refused(lambda: voting.open_poll(queries.load_hearing(hearing.id), "electronic",
                                      factories.staff(), factories.now()), 409, "未在评价会前")


# --- the panel ---------------------------------------------------------------------------------

def test_a_member_from_the_responsible_unit_is_refused_and_the_recusal_recorded(client, auth):
    hearing = factories.hearing()
    pool = factories.evaluators(9)
    insider = evaluator_pool.save_evaluator(None, evaluator_pool.EvaluatorData(
        "邓海波", "群众代表", " 青石镇 人民政府 ", ""), factories.staff(), factories.now())
    db.session.commit()
    ids = [e.id for e in pool[:8]] + [insider.id]
    # The service refuses and records the recusal in the caller's one transaction.
    conflict = panels.set_panel(queries.load_hearing(hearing.id), ids, ids[0], factories.staff(),
                                factories.now())
    assert conflict.conflicts == [insider.id] and "应当回避" in conflict.message
    assert conflict.status == 422 and "evaluator_ids" in conflict.reasons
    assert db.session.scalar(select(func.count()).select_from(Recusal)) == 1
    db.session.rollback()  # the caller decides: rolled back, nothing was recorded
    assert db.session.scalar(select(func.count()).select_from(Recusal)) == 0

    auth.login("evaluation", "pingjia-a")
    response = client.post(f"/staff/evaluation/hearings/{hearing.id}/panel", data={
        "evaluator_ids": [str(i) for i in ids], "chair_id": str(ids[0])})
    assert response.status_code == 422 and "邓海波" in response.text
    assert db.session.scalar(select(func.count()).select_from(PanelMember)) == 0
    recusal = db.session.scalar(select(Recusal).where(Recusal.evaluator_id == insider.id))
    assert recusal.requested_by == "office" and recusal.decision == "granted"
    assert "青石镇" in recusal.reason and recusal.decided_by_id is not None
    client.post(f"/staff/evaluation/hearings/{hearing.id}/panel", data={
        "evaluator_ids": [str(i) for i in ids], "chair_id": str(ids[0])})
    assert db.session.scalar(select(func.count()).select_from(Recusal)) == 1  # recorded once
    actions = db.session.scalars(select(audit.AuditEntry.action)).all()
    assert "evaluation.recusal.unit" in actions


@pytest.mark.parametrize("size, message", [(6, "单数"), (3, "不少于 5 人")])
def test_an_even_or_too_small_panel_is_refused(client, auth, size, message):
    hearing = factories.hearing()
    pool = factories.evaluators(size)
    ids = [e.id for e in pool]
    _refused(lambda: panels.set_panel(queries.load_hearing(hearing.id), ids, ids[0],
                                      factories.staff(), factories.now()), 422, message)
    auth.login("evaluation", "pingjia-a")
    response = client.post(f"/staff/evaluation/hearings/{hearing.id}/panel", data={
        "evaluator_ids": [str(i) for i in ids], "chair_id": str(ids[0])})
    assert response.status_code == 422 and message in response.text


def test_a_panel_needs_a_chair_from_its_members(client, auth):
    hearing = factories.hearing()
    ids = [e.id for e in factories.evaluators(5)]
    _refused(lambda: panels.set_panel(queries.load_hearing(hearing.id), ids, None,
                                      factories.staff(), factories.now()), 422, "主持人")
    auth.login("evaluation", "pingjia-a")
    response = client.post(f"/staff/evaluation/hearings/{hearing.id}/panel", data={
        "evaluator_ids": [str(i) for i in ids] + ["abc"], "chair_id": "x"})
    assert response.status_code == 422  # bad numbers: a form error, never a 500


def test_a_partys_recusal_request_is_recorded_then_decided(client, auth):
    hearing, pool = factories.noticed_hearing()
    auth.login("evaluation", "pingjia-a")
    response = client.post(f"/staff/evaluation/hearings/{hearing.id}/recusals", data={
        "evaluator_id": str(pool[2].id), "requested_by": "party", "requester": "信访人",
        "reason": "该评价员与责任单位负责人系亲属"})
    assert response.status_code == 303
    recusal = db.session.scalar(select(Recusal))
    assert recusal.decision == "pending"
    refused = client.post(f"/staff/evaluation/recusals/{recusal.id}/decide",
                          data={"decision": "refuse", "reason": ""})
    assert refused.status_code == 422 and "决定理由" in refused.text
    assert client.post(f"/staff/evaluation/recusals/{recusal.id}/decide",
                       data={"decision": "grant"}).status_code == 303
    assert db.session.get(Recusal, recusal.id).decision == "granted"
    members = queries.load_hearing(hearing.id).members
    assert pool[2].id not in [m.evaluator_id for m in members] and len(members) == 8
    again = client.post(f"/staff/evaluation/recusals/{recusal.id}/decide", data={"decision": "grant"})
    assert again.status_code == 409
    # The panel is now even: the poll would be refused until a replacement is added.
    assert "单数" in rules.panel_error(queries.load_hearing(hearing.id),
                                       factories.services_values())


# --- at the hearing ----------------------------------------------------------------------------

def test_no_quorum_no_poll(client, auth, clock):
    hearing, _ = factories.noticed_hearing()
    factories.at_hearing(clock, hearing)
    factories.present(hearing, count=5)  # 5 of 9 < ceil(9 × 2/3) = 6
    _refused(lambda: voting.open_poll(queries.load_hearing(hearing.id), "electronic",
                                      factories.staff(), factories.now()), 409, "不足法定人数 6 人")
    auth.login("evaluation", "pingjia-a")
    response = client.post(f"/staff/evaluation/hearings/{hearing.id}/polls",
                           data={"mode": "electronic"})
    assert response.status_code == 409 and "不足法定人数" in response.text
    assert db.session.scalar(select(func.count()).select_from(Poll)) == 0


def test_attendance_and_poll_only_on_the_hearing_day(clock):
    hearing, _ = factories.noticed_hearing()
    loaded = queries.load_hearing(hearing.id)
    _refused(lambda: hearings.mark_attendance(loaded, [m.id for m in loaded.members],
                                            factories.staff(), factories.now()), 409, "当天")


def _open(clock, **kwargs):
    hearing, pool = factories.noticed_hearing(**kwargs)
    factories.at_hearing(clock, hearing)
    factories.present(hearing)
    return hearing, factories.open_poll(hearing), pool


def test_a_second_vote_is_refused(app, clock):
    _hearing, poll, _ = _open(clock)
    member = factories.user("panel", "member1")
    voting.cast_ballot(poll.id, member, "satisfied")
    db.session.commit()
    _refused(lambda: voting.cast_ballot(poll.id, member, "unsatisfied"), 409, "您已投票")
    assert voting.tally(poll) == {"satisfied": 1, "unsatisfied": 0, "abstain": 0}
    assert db.session.scalar(select(func.count()).select_from(Participation)) == 1


def test_a_vote_by_a_non_member_or_an_absent_member_is_refused(app, client, clock):
    hearing, poll, _ = _open(clock)
    factories.evaluators(9, prefix="other")  # panel accounts, but on no panel here
    outsider = factories.user("panel", "other1")
    _refused(lambda: voting.cast_ballot(poll.id, outsider, "satisfied"), 403, "不是本次评价会")
    AuthActions(client).login("panel", "other1")
    response = client.post(f"/staff/panel/polls/{poll.id}/vote", data={"choice": "satisfied"})
    assert response.status_code == 403
    assert sum(voting.tally(poll).values()) == 0
    assert db.session.scalar(select(func.count()).select_from(Participation)) == 0
    staff_user = factories.staff()
    _refused(lambda: voting.cast_ballot(poll.id, staff_user, "satisfied"), 403)


def test_an_absent_member_cannot_vote(clock):
    hearing, pool = factories.noticed_hearing()
    factories.at_hearing(clock, hearing)
    factories.present(hearing, count=8)  # member9 absent
    poll = factories.open_poll(hearing)
    _refused(lambda: voting.cast_ballot(poll.id, factories.user("panel", "member9"),
                                        "satisfied"), 403, "未登记出席")


def test_an_invalid_choice_is_refused(clock):
    _hearing, poll, _ = _open(clock)
    _refused(lambda: voting.cast_ballot(poll.id, factories.user("panel", "member1"), "abstain"),
             422, "满意")


def _paper(clock, present: int = 9):
    hearing, _ = factories.noticed_hearing()
    factories.at_hearing(clock, hearing)
    factories.present(hearing, count=present)
    return hearing, factories.open_poll(hearing, "paper")


COUNTS = dict(issued=9, returned=9, valid=8, invalid=1, manyi=5, bumanyi=3, abstain=0)


@pytest.mark.parametrize("change, field, message", [
    ({"issued": 10}, "issued", "不能多于出席人数"),
    ({"returned": 10, "issued": 9}, "returned", "不能多于发出票数"),
    ({"invalid": 2}, "invalid", "应等于收回票数"),
    ({"manyi": 6}, "bumanyi", "应等于有效票"),
    ({"abstain": 1, "manyi": 4}, "abstain", "不设弃权票"),
    ({"manyi": -1}, "manyi", "0–999"),
])
def test_counts_that_do_not_add_up_are_refused(clock, change, field, message):
    _hearing, poll = _paper(clock)
    counts = paper.PaperCounts(**{**COUNTS, **change})
    error = _refused(lambda: paper.enter_paper_counts(poll, counts, factories.staff(),
                                                       factories.now()), 422)
    assert message in error.reasons[field], error.reasons


def test_counts_that_do_not_add_up_on_the_page(client, auth, clock):
    _hearing, poll = _paper(clock, present=7)
    auth.login("evaluation", "pingjia-a")
    form = {k: str(v) for k, v in COUNTS.items()}
    response = client.post(f"/staff/evaluation/polls/{poll.id}/paper", data=form)
    assert response.status_code == 422 and "不能多于出席人数（7）" in response.text
    for bad in ("abc", "99999999999999999999", "-3", ""):
        response = client.post(f"/staff/evaluation/polls/{poll.id}/paper",
                               data={**form, "issued": bad})
        assert response.status_code == 422, bad


def test_the_clerk_cannot_confirm_their_own_counts(client, auth, clock):
    _hearing, poll = _paper(clock)
    clerk = factories.staff("pingjia-a")
    _refused(lambda: paper.confirm_paper_counts(poll, clerk, factories.now()), 409, "尚未录入")
    paper.enter_paper_counts(poll, paper.PaperCounts(**COUNTS), clerk, factories.now())
    db.session.commit()
    _refused(lambda: paper.confirm_paper_counts(poll, clerk, factories.now()), 403, "监票人")
    _refused(lambda: voting.close_poll(poll.id, clerk, factories.now()), 409, "尚未经第二名")
    auth.login("evaluation", "pingjia-a")
    response = client.post(f"/staff/evaluation/polls/{poll.id}/confirm")
    assert response.status_code == 403 and "监票人" in response.text
    # The database holds the same rule.
    with pytest.raises(DBAPIError):
        db.session.execute(text("UPDATE eval_paper_count SET confirmed_by_id = entered_by_id"))
        db.session.flush()
    db.session.rollback()
    paper.confirm_paper_counts(poll, factories.staff("pingjia-b"), factories.now())
    db.session.commit()
    _refused(lambda: paper.enter_paper_counts(poll, paper.PaperCounts(**COUNTS), clerk,
                                               factories.now()), 409, "已经确认")


def test_a_closed_poll_cannot_be_edited(app, client, auth, clock):
    hearing, poll, _ = _open(clock)
    factories.vote_all(poll, ["satisfied"] * 5 + ["unsatisfied"] * 4)
    voting.close_poll(poll.id, factories.staff(), factories.now())
    db.session.commit()
    _refused(lambda: voting.close_poll(poll.id, factories.staff(), factories.now()), 409,
             "不能修改")
    _refused(lambda: voting.cast_ballot(poll.id, factories.user("panel", "member1"),
                                        "unsatisfied"), 409)
    _refused(lambda: voting.open_poll(queries.load_hearing(hearing.id), "paper",
                                      factories.staff(), factories.now()), 409)
    auth.login("evaluation", "pingjia-a")
    assert client.post(f"/staff/evaluation/polls/{poll.id}/close").status_code == 409
    assert client.post(f"/staff/evaluation/polls/{poll.id}/paper",
                       data={k: str(v) for k, v in COUNTS.items()}).status_code == 409
    # Nor through the database: the counts, the cleared tally and the participation are frozen.
    sealed = db.session.scalar(text("SELECT sealed FROM eval_tally"))
    assert sealed is None
    for statement in ("UPDATE eval_poll SET manyi_count = 9, bumanyi_count = 0",
                      "UPDATE eval_poll SET status = 'open'",
                      "DELETE FROM eval_poll",
                      "UPDATE eval_tally SET sealed = 'x'",
                      "DELETE FROM eval_tally",
                      "DELETE FROM eval_participation"):
        with pytest.raises(DBAPIError):
            db.session.execute(text(statement))
        db.session.rollback()
    closed = db.session.get(Poll, poll.id)
    assert (closed.manyi_count, closed.bumanyi_count, closed.result) == (5, 4, "satisfied")


def test_a_correction_is_a_new_reasoned_audited_poll(client, auth, clock):
    hearing, poll, _ = _open(clock)
    factories.vote_all(poll, ["satisfied"] * 5 + ["unsatisfied"] * 4)
    voting.close_poll(poll.id, factories.staff(), factories.now())
    db.session.commit()
    auth.login("evaluation", "pingjia-a")
    response = client.post(f"/staff/evaluation/polls/{poll.id}/correct",
                           data={"reason": "", "mode": "paper"})
    assert response.status_code == 422
    response = client.post(f"/staff/evaluation/polls/{poll.id}/correct",
                           data={"reason": "一名评价员误按按钮，当场声明，经主持人确认重新表决",
                                 "mode": "paper"})
    assert response.status_code == 303
    old = db.session.get(Poll, poll.id)
    new = db.session.scalar(select(Poll).where(Poll.supersedes_id == poll.id))
    assert old.status == "superseded" and (old.manyi_count, old.result) == (5, "satisfied")
    assert new.status == "open" and new.mode == "paper" and "误按" in new.correction_reason
    entry = db.session.scalar(select(audit.AuditEntry).where(
        audit.AuditEntry.action == "evaluation.poll.correct"))
    assert entry.detail_dict["supersedes"] == poll.id and "误按" in entry.detail_dict["reason"]
    page = client.get(f"/staff/evaluation/hearings/{hearing.id}")
    assert "已更正（作废）的表决" in page.text


def test_accepting_needs_all_four_conditions(client, auth):
    matter = factories.matter()
    application = applications.submit_application(matter, matter.unit, date(2026, 11, 10),
                                              "申请第三方评价", factories.staff(), factories.now())
    applications.record_condition(application, "handled", True, "", factories.staff(), factories.now())
    applications.record_condition(application, "dissatisfied", False, "信访人已息诉",
                              factories.staff(), factories.now())
    db.session.commit()
    error = _refused(lambda: applications.accept_application(application, factories.staff(),
                                                         factories.now()), 422, "尚未确认成立")
    assert "信访人对处理意见仍不满意" in error.message and "评价办已审查确认" in error.message
    _refused(lambda: applications.record_condition(application, "applied", False, "",
                                               factories.staff(), factories.now()), 422, "说明")
    auth.login("evaluation", "pingjia-a")
    response = client.post(f"/staff/evaluation/applications/{application.id}/refuse",
                           data={"reason": "信访人已书面息诉，不符合评价条件"})
    assert response.status_code == 303
    assert client.post(f"/staff/evaluation/applications/{application.id}/accept").status_code == 409


def test_a_hearing_cannot_be_scheduled_before_acceptance_or_in_the_past(clock):
    matter = factories.matter()
    data = hearings.HearingData(date(2026, 11, 23), time(9, 0), "县人民来访接待中心", "county")
    _refused(lambda: hearings.create_hearing(matter, data, factories.staff(), factories.now()),
             409, "受理后")
    accepted = factories.accepted_matter(number="XF-2026-0099")
    past = hearings.HearingData(date(2026, 11, 17), time(9, 0), "x" * 61, "nowhere")
    error = _refused(lambda: hearings.create_hearing(accepted, past, factories.staff(),
                                                   factories.now()), 422)
    assert set(error.reasons) == {"day", "place", "level"}
    # More than a year ahead is refused too (367 days ahead; 366 are allowed).
    later = factories.now().date() + timedelta(days=367)
    far = hearings.HearingData(later, time(9, 0), "县人民来访接待中心", "county")
    error = _refused(lambda: hearings.create_hearing(accepted, far, factories.staff(),
                                                   factories.now()), 422)
    assert error.reasons == {"day": "评价会日期不能晚于一年之后"}
    within = hearings.HearingData(later - timedelta(days=1), time(9, 0), "县人民来访接待中心",
                                  "county")
    hearings.create_hearing(accepted, within, factories.staff(), factories.now())
    db.session.commit()
    # Nothing was written by the refusals: one hearing, and only the matter allowed moved on.
    assert db.session.scalar(select(func.count()).select_from(Hearing)) == 1
    assert db.session.get(Matter, matter.id).status == "registered"
    assert db.session.get(Matter, accepted.id).status == "scheduled"
