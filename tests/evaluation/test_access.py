"""Who may see what, and bad input never gives a 500."""
from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select

from portal import audit
from portal.evaluation import queries, voting
from portal.extensions import db
from tests.conftest import AuthActions
from tests.evaluation import factories

STAFF_PAGES = ["/staff/evaluation/", "/staff/evaluation/evaluators", "/staff/evaluation/followups",
               "/staff/evaluation/matters/new"]


def test_panel_members_get_403_on_staff_pages(client, auth):
    matter = factories.matter()
    auth.login("panel", "member1")
    for url in STAFF_PAGES + [f"/staff/evaluation/matters/{matter.id}", "/staff/reception/",
                              "/staff/users"]:
        assert client.get(url).status_code == 403, url
    assert client.post(f"/staff/evaluation/matters/{matter.id}/reveal").status_code == 403
    home = client.get("/staff/")
    assert home.status_code == 200 and "我的评价会" in home.text and "评价事项" not in home.text


def test_other_roles_cannot_use_panel_pages(client, auth):
    for role in ("evaluation", "reception", "admin"):
        auth.login(role, f"{role}-x")
        assert client.get("/staff/panel/").status_code == 403, role
        auth.logout()
    auth.login("reception", "reception-x")
    assert client.get("/staff/evaluation/").status_code == 403
    auth.logout()
    auth.login("admin", "admin-x")
    assert client.get("/staff/evaluation/").status_code == 200
    home = client.get("/staff/").text
    assert "评价员库" in home and "跟进督办" in home


def test_anonymous_visitors_are_sent_to_login(client):
    for url in STAFF_PAGES + ["/staff/panel/"]:
        response = client.get(url)
        assert response.status_code == 303 and "/staff/login" in response.headers["Location"]


def test_panel_members_see_only_their_own_hearings(app, client, clock):
    mine, _ = factories.noticed_hearing()
    theirs, _ = factories.noticed_hearing(
        prefix="other", matter_obj=factories.accepted_matter(number="XF-2026-0200",
                                                             title="东门社区物业收费调整"))
    AuthActions(client).login("panel", "member1")
    listing = client.get("/staff/panel/").text
    assert "白果村土地征收补偿争议" in listing and "东门社区物业收费调整" not in listing
    assert client.get(f"/staff/panel/hearings/{mine.id}").status_code == 200
    assert client.get(f"/staff/panel/hearings/{theirs.id}").status_code == 404
    page = client.get(f"/staff/panel/hearings/{mine.id}").text
    # No personal data of the matter: masked name, no ID, phone, address or handling opinion.
    assert "吴某某" in page and "秋菊" not in page
    for secret in (factories.PETITIONER["id_number"], factories.PETITIONER["phone"],
                   factories.PETITIONER["address"], "补偿标准符合"):
        assert secret not in page
    factories.at_hearing(clock, theirs)
    factories.present(theirs)
    poll = factories.open_poll(theirs)
    response = client.post(f"/staff/panel/polls/{poll.id}/vote", data={"choice": "satisfied"})
    assert response.status_code == 403


