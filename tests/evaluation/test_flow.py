"""The whole evaluation, driven through the pages as staff, panel members and the public.

matter → application (four conditions) → evaluator pool → hearing → panel → notice →
attendance → poll (electronic: nine members vote at the same moment from separate processes;
paper: clerk enters, a second user confirms) → close → opinion letter → deliveries → publish
→ follow-up (不满意) or the 满意 mark (reception refuses the matter).
"""
from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import func, select

from portal.evaluation import voting
from portal.evaluation.models import Application, Evaluator, FollowUp, Hearing, Matter
from portal.evaluation.poll_records import Participation, Poll
from portal.extensions import db
from tests import factories as base
from tests.conftest import AuthActions, base_config
from tests.evaluation import factories, workers

MATTER_FORM = {
    "number": "XF-2026-0088", "title": "白果村土地征收补偿争议", "category": "征地拆迁",
    "unit": factories.UNIT, "level": "township",
    "summary": "信访人吴秋菊反映承包地被征收后补偿款未足额发放，对镇政府的处理意见不满意。",
    "petitioner_name": factories.PETITIONER["name"],
    "petitioner_id": factories.PETITIONER["id_number"], "phone": factories.PETITIONER["phone"],
    "address": factories.PETITIONER["address"],
    "handling_opinion": "经调查核实，补偿标准符合县政府公布的征地补偿安置方案，补偿款已足额发放。",
    "opinion_date": "2026-10-08",
}


def _id_from(response, marker: str) -> int:
    assert response.status_code == 303, response.text[:2000]
    location = response.headers["Location"]
    return int(location.split(marker)[1].split("#")[0].split("/")[0])


def _ok(response, status: int = 303):
    assert response.status_code == status, response.text[:3000]
    return response


def _prepare_noticed_hearing(client, auth) -> tuple[int, int, list[int]]:
    auth.login("evaluation", "pingjia-a")
    matter_id = _id_from(client.post("/staff/evaluation/matters/new", data=MATTER_FORM),
                         "/matters/")
    page = client.get(f"/staff/evaluation/matters/{matter_id}")
    assert factories.PETITIONER["id_number"] not in page.text  # masked until revealed
    assert "****" + factories.PETITIONER["id_number"][-4:] in page.text
    _ok(client.post(f"/staff/evaluation/matters/{matter_id}/applications",
                    data={"unit": factories.UNIT, "applied_on": "2026-11-10",
                          "reason": "信访人仍不满意，申请第三方评价。"}))
    application_id = db.session.scalar(select(Application.id).where(
        Application.matter_id == matter_id))
    for code in ("handled", "dissatisfied", "applied", "confirmed"):
        _ok(client.post(f"/staff/evaluation/applications/{application_id}/conditions",
                        data={"code": code, "holds": "1", "note": "已核对材料"}))
    _ok(client.post(f"/staff/evaluation/applications/{application_id}/accept"))
    assert db.session.get(Matter, matter_id).status == "accepted"

    for i in range(1, 10):
        account = factories.user("panel", f"member{i}")
        _ok(client.post("/staff/evaluation/evaluators/new", data={
            "name": f"评价员{i}", "category": factories.CATEGORIES[i - 1],
            "organisation": f"县人大常委会{i}", "contact": f"1390000{i:04d}",
            "user_id": str(account.id)}))
    evaluator_ids = list(db.session.scalars(select(Evaluator.id).order_by(Evaluator.id)))
    hearing_id = _id_from(client.post(f"/staff/evaluation/matters/{matter_id}/hearings/new", data={
        "day": "2026-11-23", "start_time": "09:30", "place": "县人民来访接待中心",
        "level": "township"}), "/hearings/")
    _ok(client.post(f"/staff/evaluation/hearings/{hearing_id}/panel", data={
        "evaluator_ids": [str(i) for i in evaluator_ids], "chair_id": str(evaluator_ids[0])}))
    _ok(client.post(f"/staff/evaluation/hearings/{hearing_id}/notice"))
    public = _ok(client.get(f"/evaluation/notices/{hearing_id}"), 200)
    assert "吴某某" in public.text and "秋菊" not in public.text
    assert "2026年11月23日 星期一" in public.text
    return matter_id, hearing_id, evaluator_ids


