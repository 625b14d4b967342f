"""Evaluation's lifecycles: which status of a matter, an application, a hearing, a poll, a
follow-up task or a recusal request may follow which, for whom and when — the one table of
those rules (mechanism: ``portal.lifecycle``).

``<LIFECYCLE>.fire`` and ``.new`` are the only code that sets a status. Templates ask
``can('evaluation', h, 'notice.publish')`` / ``can('evaluation.poll', p, 'close')``.

Event names are ``<lifecycle>.<event>`` and equal the audit actions of before: the hearing's
lifecycle is named ``evaluation`` (the hearing is the evaluation's central record), so its
events read ``evaluation.notice.publish``, ``evaluation.attendance``,
``evaluation.hearing.cancel``, ``evaluation.result.publish``. Not audited: a matter's moves,
which follow from an act on another record whose own entry records them; a recusal's decision
and a poll's supersession, whose entries (``evaluation.recusal.*``, ``evaluation.poll.correct``)
name the hearing or the new poll, as they always did; ``open_poll``, which changes no status
(the service checks it, creates the poll and emits ``evaluation.poll.open``). A vote is no
transition at all: it changes no status and leaves no event (see ``voting``).

A guard's refusal answers 409 unless it says otherwise (``Refusal(message, http_status)``).
"""
from __future__ import annotations

from portal.evaluation.codes import (
    APPLICATION_STATUSES,
    FOLLOWUP_STATUSES,
    HEARING_STATUSES,
    MATTER_STATUSES,
    POLL_STATUSES,
    RECUSAL_DECISIONS,
)
from portal.evaluation.guards import (
    attendance_taken,
    conditions_hold,
    counted_on_paper,
    counts_entered,
    counts_unconfirmed,
    letter_issued,
    letter_unissued,
    no_poll,
    no_task_open,
    notice_not_late,
    notice_was_in_time,
    on_hearing_day,
    panel_formed,
    panel_still_open,
    panel_valid,
    paper_confirmed,
    poll_counted,
    quorum_present,
    result_unpublished,
    second_user,
)
from portal.lifecycle import Lifecycle, Transition

STAFF = frozenset({"evaluation"})  # administrators pass every staff check too


# --- the tables ----------------------------------------------------------------------------------

def _t(event, sources, target, label, guards=(), audited=True, roles=STAFF) -> Transition:
    return Transition(event, frozenset(sources), target, label, frozenset(roles), tuple(guards),
                      audited)


def _result_refusal(hearing) -> str:
    return "评价结果已公布" if hearing.status == "published" else "表决结束后才能制作第三方评价意见书"


# A matter moves with its application, hearing, poll and follow-up: never on its own.
MATTER = Lifecycle(
    "evaluation.matter", MATTER_STATUSES,
    [
        _t("apply", {"registered", "refused"}, "applied", "提出评价申请", audited=False),
        _t("accept", {"applied"}, "accepted", "受理", audited=False),
        _t("refuse", {"applied"}, "refused", "不予受理", audited=False),
        _t("schedule", {"accepted"}, "scheduled", "安排评价会", audited=False),
        _t("notice", {"scheduled"}, "noticed", "公告评价会", audited=False),
        _t("unschedule", {"scheduled", "noticed"}, "accepted", "取消评价会", audited=False),
        _t("vote", {"noticed"}, "voted", "表决", audited=False),
        _t("revote", {"voted"}, "noticed", "更正表决", audited=False),
        _t("satisfy", {"voted"}, "satisfied", "公布满意结果", audited=False),
        _t("follow_up", {"voted"}, "follow_up", "转入跟踪督办", audited=False),
        _t("add_task", {"follow_up", "closed"}, "follow_up", "布置督办事项", audited=False),
        _t("close", {"follow_up"}, "closed", "督办办结", guards=[no_task_open], audited=False),
    ],
    initial="registered", object_type="eval_matter",
    wrong_status={"apply": "该事项当前为“{status}”，不能再提出申请",
                  "schedule": "事项当前为“{status}”：受理后才能安排评价会",
                  "add_task": "只有评价结果为“不满意”的事项需要跟踪督办"},
)

