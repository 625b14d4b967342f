"""Hand-over numbers (an administrator changes them on the settings page). The defaults are
信访工作条例's: a matter is handled within 60 days, extendable once by up to 30."""
from portal.settings import SettingSpec, register

GROUP = "交办督办"

HANDOVER_DAYS = register(SettingSpec(
    "handover_days", 60, "交办办理期限（天，自交办之日起）", GROUP, 1, 180))
EXTENSION_MAX_DAYS = register(SettingSpec(
    "handover_extension_max_days", 30, "延期最多天数（只能延期一次）", GROUP, 1, 90))
DUE_SOON_DAYS = register(SettingSpec(
    "handover_due_soon_days", 7, "临期提醒（到期前天数）", GROUP, 1, 30))
