"""The evaluation rule numbers (an administrator changes them on the settings page), and the
small rules computed from them: quorum, panel size, the notice period, the pass rule."""
from __future__ import annotations

import math
from datetime import date, datetime, timedelta

from portal import calendar
from portal.settings import SettingSpec, cross_check, register

GROUP = "第三方评价"

MIN_PANEL = register(SettingSpec("eval_min_panel", 5, "评价小组最少人数", GROUP, 3, 31))
ODD_PANEL = register(SettingSpec("eval_odd_panel", True, "评价小组人数须为单数", GROUP))
NOTICE_DAYS = register(SettingSpec(
    "eval_notice_days", 3, "评价会公告至少提前的整日数（公告日与评价会日之间）", GROUP, 0, 30))
QUORUM_NUMERATOR = register(SettingSpec(
    "eval_quorum_numerator", 2, "出席法定人数：评价小组人数的几分之几——分子", GROUP, 1, 10))
QUORUM_DENOMINATOR = register(SettingSpec(
    "eval_quorum_denominator", 3, "出席法定人数：评价小组人数的几分之几——分母", GROUP, 1, 10))
PASS_RULE = register(SettingSpec(
    "eval_pass_rule", "half", "评价结果为“满意”的条件", GROUP,
    choices=(("half", "满意票超过出席人数的一半"), ("two_thirds", "满意票超过出席人数的三分之二"))))
ALLOW_ABSTAIN = register(SettingSpec("eval_allow_abstain", False, "允许弃权", GROUP))
SECRET_BALLOT = register(SettingSpec("eval_secret_ballot", True, "无记名投票", GROUP))
FOLLOWUP_DAYS = register(SettingSpec(
    "eval_followup_days", 30, "不满意事项跟进任务的默认期限（天）", GROUP, 1, 365))


@cross_check
def _coherent(values: dict) -> dict[str, str]:
    """A quorum above the whole panel, or an even minimum for an odd-sized panel, would make
    every poll impossible or the minimum a lie."""
    errors = {}
    numerator, denominator = values[QUORUM_NUMERATOR.key], values[QUORUM_DENOMINATOR.key]
    if numerator > denominator:
        errors[QUORUM_NUMERATOR.key] = (
            f"分子（{numerator}）不能大于分母（{denominator}）：出席人数不可能超过评价小组人数，"
            "任何评价会都无法表决")
    minimum = values[MIN_PANEL.key]
    if values[ODD_PANEL.key] and minimum % 2 == 0:
        errors[MIN_PANEL.key] = (f"评价小组人数须为单数，最少人数也应为单数（如 {minimum - 1} 或 "
                                 f"{minimum + 1}），不能为 {minimum}")
    return errors


# --- the panel -----------------------------------------------------------------------------------

def quorum(panel_size: int, values: dict) -> int:
    """Members who must be present: ceil(size × numerator / denominator), at most the panel."""
    needed = math.ceil(panel_size * values[QUORUM_NUMERATOR.key]
                       / values[QUORUM_DENOMINATOR.key])
    return min(needed, panel_size)


def panel_size_error(size: int, values: dict) -> str | None:
    minimum = values[MIN_PANEL.key]
    odd = values[ODD_PANEL.key]
    if size < minimum or (odd and size % 2 == 0):
        wanted = f"不少于 {minimum} 人的单数" if odd else f"不少于 {minimum} 人"
        return f"评价小组应为{wanted}，现为 {size} 人"
    return None


def panel_error(hearing, values: dict) -> str | None:
    """Why the hearing's panel as it stands cannot vote, or None."""
    members = hearing.members
    if message := panel_size_error(len(members), values):
        return message
    if sum(1 for m in members if m.is_chair) != 1:
        return "评价小组须确定一名主持人"
    inactive = [m.evaluator.name for m in members if not m.evaluator.active]
    if inactive:
        return "以下评价员已停用，请调整评价小组：" + "、".join(inactive)
    return None


# --- the public notice ---------------------------------------------------------------------------

def notice_deadline(hearing_day: date, notice_days: int) -> date:
    """The last day a notice may be published for a hearing on ``hearing_day``."""
    return hearing_day - timedelta(days=notice_days + 1)


def notice_in_time(published_at: datetime | None, hearing_day: date, notice_days: int) -> bool:
    """At least ``notice_days`` full days lie strictly between publication and hearing.

    The publication day and the hearing day do not count: with 3 days, a notice published
    on 18 November allows a hearing on 22 November (19, 20, 21 in between), not on the 21st.
    """
    if published_at is None:
        return False
    published_on = published_at.astimezone(calendar.TZ).date()
    return (hearing_day - published_on).days - 1 >= notice_days


# --- the result ----------------------------------------------------------------------------------

def decide(manyi: int, present: int, pass_rule: str) -> str:
    """满意 when 满意 ballots exceed half (or two thirds) of the members present."""
    if pass_rule == "two_thirds":
        return "satisfied" if manyi * 3 > present * 2 else "unsatisfied"
    return "satisfied" if manyi * 2 > present else "unsatisfied"
