"""The reception rule numbers (an administrator changes them on the settings page)."""
from portal.settings import SettingSpec, cross_check, register

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
# 候补: a full session's waiting list (reception.waitlist).
WAITLIST_HOLD = register(SettingSpec(
    "waitlist_hold_hours", 2, "候补名额保留时间（小时）", GROUP, 1, 72,
    hint="有名额释放时为第一位候补群众保留的时间，不超过预约截止时间；逾期未确认的转给下一位"))
WAITLIST_MAX = register(SettingSpec(
    "waitlist_max", 20, "每场候补人数上限（0 为不设候补）", GROUP, 0, 200))


@cross_check
def _coherent_window(values: dict) -> dict[str, str]:
    """The window must be able to hold a booking: a 00:00 cut-off closes before the cut-off
    day begins (with 1 day and 1 working day no session could ever be booked), and more
    working days than the days booking opens ahead would make that number meaningless."""
    errors = {}
    if values[CUTOFF_TIME.key] == "00:00":
        errors[CUTOFF_TIME.key] = ("截止时间不能为 00:00：那是截止日零点，截止日当天已不能预约"
                                   "（提前 1 天、至少 1 个工作日时任何场次都无法预约）")
    open_days, working_days = values[OPEN_DAYS.key], values[MIN_WORKING_DAYS.key]
    if working_days > open_days:
        errors[MIN_WORKING_DAYS.key] = (
            f"不能大于“提前开放预约天数”（{open_days}）：否则每个场次都提前 {working_days} 个工作日"
            "开放，“提前开放预约天数”不再起作用；此项只用于长假后的场次")
    return errors
