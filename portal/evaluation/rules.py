"""The evaluation rule numbers (an administrator changes them on the settings page)."""
from portal.settings import SettingSpec, register

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