def _letter_and_publish(client, hearing_id: int) -> None:
    _ok(client.post(f"/staff/evaluation/hearings/{hearing_id}/letter", data={
        "reasons": "经评议，评价小组认为：责任单位调查核实充分，吴秋菊反映的问题已依法依规处理。"}))
    _ok(client.post(f"/staff/evaluation/hearings/{hearing_id}/letter/issue"))
    letter = _ok(client.get(f"/staff/evaluation/hearings/{hearing_id}/letter"), 200)
    assert "第三方评价意见书" in letter.text and "评字〔2026〕1号" in letter.text
    for party, recipient in (("petitioner", "吴秋菊"), ("unit", "镇信访办 王敏")):
        _ok(client.post(f"/staff/evaluation/hearings/{hearing_id}/deliveries", data={
            "party": party, "method": "in_person", "recipient": recipient,
            "delivered_on": "2026-11-23"}))
    _ok(client.post(f"/staff/evaluation/hearings/{hearing_id}/publish"))


def test_whole_flow_electronic_with_simultaneous_votes(app, client, auth, clock, tmp_path):
    matter_id, hearing_id, evaluator_ids = _prepare_noticed_hearing(client, auth)
    hearing = db.session.get(Hearing, hearing_id)
    clock.set(datetime(2026, 11, 23, 9, 35))
    members = [m.id for m in factories.queries.load_hearing(hearing_id).members]
    _ok(client.post(f"/staff/evaluation/hearings/{hearing_id}/attendance",
                    data={"present_ids": [str(m) for m in members]}))
    _ok(client.post(f"/staff/evaluation/hearings/{hearing.id}/polls", data={"mode": "electronic"}))
    poll = db.session.scalar(select(Poll).where(Poll.hearing_id == hearing_id))

    # A panel member sees the open poll with its two buttons.
    panel_client = app.test_client()
    AuthActions(panel_client).login("panel", "member1")
    page = _ok(panel_client.get(f"/staff/panel/hearings/{hearing_id}"), 200)
    assert 'value="satisfied"' in page.text and 'value="unsatisfied"' in page.text

    # Nine members vote at the same moment, each from a process (and login) of their own.
    config = base_config(tmp_path, app.config["SQLALCHEMY_DATABASE_URI"])
    db.session.remove()
    choices = ["satisfied"] * 4 + ["unsatisfied"] * 5
    outcomes = workers.run_at_once(workers.http_vote_worker, [
        (config, poll.id, f"member{i}", AuthActions.password, choices[i - 1]) for i in range(1, 10)])
    assert sorted(o[1] for o in outcomes) == [303] * 9, outcomes
    assert sum(voting.tally(db.session.get(Poll, poll.id)).values()) == 9
    assert db.session.scalar(select(func.count()).select_from(Participation)) == 9

    after = _ok(panel_client.get(f"/staff/panel/hearings/{hearing_id}"), 200)
    assert "您已投票" in after.text and 'value="satisfied"' not in after.text
    again = panel_client.post(f"/staff/panel/polls/{poll.id}/vote", data={"choice": "satisfied"})
    assert again.status_code == 409 and "您已投票" in again.text

    progress = _ok(client.get(f"/staff/evaluation/polls/{poll.id}/progress",
                              headers={"HX-Request": "true"}), 200)
    assert 'data-voted="9"' in progress.text and "<html" not in progress.text
    assert "hx-trigger=\"every 3s\"" in progress.text

    _ok(client.post(f"/staff/evaluation/polls/{poll.id}/close"))
    poll = db.session.get(Poll, poll.id)
    assert (poll.valid_count, poll.manyi_count, poll.bumanyi_count, poll.result) == (
        9, 4, 5, "unsatisfied")
    _letter_and_publish(client, hearing_id)

    result = _ok(client.get(f"/evaluation/results/{hearing_id}"), 200)
    assert "不满意" in result.text and 'data-valid="9"' in result.text
    assert 'data-manyi="4"' in result.text and 'data-bumanyi="5"' in result.text
    assert "吴某某" in result.text and "秋菊" not in result.text
    feed = _ok(client.get("/evaluation/feed.xml"), 200)
    assert f"/evaluation/results/{hearing_id}" in feed.text

    # 不满意: follow-up opened, listed until done, overdue highlighted.
    matter = db.session.get(Matter, matter_id)
    assert matter.status == "follow_up" and not matter.is_satisfied
    _ok(client.post(f"/staff/evaluation/matters/{matter_id}/followups", data={
        "unit": "县自然资源局", "task": "复核征地补偿测算依据", "deadline": "2026-11-25"}))
    clock.set(datetime(2026, 11, 30, 9, 0))
    listing = _ok(client.get("/staff/evaluation/followups"), 200)
    assert "复核征地补偿测算依据" in listing.text and 'class="overdue"' in listing.text
    for task in db.session.scalars(select(FollowUp).where(FollowUp.matter_id == matter_id)):
        _ok(client.post(f"/staff/evaluation/followups/{task.id}/done",
                        data={"note": "已重新核算并书面答复信访人", "back": "list"}))
    assert db.session.get(Matter, matter_id).status == "closed"
    assert "没有督办中的事项" in client.get("/staff/evaluation/followups").text
    timeline = _ok(client.get(f"/staff/evaluation/matters/{matter_id}"), 200)
    for step in ("登记事项", "受理申请", "发布评价会公告", "开始投票", "结束投票",
                 "签发第三方评价意见书", "公布评价结果", "督办事项办结"):
        assert step in timeline.text, step