def test_the_vote_page_waits_then_votes_once(app, client, clock):
    hearing, _ = factories.noticed_hearing()
    AuthActions(client).login("panel", "member2")
    url = f"/staff/panel/hearings/{hearing.id}"
    waiting = client.get(url).text
    assert "投票尚未开始" in waiting and 'hx-trigger="every 5s"' in waiting
    fragment = client.get(url, headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and "<html" not in fragment.text
    assert 'id="vote"' in fragment.text
    factories.at_hearing(clock, hearing)
    factories.present(hearing)
    poll = factories.open_poll(hearing)
    page = client.get(url).text
    assert "满意" in page and 'value="unsatisfied"' in page
    assert client.post(f"/staff/panel/polls/{poll.id}/vote",
                       data={"choice": "maybe"}).status_code == 422
    assert client.post(f"/staff/panel/polls/{poll.id}/vote", data={}).status_code == 422
    asked = client.post(f"/staff/panel/polls/{poll.id}/vote", data={"choice": "unsatisfied"})
    assert asked.status_code == 200 and "提交后不能更改" in asked.text  # asks once (issue 15)
    response = client.post(f"/staff/panel/polls/{poll.id}/vote",
                           data={"choice": "unsatisfied", "confirm": "1"})
    assert response.status_code == 303
    done = client.get(url).text
    assert "您已投票" in done and 'value="unsatisfied"' not in done
    assert client.post(f"/staff/panel/polls/{poll.id}/vote",
                       data={"choice": "satisfied"}).status_code == 409
    assert client.post("/staff/panel/polls/9999/vote",
                       data={"choice": "satisfied"}).status_code == 404


def test_the_chair_types_the_reasons(app, client, clock):
    # A hearing whose poll is closed but whose letter is not issued yet.
    clock.set(datetime(2026, 11, 18, 10, 0))
    second, _ = factories.noticed_hearing(matter_obj=factories.accepted_matter(number="XF-2026-0300"))
    factories.at_hearing(clock, second)
    factories.present(second)
    poll = factories.open_poll(second)
    factories.vote_all(poll, ["satisfied"] * 9)
    voting.close_poll(poll.id, factories.staff(), factories.now())
    db.session.commit()
    AuthActions(client).login("panel", "member2")  # not the chair
    assert client.post(f"/staff/panel/hearings/{second.id}/reasons",
                       data={"reasons": "评价小组一致认为处理得当，程序合法。"}).status_code == 403
    client.post("/staff/logout")
    AuthActions(client).login("panel", "member1")  # the chair
    assert "评价意见和理由（主持人填写）" in client.get(f"/staff/panel/hearings/{second.id}").text
    response = client.post(f"/staff/panel/hearings/{second.id}/reasons",
                           data={"reasons": "评价小组一致认为处理得当，程序合法。"})
    assert response.status_code == 303
    letter = queries.letter_for(second.id)
    assert letter.reasons.startswith("评价小组一致认为")
    assert letter.reasons_by_id == factories.user("panel", "member1").id


@pytest.mark.parametrize("url", [
    "/staff/evaluation/matters/9999", "/staff/evaluation/matters/9999/edit",
    "/staff/evaluation/hearings/9999", "/staff/evaluation/hearings/9999/letter",
    "/staff/evaluation/evaluators/9999", "/staff/evaluation/matters/9999/hearings/new",
    "/staff/evaluation/polls/9999/progress", "/staff/evaluation/matters/99999999999999999999",
])
def test_missing_objects_are_404(client, auth, url):
    auth.login("evaluation", "pingjia-a")
    assert client.get(url).status_code == 404


def test_ids_too_large_for_the_database_are_404_not_500(client):
    for url in ("/evaluation/notices/99999999999999999999",
                "/evaluation/results/9223372036854775808"):
        assert client.get(url).status_code == 404


@pytest.mark.parametrize("url", [
    "/staff/evaluation/hearings/9999/notice", "/staff/evaluation/polls/9999/close",
    "/staff/evaluation/recusals/9999/decide", "/staff/evaluation/followups/9999/done",
    "/staff/evaluation/applications/9999/accept", "/staff/evaluation/matters/9999/reveal",
    "/staff/evaluation/evaluators/9999/deactivate",
])
def test_missing_objects_are_404_on_post(client, auth, url):
    auth.login("evaluation", "pingjia-a")
    assert client.post(url).status_code == 404


def test_over_long_and_malformed_input_is_a_form_error(client, auth):
    auth.login("evaluation", "pingjia-a")
    bad = {"number": "X" * 41, "title": "题" * 101, "category": "不存在", "unit": "单" * 61,
           "level": "galaxy", "summary": "短", "petitioner_name": "名" * 31,
           "petitioner_id": "123", "phone": "12345", "address": "址" * 101,
           "handling_opinion": "意" * 3001, "opinion_date": "2026-13-45"}
    response = client.post("/staff/evaluation/matters/new", data=bad)
    assert response.status_code == 422
    for message in ("事项编号最多 40 个字", "事项名称最多 100 个字", "处理意见最多 3000 个字"):
        assert message in response.text
    from tests.evaluation.test_flow import MATTER_FORM

    response = client.post("/staff/evaluation/matters/new", data={
        **MATTER_FORM, "summary": "信访人手机 13912345678，身份证已核对。", "category": "不存在"})
    assert response.status_code == 422
    assert "不能包含身份证号或手机号码" in response.text and "请选择反映事项类别" in response.text
    assert client.post("/staff/evaluation/evaluators/new", data={
        "name": "某" * 21, "category": "外星人", "organisation": "", "user_id": "abc"}
    ).status_code == 422


def test_double_submits_are_409(client, auth, clock):
    hearing, _ = factories.paneled_hearing()
    auth.login("evaluation", "pingjia-a")
    assert client.post(f"/staff/evaluation/hearings/{hearing.id}/notice").status_code == 303
    again = client.post(f"/staff/evaluation/hearings/{hearing.id}/notice")
    assert again.status_code == 409 and "不能发布公告" in again.text
    matter = factories.matter(number="XF-2026-0400")
    data = {"unit": matter.unit, "applied_on": "2026-11-10", "reason": "申请第三方评价。"}
    assert client.post(f"/staff/evaluation/matters/{matter.id}/applications",
                       data=data).status_code == 303
    assert client.post(f"/staff/evaluation/matters/{matter.id}/applications",
                       data=data).status_code == 409
    from tests.evaluation.test_flow import MATTER_FORM

    assert client.post("/staff/evaluation/matters/new",
                       data={**MATTER_FORM, "number": " xf-2026-0400"}).status_code == 422


def test_revealing_an_id_number_is_an_audited_post(client, auth):
    matter = factories.matter()
    auth.login("evaluation", "pingjia-a")
    assert client.get(f"/staff/evaluation/matters/{matter.id}/reveal").status_code == 405
    page = client.post(f"/staff/evaluation/matters/{matter.id}/reveal")
    assert page.status_code == 200 and factories.PETITIONER["id_number"] in page.text
    entry = db.session.scalar(select(audit.AuditEntry).where(
        audit.AuditEntry.action == "evaluation.matter.reveal_id"))
    assert entry.object_id == str(matter.id) and entry.actor == "pingjia-a"
    assert factories.PETITIONER["id_number"] not in entry.detail


def test_the_audit_log_holds_every_step_but_no_personal_data(clock):
    factories.published_result(clock)
    entries = db.session.scalars(select(audit.AuditEntry)).all()
    actions = {e.action for e in entries}
    for action in ("evaluation.matter.create", "evaluation.application.accept",
                   "evaluation.panel.set", "evaluation.notice.publish", "evaluation.attendance",
                   "evaluation.poll.open", "evaluation.poll.close", "evaluation.letter.issue",
                   "evaluation.result.publish", "evaluation.letter.reasons"):
        assert action in actions, action
    everything = " ".join(e.detail for e in entries)
    for secret in (factories.PETITIONER["name"], factories.PETITIONER["id_number"],
                   factories.PETITIONER["phone"], factories.PETITIONER["address"]):
        assert secret not in everything
    assert audit.verify_chain()[1] is None


def test_staff_see_the_panel_and_the_quorum(client, auth, clock):
    hearing, _ = factories.noticed_hearing()
    auth.login("evaluation", "pingjia-a")
    page = client.get(f"/staff/evaluation/hearings/{hearing.id}").text
    assert "法定人数 6 人" in page and "已于" in page
    loaded = queries.load_hearing(hearing.id)
    assert len(loaded.members) == 9


def test_staff_see_the_satisfied_mark_on_the_matter_and_its_petitioner(client, auth, clock):
    hearing, _ = factories.published_result(clock)
    clock.set(datetime(2026, 11, 25, 10, 0))
    other = factories.matter(number="XF-2026-0500", title="同一信访人的另一事项")
    auth.login("evaluation", "pingjia-a")
    listing = client.get("/staff/evaluation/").text
    assert "评价满意 · 不再接访" in listing and "另有评价满意事项：XF-2026-0031" in listing
    page = client.get(f"/staff/evaluation/matters/{other.id}").text
    assert "另有评价满意事项：XF-2026-0031" in page
    assert "评价满意" in client.get(f"/staff/evaluation/hearings/{hearing.id}").text
