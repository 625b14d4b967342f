"""Evaluation's lifecycles, table by table: every transition of every lifecycle, from every
status, for every role (evaluation office, administrator, reception, panel member, nobody),
allowed or refused with the message staff have always seen; then every guard, refusing with
its message and HTTP status; then that the guards ask the database when a page passes nothing.

The expected tables are written out here, not read from the code: a transition added, removed
or moved must be a decision, made here too.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from portal import audit, calendar, settings
from portal.errors import DomainError
from portal.evaluation import hearings, lifecycle, paper, queries
from portal.evaluation.codes import CONDITIONS
from portal.evaluation.models import (
    Application,
    Evaluator,
    FollowUp,
    Hearing,
    Matter,
    OpinionLetter,
    PanelMember,
    Recusal,
)
from portal.evaluation.poll_records import PaperCount, Poll
from portal.extensions import db
from portal.lifecycle import REGISTRY
from tests.evaluation import factories

NOW = datetime(2026, 11, 18, 10, 0, tzinfo=calendar.TZ)
TODAY = NOW.date()
VALUES = {key: spec.default for key, spec in settings.REGISTRY.items()}

# name -> event -> (sources, target, audited)
TABLES = {
    "evaluation.matter": {
        "apply": ({"registered", "refused"}, "applied", False),
        "accept": ({"applied"}, "accepted", False),
        "refuse": ({"applied"}, "refused", False),
        "schedule": ({"accepted"}, "scheduled", False),
        "notice": ({"scheduled"}, "noticed", False),
        "unschedule": ({"scheduled", "noticed"}, "accepted", False),
        "vote": ({"noticed"}, "voted", False),
        "revote": ({"voted"}, "noticed", False),
        "satisfy": ({"voted"}, "satisfied", False),
        "follow_up": ({"voted"}, "follow_up", False),
        "add_task": ({"follow_up", "closed"}, "follow_up", False),
        "close": ({"follow_up"}, "closed", False),
    },
    "evaluation.application": {
        "condition": ({"pending"}, "pending", True),
        "accept": ({"pending"}, "accepted", True),
        "refuse": ({"pending"}, "refused", True),
    },
    "evaluation": {  # the hearing
        "hearing.update": ({"planned"}, "planned", True),
        "notice.publish": ({"planned"}, "noticed", True),
        "attendance": ({"noticed"}, "noticed", True),
        "open_poll": ({"noticed"}, "noticed", False),
        "result.publish": ({"noticed"}, "published", True),
        "hearing.cancel": ({"planned", "noticed"}, "cancelled", True),
    },
    "evaluation.poll": {
        "paper_enter": ({"open"}, "open", True),
        "paper_confirm": ({"open"}, "open", True),
        "close": ({"open"}, "closed", True),
        "supersede": ({"closed"}, "superseded", False),
    },
    "evaluation.followup": {
        "done": ({"open"}, "done", True),
    },
    "evaluation.recusal": {
        "grant": ({"pending"}, "granted", False),
        "refuse": ({"pending"}, "refused", False),
    },
}

# The audit actions the portal wrote before the lifecycles: an audited event keeps its name.
AUDIT_ACTIONS = {
    "evaluation.application.condition", "evaluation.application.accept",
    "evaluation.application.refuse", "evaluation.hearing.update", "evaluation.notice.publish",
    "evaluation.attendance", "evaluation.result.publish", "evaluation.hearing.cancel",
    "evaluation.poll.paper_enter", "evaluation.poll.paper_confirm", "evaluation.poll.close",
    "evaluation.followup.done",
}

# The refusal when the status is wrong: what the services have always said.
WRONG_STATUS = {
    ("evaluation.matter", "apply"): "该事项当前为“{status}”，不能再提出申请",
    ("evaluation.matter", "schedule"): "事项当前为“{status}”：受理后才能安排评价会",
    ("evaluation.matter", "add_task"): "只有评价结果为“不满意”的事项需要跟踪督办",
    ("evaluation.application", "condition"): "该申请已{status}，不能再修改条件",
    ("evaluation.application", "accept"): "该申请已{status}",
    ("evaluation.application", "refuse"): "该申请已{status}",
    ("evaluation", "hearing.update"): ("评价会公告已发布，不能再改时间地点；"
                                       "如需改期，请取消本次评价会后重新安排并重新公告"),
    ("evaluation", "notice.publish"): "评价会当前为“{status}”，不能发布公告",
    ("evaluation", "attendance"): "评价会当前为“{status}”，不能登记出席",
    ("evaluation", "open_poll"): "评价会当前为“{status}”，不能开始投票",
    ("evaluation", "hearing.cancel"): "评价会当前为“{status}”，不能取消",
    ("evaluation.poll", "paper_enter"): "投票已结束，计票结果不能再修改；如需更正，请说明理由另行更正",
    ("evaluation.poll", "paper_confirm"): "没有待确认的纸质计票结果",
    ("evaluation.poll", "close"): "投票已结束，结果不能修改；如需更正，请说明理由另行发起更正",
    ("evaluation.poll", "supersede"): "只能更正已结束的投票",
    ("evaluation.followup", "done"): "该督办事项已办结",
    ("evaluation.recusal", "grant"): "该回避申请已{status}",
    ("evaluation.recusal", "refuse"): "该回避申请已{status}",
}


def _wrong_status(name: str, event: str, status: str) -> str:
    lc = REGISTRY[name]
    if (name, event) == ("evaluation", "result.publish"):
        return "评价结果已公布" if status == "published" else "表决结束后才能制作第三方评价意见书"
    wording = WRONG_STATUS.get((name, event), "当前状态为“{status}”，不能" + lc[event].label)
    return wording.format(status=lc.label(status))


@dataclass
class Person:
    role: str
    id: int
    username: str = "someone"


USERS = {"evaluation": Person("evaluation", 1), "admin": Person("admin", 2),
         "reception": Person("reception", 3), "panel": Person("panel", 4), "anonymous": None}
ALLOWED = {"evaluation", "admin"}  # every transition is the evaluation office's (admin passes)


# --- records that pass every guard, built in memory (the page would pass what it has loaded) ----

def _panel(size: int = 5, present: bool | None = True) -> list[PanelMember]:
    return [PanelMember(id=i, is_chair=i == 1, present=present, evaluator=Evaluator(
        name=f"评价员{i}", active=True, user_id=100 + i)) for i in range(1, size + 1)]


def _hearing(status: str, **fields) -> Hearing:
    values = {"id": 1, "day": TODAY, "members": _panel(),
              "notice_published_at": NOW - timedelta(days=5), **fields}
    return Hearing(status=status, **values)


def _ready(name: str, event: str, status: str) -> tuple[object, dict]:
    """A record of ``name`` in ``status`` that passes the guards of ``event``, and the
    ``extra`` a page would pass with it."""
    if name == "evaluation.matter":
        return Matter(id=1, status=status), {"open_tasks": 0}
    if name == "evaluation.application":
        return Application(id=1, status=status), {"conditions": dict.fromkeys(CONDITIONS, True)}
    if name == "evaluation":
        day = TODAY + timedelta(days=5) if event == "notice.publish" else TODAY
        extra = {"values": VALUES, "poll": None}
        if event == "result.publish":
            extra = {"poll": Poll(status="closed"), "letter": OpinionLetter(issued_at=NOW)}
        return _hearing(status, day=day), extra
    if name == "evaluation.poll":
        mode = "paper" if event.startswith("paper") else "electronic"
        paper = PaperCount(entered_by_id=99) if event == "paper_confirm" else None
        return Poll(id=1, hearing_id=1, status=status, mode=mode), {
            "paper": paper, "hearing": _hearing("noticed"), "letter": None}
    if name == "evaluation.followup":
        return FollowUp(id=1, status=status), {}
    return Recusal(id=1, hearing_id=1, status=status), {
        "hearing": _hearing("planned"), "poll": None}


# --- the tables --------------------------------------------------------------------------------

def test_the_tables_are_these():
    names = {name for name in REGISTRY if name == "evaluation" or name.startswith("evaluation.")}
    assert names == set(TABLES)
    for name, table in TABLES.items():
        found = {t.event: (set(t.sources), t.target, t.audited)
                 for t in REGISTRY[name].transitions.values()}
        assert found == table, name
        for event, (_sources, _target, audited) in table.items():
            assert REGISTRY[name][event].roles == frozenset({"evaluation"})
            if audited:
                assert f"{name}.{event}" in AUDIT_ACTIONS, (name, event)


@pytest.mark.parametrize("name, event", [(n, e) for n, table in TABLES.items() for e in table])
def test_every_transition_from_every_status_for_every_role(name, event):
    lc = REGISTRY[name]
    sources, _target, _audited = TABLES[name][event]
    for status in lc.statuses:
        for role, user in USERS.items():
            record, extra = _ready(name, event, status)
            refusal = lc.refusal(record, event, user, NOW, **extra)
            where = (status, role)
            if status not in sources:
                assert refusal == _wrong_status(name, event, status), where
                expected_status = 409
            elif role in ALLOWED:
                assert refusal is None, (where, refusal)
                assert lc.can(record, event, user, NOW, **extra)
                lc.check(record, event, user, NOW, **extra)
                continue
            else:
                assert refusal == f"您的账号不能{lc[event].label}", where
                expected_status = 403
            assert not lc.can(record, event, user, NOW, **extra)
            with pytest.raises(DomainError) as refused:
                lc.check(record, event, user, NOW, **extra)
            assert refused.value.status == expected_status, where


def test_actions_for_lists_what_a_page_may_offer():
    staff = USERS["evaluation"]
    hearing = _hearing("planned", day=TODAY + timedelta(days=5))
    offered = lifecycle.HEARING.actions_for(hearing, staff, NOW, values=VALUES, poll=None)
    assert [t.event for t in offered] == ["hearing.update", "notice.publish", "hearing.cancel"]
    assert lifecycle.HEARING.actions_for(hearing, USERS["reception"], NOW, poll=None) == []
    noticed = _hearing("noticed")
    offered = lifecycle.HEARING.actions_for(noticed, staff, NOW, values=VALUES, poll=None)
    assert [t.event for t in offered] == ["attendance", "open_poll", "hearing.cancel"]


# --- the guards --------------------------------------------------------------------------------

def _clerk_entered(_record, extra):
    extra["paper"] = PaperCount(entered_by_id=USERS["evaluation"].id)


def _set(**fields):
    def change(record, _extra):
        for key, value in fields.items():
            setattr(record, key, value)
    return change


def _pass(**values):
    def change(_record, extra):
        extra.update(values)
    return change


def _members(**fields):
    def change(record, _extra):
        for member in record.members:
            for key, value in fields.items():
                setattr(member, key, value)
    return change


def _three_of_five_present(record, _extra):
    """Quorum: ceil(5 × 2/3) = 4 must be present."""
    for member in record.members[3:]:
        member.present = False


def _paper_entered_unconfirmed(record, extra):
    record.mode = "paper"
    extra["paper"] = PaperCount(entered_by_id=99)


GUARDS = [
    # (lifecycle, event, status, change, message, HTTP status)
    ("evaluation.matter", "close", "follow_up", _pass(open_tasks=1), "尚有督办事项未办结", 409),
    ("evaluation.application", "accept", "pending",
     _pass(conditions={"handled": True, "dissatisfied": False}),
     "以下受理条件尚未确认成立，不能受理：信访人对处理意见仍不满意；责任单位已提出第三方评价申请；"
     "评价办已审查确认", 422),
    ("evaluation", "notice.publish", "planned", _set(day=TODAY + timedelta(days=3)),
     "评价会公告须在评价会前至少 3 个整日发布（发布日与评价会日之间至少相隔 3 天）。评价会定于 "
     "2026年11月21日 星期六，最迟应于 2026年11月17日 星期二 发布。请改期后再公告。", 409),
    ("evaluation", "notice.publish", "planned", _set(members=_panel(4)),
     "请先组成评价小组：评价小组应为不少于 5 人的单数，现为 4 人", 409),
    ("evaluation", "notice.publish", "planned", _members(is_chair=False),
     "请先组成评价小组：评价小组须确定一名主持人", 409),
    ("evaluation", "attendance", "noticed", _set(day=TODAY + timedelta(days=1)),
     "只能在评价会当天（2026年11月19日 星期四）登记出席", 409),
    ("evaluation", "attendance", "noticed", _pass(poll=Poll(status="open")),
     "投票已开始，出席情况不能再修改", 409),
    ("evaluation", "open_poll", "noticed", _set(day=TODAY - timedelta(days=1)),
     "只能在评价会当天（2026年11月17日 星期二）开始投票", 409),
    ("evaluation", "open_poll", "noticed", _set(notice_published_at=NOW - timedelta(days=3)),
     "评价会公告未在评价会前 3 个整日公开，不能开始投票", 409),
    ("evaluation", "open_poll", "noticed", _pass(poll=Poll(status="closed")),
     "本次评价会已有进行中或已结束的投票", 409),
    ("evaluation", "open_poll", "noticed", _set(members=_panel(6)),
     "评价小组应为不少于 5 人的单数，现为 6 人", 409),
    ("evaluation", "open_poll", "noticed", _members(present=None),
     "请先登记评价小组成员的出席情况", 409),
    ("evaluation", "open_poll", "noticed", _three_of_five_present,
     "出席 3 人，不足法定人数 4 人（评价小组 5 人的 2/3），不能开始投票", 409),
    ("evaluation", "result.publish", "noticed", _pass(poll=None),
     "表决结束后才能制作第三方评价意见书", 409),
    ("evaluation", "result.publish", "noticed", _pass(poll=Poll(status="open")),
     "表决结束后才能制作第三方评价意见书", 409),
    ("evaluation", "result.publish", "noticed", _pass(letter=OpinionLetter()),
     "请先签发第三方评价意见书", 409),
    ("evaluation", "result.publish", "noticed", _pass(letter=None),
     "请先签发第三方评价意见书", 409),
    ("evaluation", "hearing.cancel", "noticed", _pass(poll=Poll(status="open")),
     "已开始投票的评价会不能取消", 409),
    ("evaluation.poll", "paper_enter", "open", _set(mode="electronic"),
     "本次为电子投票，票数由系统统计", 409),
    ("evaluation.poll", "paper_enter", "open", _pass(paper=PaperCount(confirmed_by_id=7)),
     "计票结果已经确认，不能再修改", 409),
    ("evaluation.poll", "paper_confirm", "open", _set(mode="electronic"),
     "没有待确认的纸质计票结果", 409),
    ("evaluation.poll", "paper_confirm", "open", _pass(paper=None), "计票人尚未录入票数", 409),
    ("evaluation.poll", "paper_confirm", "open",
     _pass(paper=PaperCount(entered_by_id=99, confirmed_by_id=7)), "计票结果已经确认", 409),
    ("evaluation.poll", "paper_confirm", "open", _clerk_entered,
     "计票人不能确认自己录入的票数：请由另一名工作人员（监票人）用本人账号登录确认", 403),
    ("evaluation.poll", "close", "open", _set(mode="paper"),
     "纸质计票结果尚未经第二名工作人员（监票人）确认，不能结束投票", 409),
    ("evaluation.poll", "close", "open", _paper_entered_unconfirmed,
     "纸质计票结果尚未经第二名工作人员（监票人）确认，不能结束投票", 409),
    ("evaluation.poll", "supersede", "closed",
     _pass(hearing=_hearing("published", result_published_at=NOW)),
     "评价结果已公布，不能更正表决", 409),
    ("evaluation.poll", "supersede", "closed", _pass(letter=OpinionLetter(issued_at=NOW)),
     "第三方评价意见书已签发，不能更正表决", 409),
    ("evaluation.recusal", "grant", "pending", _pass(poll=Poll(status="open")),
     "投票已开始，评价小组不能再调整", 409),
    ("evaluation.recusal", "refuse", "pending", _pass(hearing=_hearing("published")),
     "评价会当前为“结果已公布”，不能调整评价小组", 409),
]
@pytest.mark.parametrize("name, event, status, change, message, http", GUARDS,
                         ids=[f"{g[0]}-{g[1]}-{i}" for i, g in enumerate(GUARDS)])
def test_each_guard_refuses_with_its_message_and_status(name, event, status, change, message,
                                                        http):
    lc = REGISTRY[name]
    record, extra = _ready(name, event, status)
    assert lc.refusal(record, event, USERS["evaluation"], NOW, **extra) is None
    change(record, extra)
    assert lc.refusal(record, event, USERS["evaluation"], NOW, **extra) == message
    with pytest.raises(DomainError) as refused:
        lc.check(record, event, USERS["evaluation"], NOW, **extra)
    assert (refused.value.message, refused.value.status) == (message, http)


# --- with nothing passed in, the guards ask the database (as ``fire`` does) ----------------------

def test_guards_read_the_database_when_nothing_is_passed(clock):
    staff = factories.staff()
    hearing, _pool = factories.noticed_hearing()
    matter = db.session.get(Matter, hearing.matter_id)
    factories.at_hearing(clock, hearing)
    assert lifecycle.HEARING.refusal(hearing, "hearing.cancel", staff, factories.now()) is None
    assert "请先登记" in lifecycle.HEARING.refusal(hearing, "open_poll", staff, factories.now())
    factories.present(hearing)
    poll = factories.open_poll(hearing)
    assert lifecycle.HEARING.refusal(hearing, "hearing.cancel", staff,
                                     factories.now()) == "已开始投票的评价会不能取消"
    assert lifecycle.POLL.refusal(poll, "close", staff, factories.now()) is None
    assert lifecycle.MATTER.refusal(matter, "vote", staff, factories.now()) is None
    application = db.session.scalar(select(Application).where(
        Application.matter_id == matter.id))
    assert lifecycle.APPLICATION.refusal(application, "accept", staff,
                                         factories.now()) == "该申请已已受理"


def test_fire_moves_the_record_and_emits_the_audit_action_of_before(clock):
    hearing = factories.hearing()
    staff = factories.staff()
    lifecycle.HEARING.fire(hearing, "hearing.cancel", staff, factories.now(), reason="改期")
    matter = db.session.get(Matter, hearing.matter_id)
    lifecycle.MATTER.fire(matter, "unschedule", staff, factories.now())
    db.session.commit()
    assert (hearing.status, matter.status) == ("cancelled", "accepted")
    entries = db.session.scalars(select(audit.AuditEntry).where(
        audit.AuditEntry.object_id == str(hearing.id),
        audit.AuditEntry.object_type == "eval_hearing")).all()
    assert [e.action for e in entries] == ["evaluation.hearing.create",
                                           "evaluation.hearing.cancel"]
    assert entries[-1].detail_dict == {"reason": "改期"}
    # The matter's move follows from the hearing's act: no entry of its own.
    assert not db.session.scalars(select(audit.AuditEntry).where(
        audit.AuditEntry.action.like("evaluation.matter.unschedule"))).all()
    with pytest.raises(DomainError) as refused:
        lifecycle.HEARING.fire(hearing, "hearing.cancel", USERS["reception"], factories.now())
    assert refused.value.status == 409  # the status is checked first
    db.session.rollback()


# --- the pages offer what the tables allow (templates ask, never compare) ------------------------

def _offers(client, url: str, actions: dict[str, str]) -> dict[str, bool]:
    page = client.get(url).text
    return {name: f'action="{target}"' in page or f'href="{target}"' in page
            for name, target in actions.items()}


def test_the_hearing_page_offers_what_the_tables_allow(client, auth, clock):
    auth.login("evaluation", "pingjia-a")
    bare = factories.hearing(matter_obj=factories.accepted_matter(number="XF-2026-0777"))
    url = f"/staff/evaluation/hearings/{bare.id}"
    actions = {name: f"{url}/{name}" for name in ("edit", "notice", "cancel", "panel",
                                                   "attendance", "polls")}
    # Planned, no panel yet: it may be edited, formed, cancelled — not published.
    assert _offers(client, url, actions) == {"edit": True, "notice": False, "cancel": True,
                                              "panel": True, "attendance": False,
                                              "polls": False}
    hearing, _pool = factories.paneled_hearing()
    url = f"/staff/evaluation/hearings/{hearing.id}"
    actions = {name: f"{url}/{name}" for name in actions}
    assert _offers(client, url, actions)["notice"] is True
    hearings.publish_notice(queries.load_hearing(hearing.id), factories.staff(), factories.now())
    db.session.commit()
    assert _offers(client, url, actions) == {"edit": False, "notice": False, "cancel": True,
                                              "panel": True, "attendance": False,
                                              "polls": False}
    factories.at_hearing(clock, hearing)
    assert _offers(client, url, actions) == {"edit": False, "notice": False, "cancel": True,
                                              "panel": True, "attendance": True, "polls": True}
    factories.present(hearing)
    poll = factories.open_poll(hearing, mode="paper")
    polls = {name: f"/staff/evaluation/polls/{poll.id}/{name}"
             for name in ("paper", "confirm", "close", "correct")}
    assert _offers(client, url, actions | polls) == {
        "edit": False, "notice": False, "cancel": False, "panel": False, "attendance": False,
        "polls": False, "paper": True, "confirm": False, "close": False, "correct": False}
    paper.enter_paper_counts(poll, paper.PaperCounts(9, 9, 9, 0, 6, 3, 0), factories.staff(),
                             factories.now())
    db.session.commit()
    assert _offers(client, url, polls) == {"paper": True, "confirm": True, "close": False,
                                           "correct": False}
    paper.confirm_paper_counts(poll, factories.staff("pingjia-b"), factories.now())
    db.session.commit()
    assert _offers(client, url, polls) == {"paper": False, "confirm": False, "close": True,
                                           "correct": False}
    assert client.post(f"/staff/evaluation/polls/{poll.id}/close").status_code == 303
    assert _offers(client, url, polls) == {"paper": False, "confirm": False, "close": False,
                                           "correct": True}


def test_the_matter_page_offers_what_the_tables_allow(client, auth):
    auth.login("evaluation", "pingjia-a")
    matter = factories.matter()
    url = f"/staff/evaluation/matters/{matter.id}"
    actions = {"apply": f"{url}/applications", "edit": f"{url}/edit",
               "schedule": f"{url}/hearings/new"}
    assert _offers(client, url, actions) == {"apply": True, "edit": True, "schedule": False}
    accepted = factories.accepted_matter(number="XF-2026-0888")
    url = f"/staff/evaluation/matters/{accepted.id}"
    actions = {name: target.replace(str(matter.id), str(accepted.id), 1)
               for name, target in actions.items()}
    assert _offers(client, url, actions) == {"apply": False, "edit": True, "schedule": True}
    # A reception login asks the same tables and is offered nothing (nor may it see the page).
    auth.logout()
    auth.login("reception", "jiedai-x")
    assert client.get(url).status_code == 403
