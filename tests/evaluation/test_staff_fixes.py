"""Issue 15 (evaluation staff): recusal checkboxes, publishing before delivery, hearings on
non-working days, the letter's date and author, the feed's order, and the confirmations of a
poll's close and a member's vote."""
from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date, datetime

from sqlalchemy import select

from portal.audit import AuditEntry
from portal.calendar import CalendarOverride
from portal.evaluation import pool as evaluator_pool
from portal.evaluation import queries, results, voting
from portal.evaluation.models import Hearing
from portal.evaluation.poll_records import Participation, Poll
from portal.extensions import db
from tests.conftest import AuthActions
from tests.evaluation import factories

ATOM = "{http://www.w3.org/2005/Atom}"


def _staff(client):
    AuthActions(client).login("evaluation", "pingjia-a")


def _issued_letter(clock) -> Hearing:
    """Voted 6 : 3, the letter issued, not yet delivered to anyone."""
    clock.set(datetime(2026, 11, 18, 10, 0))
    hearing, _ = factories.noticed_hearing()
    factories.at_hearing(clock, hearing)
    factories.present(hearing)
    poll = factories.open_poll(hearing)
    factories.vote_all(poll, ["satisfied"] * 6 + ["unsatisfied"] * 3)
    voting.close_poll(poll.id, factories.staff(), factories.now())
    loaded = queries.load_hearing(hearing.id)
    results.save_letter_reasons(loaded, "经评议，责任单位调查核实充分，处理意见适当。",
                                factories.staff(), factories.now())
    results.issue_letter(loaded, factories.staff(), factories.now())
    db.session.commit()
    return loaded


# --- item 6: evaluation details --------------------------------------------------------------

def test_a_member_who_must_recuse_cannot_be_ticked(client, clock):
    hearing = factories.hearing()
    conflicted = evaluator_pool.save_evaluator(None, evaluator_pool.EvaluatorData(
        name="同单位甲", category="其他", organisation=factories.UNIT, contact="13800009999",
        user_id=None), factories.staff(), factories.now())
    db.session.commit()
    _staff(client)
    page = client.get(f"/staff/evaluation/hearings/{hearing.id}").text
    row = page[page.index(f'value="{conflicted.id}"') - 80:page.index("同单位甲")]
    assert "disabled" in row and "须回避" in page


def test_publishing_before_delivery_to_both_asks_for_a_reason(client, clock):
    hearing = _issued_letter(clock)
    _staff(client)
    url = f"/staff/evaluation/hearings/{hearing.id}/publish"
    refused = client.post(url, data={})
    assert refused.status_code == 422 and "尚未送达" in refused.text
    assert db.session.get(Hearing, hearing.id).result_published_at is None
    assert client.post(url, data={"reason": "信访人拒绝签收，先行公布"}).status_code == 303
    assert db.session.get(Hearing, hearing.id).result_published_at is not None
    entry = db.session.scalar(select(AuditEntry).where(
        AuditEntry.action == "evaluation.result.publish"))
    assert "信访人拒绝签收，先行公布" in entry.detail  # the reason stays on the record


def test_publishing_after_delivery_to_both_needs_no_reason(client, clock):
    hearing = _issued_letter(clock)
    letter = queries.letter_for(hearing.id)
    for party in ("petitioner", "unit"):
        results.record_delivery(letter, party, "in_person", "签收人", factories.now().date(),
                                factories.staff(), factories.now())
    db.session.commit()
    _staff(client)
    assert client.post(f"/staff/evaluation/hearings/{hearing.id}/publish").status_code == 303


def test_a_hearing_on_a_non_working_day_is_warned_about(client, clock):
    matter = factories.accepted_matter()
    _staff(client)
    saturday = client.post(f"/staff/evaluation/matters/{matter.id}/hearings/new", data={
        "day": "2026-11-28", "start_time": "09:30", "place": "县人民来访接待中心",
        "level": "township"}, follow_redirects=True)
    assert saturday.status_code == 200 and "非工作日" in saturday.text


def test_the_earliest_date_hint_is_a_working_day(client, clock):
    # Wednesday 18 Nov + 3 full days -> Sunday 22 Nov at the earliest: suggest Monday 23.
    matter = factories.accepted_matter()
    _staff(client)
    page = client.get(f"/staff/evaluation/matters/{matter.id}/hearings/new").text
    assert "最早可定于 2026年11月23日" in page and "2026年11月22日" not in page


def test_the_letter_carries_a_document_date(client, clock):
    hearing, _poll = factories.published_result(clock)
    _staff(client)
    page = client.get(f"/staff/evaluation/hearings/{hearing.id}/letter").text
    assert "<p>2026年11月23日</p>" in page


