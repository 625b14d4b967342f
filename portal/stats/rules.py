"""Statistics numbers an administrator changes on the settings page."""
from portal.settings import SettingSpec, register

GROUP = "统计"

# 息诉息访: a petitioner who made no new booking and no new petition within this many days
# after the evaluation result was published.
SETTLED_WINDOW_DAYS = register(SettingSpec(
    "stats_settled_window_days", 90, "息诉息访观察期（天，自评价结果公布次日起）", GROUP, 7, 730))