def test_whole_flow_paper_counts_and_the_satisfied_mark(app, client, auth, clock):
    matter_id, hearing_id, _ = _prepare_noticed_hearing(client, auth)
    clock.set(datetime(2026, 11, 23, 9, 35))
    members = [m.id for m in factories.queries.load_hearing(hearing_id).members]
    _ok(client.post(f"/staff/evaluation/hearings/{hearing_id}/attendance",
                    data={"present_ids": [str(m) for m in members[:8]]}))
    _ok(client.post(f"/staff/evaluation/hearings/{hearing_id}/polls", data={"mode": "paper"}))
    poll = db.session.scalar(select(Poll).where(Poll.hearing_id == hearing_id))
    counts = {"issued": "8", "returned": "8", "valid": "7", "invalid": "1", "manyi": "6",
              "bumanyi": "1"}
    _ok(client.post(f"/staff/evaluation/polls/{poll.id}/paper", data=counts))
    same_user = client.post(f"/staff/evaluation/polls/{poll.id}/confirm")
    assert same_user.status_code == 403 and "监票人" in same_user.text
    auth.logout()
    auth.login("evaluation", "pingjia-b")
    _ok(client.post(f"/staff/evaluation/polls/{poll.id}/confirm"))
    _ok(client.post(f"/staff/evaluation/polls/{poll.id}/close"))
    poll = db.session.get(Poll, poll.id)
    assert (poll.valid_count, poll.manyi_count, poll.result) == (7, 6, "satisfied")
    _letter_and_publish(client, hearing_id)

    matter = db.session.get(Matter, matter_id)
    assert matter.is_satisfied and matter.status == "satisfied"
    page = client.get(f"/staff/evaluation/matters/{matter_id}")
    assert "评价满意" in page.text
    listing = client.get("/staff/evaluation/", query_string={"q": "XF-2026-0088"})
    assert "评价满意 · 不再接访" in listing.text
    result = _ok(client.get(f"/evaluation/results/{hearing_id}"), 200)
    assert 'data-valid="7"' in result.text and "满意" in result.text

    # Reception now refuses a booking naming this matter (spaces and case do not matter).
    auth.logout()
    clock.set(datetime(2026, 11, 18, 10, 0))
    session = base.session()
    response = client.post(f"/reception/sessions/{session.id}",
                           data=base.booking_form(related_matter_no=" xf-2026-0088 "))
    assert response.status_code == 422, response.status_code  # the booking form again
    assert "第三方评价" in response.text and "诉讼" in response.text, response.text


@pytest.mark.parametrize("url", ["/staff/evaluation/", "/staff/evaluation/evaluators",
                                 "/staff/evaluation/followups", "/staff/evaluation/matters/new"])
def test_staff_pages_render_empty(client, auth, url):
    auth.login("evaluation")
    assert client.get(url).status_code == 200
