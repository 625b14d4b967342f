"""The evaluation's codes and their Chinese labels (statuses, results, categories ...), and the
two helpers the tables use to write check constraints and partial indexes from them.

Which status may follow which is not here: that is ``lifecycle``.
"""
from __future__ import annotations

from sqlalchemy import text

EVALUATOR_CATEGORIES = ("人大代表", "政协委员", "律师", "群众代表", "网友代表", "邻里", "同事", "其他")
LEVELS = {"county": "县评价小组", "township": "镇乡/部门评价小组"}
MATTER_STATUSES = {
    "registered": "待申请",
    "applied": "待审查",
    "refused": "不予受理",
    "accepted": "已受理",
    "scheduled": "已安排评价会",
    "noticed": "已公告",
    "voted": "已表决",
    "satisfied": "评价满意",
    "follow_up": "跟踪督办",
    "closed": "督办办结",
}
RESULTS = {"satisfied": "满意", "unsatisfied": "不满意"}
CHOICES = {"satisfied": "满意", "unsatisfied": "不满意", "abstain": "弃权"}
APPLICATION_STATUSES = {"pending": "待审查", "accepted": "已受理", "refused": "不予受理"}
# The four conditions of an application (DESIGN.md §2), in the order they are checked.
CONDITIONS = {
    "handled": "责任单位已调查核实并出具处理意见",
    "dissatisfied": "信访人对处理意见仍不满意",
    "applied": "责任单位已提出第三方评价申请",
    "confirmed": "评价办已审查确认",
}
HEARING_STATUSES = {"planned": "未公告", "noticed": "已公告", "published": "结果已公布",
                    "cancelled": "已取消"}
POLL_MODES = {"electronic": "电子投票", "paper": "纸质投票"}
POLL_STATUSES = {"open": "投票中", "closed": "已结束", "superseded": "已更正（作废）"}
PASS_RULES = {"half": "满意票超过出席人数的一半", "two_thirds": "满意票超过出席人数的三分之二"}
RECUSAL_SOURCES = {"party": "当事人申请", "office": "评价办决定", "self": "评价员自行回避"}
RECUSAL_DECISIONS = {"pending": "待决定", "granted": "准予回避", "refused": "不予回避"}
PARTIES = {"petitioner": "信访人", "unit": "责任单位"}
DELIVERY_METHODS = {"in_person": "当面送达", "mail": "邮寄送达", "electronic": "电子送达"}
FOLLOWUP_STATUSES = {"open": "督办中", "done": "已办结"}

USER_FK = "user_account.id"


def in_list(column: str, values) -> str:
    """SQL for a check constraint: ``column IN ('a', 'b')``."""
    return f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")"


def partial_where(sql: str) -> dict:
    """The same partial-index condition for SQLite and PostgreSQL."""
    return {"sqlite_where": text(sql), "postgresql_where": text(sql)}