APPLICATION = Lifecycle(
    "evaluation.application", APPLICATION_STATUSES,
    [
        _t("condition", {"pending"}, "pending", "确认受理条件"),
        _t("accept", {"pending"}, "accepted", "受理", guards=[conditions_hold]),
        _t("refuse", {"pending"}, "refused", "不予受理"),
    ],
    initial="pending", object_type="eval_application",
    wrong_status={"condition": "该申请已{status}，不能再修改条件", "accept": "该申请已{status}",
                  "refuse": "该申请已{status}"},
)

HEARING = Lifecycle(
    "evaluation", HEARING_STATUSES,
    [
        _t("hearing.update", {"planned"}, "planned", "修改时间地点"),
        _t("notice.publish", {"planned"}, "noticed", "发布公告",
           guards=[notice_not_late, panel_formed]),
        _t("attendance", {"noticed"}, "noticed", "登记出席",
           guards=[on_hearing_day("登记出席"), no_poll("投票已开始，出席情况不能再修改")]),
        _t("open_poll", {"noticed"}, "noticed", "开始投票", audited=False,
           guards=[on_hearing_day("开始投票"), notice_was_in_time,
                   no_poll("本次评价会已有进行中或已结束的投票"), panel_valid,
                   attendance_taken, quorum_present]),
        _t("result.publish", {"noticed"}, "published", "公布评价结果",
           guards=[poll_counted, letter_issued]),
        _t("hearing.cancel", {"planned", "noticed"}, "cancelled", "取消",
           guards=[no_poll("已开始投票的评价会不能取消")]),
    ],
    initial="planned", object_type="eval_hearing",
    wrong_status={
        "hearing.update": ("评价会公告已发布，不能再改时间地点；"
                           "如需改期，请取消本次评价会后重新安排并重新公告"),
        "notice.publish": "评价会当前为“{status}”，不能发布公告",
        "attendance": "评价会当前为“{status}”，不能登记出席",
        "open_poll": "评价会当前为“{status}”，不能开始投票",
        "result.publish": _result_refusal,
        "hearing.cancel": "评价会当前为“{status}”，不能取消",
    },
)

POLL = Lifecycle(
    "evaluation.poll", POLL_STATUSES,
    [
        _t("paper_enter", {"open"}, "open", "录入票数",
           guards=[counted_on_paper("本次为电子投票，票数由系统统计"),
                   counts_unconfirmed("计票结果已经确认，不能再修改")]),
        _t("paper_confirm", {"open"}, "open", "确认票数",
           guards=[counted_on_paper("没有待确认的纸质计票结果"), counts_entered,
                   counts_unconfirmed("计票结果已经确认"), second_user]),
        _t("close", {"open"}, "closed", "结束投票", guards=[paper_confirmed]),
        _t("supersede", {"closed"}, "superseded", "更正表决", audited=False,
           guards=[result_unpublished, letter_unissued]),
    ],
    initial="open", object_type="eval_poll",
    wrong_status={
        "paper_enter": "投票已结束，计票结果不能再修改；如需更正，请说明理由另行更正",
        "paper_confirm": "没有待确认的纸质计票结果",
        "close": "投票已结束，结果不能修改；如需更正，请说明理由另行发起更正",
        "supersede": "只能更正已结束的投票",
    },
)

FOLLOWUP = Lifecycle(
    "evaluation.followup", FOLLOWUP_STATUSES,
    [_t("done", {"open"}, "done", "办结")],
    initial="open", object_type="eval_followup",
    wrong_status={"done": "该督办事项已办结"},
)

# A party's request waits for a decision; the office's and a member's own recusal (and a
# member from the responsible unit) are granted as they are recorded.
RECUSAL = Lifecycle(
    "evaluation.recusal", RECUSAL_DECISIONS,
    [
        _t("grant", {"pending"}, "granted", "准予回避", guards=[panel_still_open],
           audited=False),
        _t("refuse", {"pending"}, "refused", "不予回避", guards=[panel_still_open],
           audited=False),
    ],
    initial="pending", object_type="eval_recusal",
    wrong_status={"grant": "该回避申请已{status}", "refuse": "该回避申请已{status}"},
)
