"""The reception rule numbers (an administrator changes them on the settings page)."""
from portal.settings import SettingSpec, register

GROUP = "领导接访预约"

OPEN_DAYS = register(SettingSpec("booking_open_days", 7, "提前开放预约天数", GROUP, 1, 60))
CUTOFF_TIME = register(SettingSpec(
    "booking_cutoff_time", "17:00", "截止时间（接访日前最后一个工作日的时刻，取消同此）", GROUP))
# After a long holiday the last working day before a session (the cut-off) comes long before
# the N days: the window then opens earlier, so it always spans this many working days.
MIN_WORKING_DAYS = register(SettingSpec(
    "booking_min_working_days", 3, "预约期至少包含的工作日数（含截止当日）", GROUP, 1, 10,
    hint="长假（如国庆、春节）后的场次，截止日远早于“提前开放预约天数”：此时提前开放，"
         "保证群众至少有这么多个工作日可以预约"))
MAX_PARTY = register(SettingSpec("booking_max_party", 5, "来访人数上限（含代表本人，最多 5 人）",
                                 GROUP, 1, 5))
NO_SHOW_LIMIT = register(SettingSpec("no_show_limit", 3, "爽约次数达到此数即暂停预约", GROUP, 1, 20))
NO_SHOW_WINDOW = register(SettingSpec("no_show_window_days", 90, "爽约统计期（天）", GROUP, 7, 730))
SUSPEND_DAYS = register(SettingSpec("no_show_suspend_days", 30, "暂停预约天数", GROUP, 1, 365))