def test_the_chair_is_named_as_evaluator_not_by_account(client, clock):
    clock.set(datetime(2026, 11, 18, 10, 0))
    hearing, _ = factories.noticed_hearing()
    factories.at_hearing(clock, hearing)
    factories.present(hearing)
    poll = factories.open_poll(hearing)
    factories.vote_all(poll, ["satisfied"] * 9)
    voting.close_poll(poll.id, factories.staff(), factories.now())
    db.session.commit()
    chair = factories.user("panel", "member1")  # account "panel member1", evaluator "member1"
    results.save_letter_reasons(queries.load_hearing(hearing.id), "主持人填写的评价意见和理由。",
                                chair, factories.now())
    db.session.commit()
    _staff(client)
    page = client.get(f"/staff/evaluation/hearings/{hearing.id}").text
    assert "评价意见由 评价小组主持人 member1 填写" in page
    assert "panel member1" not in page


def test_the_feed_lists_newest_first(client, clock):
    factories.published_result(clock)
    feed = ET.fromstring(client.get("/evaluation/feed.xml").data)
    stamps = [e.find(f"{ATOM}published").text for e in feed.findall(f"{ATOM}entry")]
    assert len(stamps) == 2 and stamps == sorted(stamps, reverse=True)


# --- item 5: confirmations ---------------------------------------------------------------------

def _open_poll(clock) -> Poll:
    clock.set(datetime(2026, 11, 18, 10, 0))
    hearing, _ = factories.noticed_hearing()
    factories.at_hearing(clock, hearing)
    factories.present(hearing)
    return factories.open_poll(hearing)


def test_closing_with_members_yet_to_vote_asks_once(client, clock):
    poll = _open_poll(clock)
    factories.vote_all(poll, ["satisfied"] * 3)
    _staff(client)
    url = f"/staff/evaluation/polls/{poll.id}/close"
    asked = client.post(url)
    assert asked.status_code == 200 and "还有 6 人未投票" in asked.text
    assert 'name="confirm" value="1"' in asked.text
    assert db.session.get(Poll, poll.id).closed_at is None
    assert client.post(url, data={"confirm": "1"}).status_code == 303
    db.session.expire_all()
    assert db.session.get(Poll, poll.id).closed_at is not None


def test_a_vote_is_confirmed_and_nothing_is_kept_before(client, clock):
    poll = _open_poll(clock)
    AuthActions(client).login("panel", "member2")
    url = f"/staff/panel/polls/{poll.id}/vote"
    asked = client.post(url, data={"choice": "unsatisfied"})
    assert asked.status_code == 200 and "提交后不能更改" in asked.text
    assert 'name="choice" value="unsatisfied"' in asked.text
    assert queries.voted_count(poll.id) == 0
    assert db.session.query(Participation).count() == 0
    with client.session_transaction() as session:
        assert "unsatisfied" not in repr(dict(session))
    assert client.post(url, data={"choice": "unsatisfied", "confirm": "1"}).status_code == 303
    assert queries.voted_count(poll.id) == 1
    # A second vote is refused at once, without asking.
    assert client.post(url, data={"choice": "satisfied"}).status_code == 409
    assert queries.voted_count(poll.id) == 1


# --- item 3: hearings the calendar now calls non-working ---------------------------------------

def test_dashboard_and_hearing_flag_a_hearing_on_a_day_now_off(client, clock):
    hearing = factories.hearing()  # Monday 23 November
    _staff(client)
    assert "非工作日" not in client.get("/staff/evaluation/").text
    db.session.add(CalendarOverride(day=date(2026, 11, 23), is_working=False, note="临时休息"))
    db.session.commit()
    dashboard = client.get("/staff/evaluation/").text
    assert "以下评价会安排在非工作日" in dashboard
    assert f"/staff/evaluation/hearings/{hearing.id}" in dashboard
    page = client.get(f"/staff/evaluation/hearings/{hearing.id}").text
    assert "eval-off-day" in page and "非工作日" in page


def test_a_refused_hearing_form_sent_by_htmx_before_any_poll_is_no_500(client):
    """Found by tests/fuzz: with HX-Request the page renders only its "poll_progress" block,
    which read ``poll.present_count`` of a hearing without a poll."""
    hearing, _ = factories.noticed_hearing()
    _staff(client)
    response = client.post(f"/staff/evaluation/hearings/{hearing.id}/cancel", data={"reason": ""},
                           headers={"HX-Request": "true"})
    assert response.status_code == 422


def test_hearing_zero_is_not_found(client):
    """Found by tests/fuzz: ``/hearings/0/edit`` took 0 for "no hearing" and looked a matter
    up by None (SQLAlchemy warns: a 500 under the suite's warnings-as-errors)."""
    _staff(client)
    form = {"day": "2026-12-01", "start_time": "09:30", "place": "县人民来访接待中心", "level": "township"}
    assert client.post("/staff/evaluation/hearings/0/edit", data=form).status_code == 404
