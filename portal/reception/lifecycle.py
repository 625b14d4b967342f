"""Reception's lifecycles: which status of a session or a booking may follow which, for whom and
when — the one table of those rules (mechanism: ``portal.lifecycle``).

``SESSION.fire`` / ``BOOKING.fire`` (one record), ``fire_where`` (a session's or a day's
bookings in one UPDATE) and ``BOOKING.new`` (a new booking) are the only code that sets a
status. Templates ask ``open_actions('booking', b)`` / ``can('session', s, 'publish')``.

Event names are ``<lifecycle>.<event>`` and equal the audit actions ("session.publish",
"booking.confirm"). Not audited: the citizen's own acts (booking, cancelling) — the audit log
is for staff acts — and the consequences of a staff act that are applied with it
("cancel_with_session", "miss", "expire", "publish_on_create", and 候补's "offer" and "lapse",
also applied by the job that lapses offers not confirmed in time): the act's own entry records
them (``bookings_cancelled``, ``no_show``/``expired`` counts, ``published``). Those
consequences are never offered on their own: their guard refuses, and only ``fire_where``
(which applies sources and target, not guards) performs them.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from portal import bureau, calendar
from portal.lifecycle import Context, Guard, Lifecycle, Transition
from portal.reception import queries
from portal.reception.models import BOOKING_STATUSES, PERSON_ACTIVE, PLACE_HOLDING, SESSION_STATUSES
from portal.reception.window import booking_window

STAFF = frozenset({"reception"})  # administrators pass every staff check too


@dataclass(frozen=True)
class StaffActor:
    """Someone acting with reception's powers without a login — the daily job, the command
    line, tests. The audit log shows ``username``."""

    username: str
    role: str = "reception"
    id: None = None


SYSTEM = StaffActor("系统")


# --- guards: why not now (Chinese), or None ------------------------------------------------------

def _today(context: Context) -> date:
    return (context.now or calendar.now()).date()


def _not_past(session, context: Context) -> str | None:
    return "已过期的场次不能发布" if session.day < _today(context) else None


def _day_reached(session, context: Context) -> str | None:
    return "接访日之后才能结束本场" if session.day > _today(context) else None


def _not_closed(session, _context: Context) -> str | None:
    return "本场已结束" if session.closed else None


def _day_open(booking, _context: Context) -> str | None:
    """A closed day is read-only: changing its record is a correction, with a reason."""
    if queries.session_by_id(booking.session_id).closed:
        return "本场已结束，记录不能再改；如确需更正，请使用“更正”并写明原因（留痕）"
    return None


def _day_closed(booking, _context: Context) -> str | None:
    if not queries.session_by_id(booking.session_id).closed:
        return "本场结束后才能更正；结束前请直接签到或记录爽约"
    return None


def _session_not_cancelled(booking, _context: Context) -> str | None:
    session = queries.session_by_id(booking.session_id)
    return "本场接访已取消" if session.status == "cancelled" else None


def _reception_day(booking, context: Context) -> str | None:
    if queries.session_by_id(booking.session_id).day > _today(context):
        return "接访当天才能签到或记录爽约"
    return None


def _booked_online(booking, _context: Context) -> str | None:
    """A walk-in was registered at the desk in person: there is no appointment to miss."""
    if queries.place_by_id(booking.place_id).walk_in:
        return "现场登记的来访人已在现场登记，不记爽约"
    return None


def _place_still_free(booking, context: Context) -> str | None:
    """Re-confirming a booking that let its place go (declined) needs the place to be free.
    A page listing a session's bookings passes ``held_places`` so no row asks the database."""
    if booking.status in PLACE_HOLDING:
        return None
    held = context.extra.get("held_places")
    taken = booking.place_id in held if held is not None else queries.place_held(booking.place_id)
    return "该号源已被他人预约，不能恢复" if taken else None


def _citizen_only(_booking, context: Context) -> str | None:
    """Staff never cancel one booking: they cancel the session, and call the visitors."""
    return "预约只能由来访人本人凭预约码和手机号码取消" if context.user is not None else None


def _before_cutoff(booking, context: Context) -> str | None:
    window = booking_window(queries.session_by_id(booking.session_id), calendar.WorkingCalendar())
    if (context.now or calendar.now()) < window.closes_at:
        return None
    return (f"已过取消截止时间（{calendar.format_datetime(window.closes_at)}）。"
            f"如不能按时到场，请{bureau.current().call()}说明。")


def _citizen_accepts(_booking, context: Context) -> str | None:
    if context.user is not None:
        return "候补名额只能由来访人本人凭预约码和手机号码确认"
    return None


def _offer_open(booking, context: Context) -> str | None:
    """An offered place is held until ``offer_expires_at``; after it the offer lapses."""
    if (context.now or calendar.now()) < booking.offer_expires_at:
        return None
    return (f"候补名额保留时间已过（保留至 {calendar.format_datetime(booking.offer_expires_at)}），"
            "不能再确认。如仍需反映问题，可以预约其他场次。")


def _part_of(act: str) -> Guard:
    def guard(_obj, _context: Context) -> str:
        return f"只能在{act}时一并处理"

    return guard


# --- the tables --------------------------------------------------------------------------------

def _t(event, sources, target, label, roles=STAFF, guards=(), audited=True) -> Transition:
    return Transition(event, frozenset(sources), target, label, frozenset(roles), tuple(guards),
                      audited)


SESSION = Lifecycle(
    "session", SESSION_STATUSES,
    [
        _t("publish", {"draft"}, "published", "发布", guards=[_not_past]),
        # Closing the day keeps the status; the day's bookings move (see ``miss``/``expire``).
        _t("close", {"published"}, "published", "结束本场", guards=[_day_reached, _not_closed]),
        _t("cancel", {"draft", "published"}, "cancelled", "取消", guards=[_not_closed]),
        _t("publish_on_create", {"draft"}, "published", "新建时发布",
           guards=[_part_of("新建场次")], audited=False),
    ],
    initial="draft",
    wrong_status={"publish": "只有未发布的场次可以发布（当前：{status}）", "cancel": "本场已取消"},
)

BOOKING = Lifecycle(
    "booking", BOOKING_STATUSES,
    [
        # Staff review and the reception day, in the order the buttons are shown.
        _t("confirm", {"pending", "declined"}, "confirmed", "确认",
           guards=[_session_not_cancelled, _day_open, _place_still_free]),
        _t("check_in", {"pending", "confirmed", "no_show"}, "checked_in", "签到",
           guards=[_session_not_cancelled, _day_open, _reception_day]),
        _t("no_show", {"confirmed", "checked_in"}, "no_show", "爽约",
           guards=[_session_not_cancelled, _day_open, _reception_day, _booked_online]),
        _t("decline", {"pending", "confirmed"}, "declined", "不通过",
           guards=[_session_not_cancelled, _day_open]),
        # After the day is closed: a reasoned, audited correction of the day's record (the
        # reason is required by the service and recorded in the event).
        _t("correct_attended", {"no_show"}, "checked_in", "更正为已签到", guards=[_day_closed]),
        _t("correct_absent", {"checked_in"}, "no_show", "更正为爽约",
           guards=[_day_closed, _booked_online]),
        # The citizen's own cancelling, with the code and phone number.
        _t("cancel", PERSON_ACTIVE, "cancelled", "取消", roles=(),
           guards=[_citizen_only, _before_cutoff], audited=False),
        # 候补: the citizen confirms the place offered to them, while it is held.
        _t("accept", {"offered"}, "pending", "确认候补名额", roles=(),
           guards=[_citizen_accepts, _offer_open], audited=False),
        # Consequences of a staff act on the session.
        _t("cancel_with_session", PERSON_ACTIVE, "cancelled", "随场次取消",
           guards=[_part_of("取消本场")], audited=False),
        _t("miss", {"confirmed"}, "no_show", "记为爽约", guards=[_part_of("结束本场")],
           audited=False),
        _t("expire", {"pending"}, "expired", "记为过期", guards=[_part_of("结束本场")],
           audited=False),
        # 候补: a freed place offered to the first waiting; an offer not confirmed in time, and
        # whatever still waits when the day is closed, lapse (reception.waitlist).
        _t("offer", {"waitlisted"}, "offered", "候补递补", guards=[_part_of("释放名额")],
           audited=False),
        _t("lapse", {"waitlisted", "offered"}, "lapsed", "候补失效",
           guards=[_part_of("候补保留时间到期或结束本场")], audited=False),
    ],
    initial="pending",
    entries=("waitlisted",),
    wrong_status={"cancel": "该预约当前状态为“{status}”，不能取消"},
)


# --- what the receipt says next (read-only questions about a status) -------------------------------

def is_upcoming(booking) -> bool:
    """Still to come: the citizen has somewhere to be (一人一号 counts it)."""
    return booking.status in PERSON_ACTIVE


def awaits_review(booking) -> bool:
    return booking.status == BOOKING.initial


WAITING = "waitlisted"  # the status a waiting-list entry starts in (``BOOKING.new``)


def is_waiting(booking) -> bool:
    """On the waiting list, without a place yet (候补中)."""
    return booking.status == WAITING


def is_offered(booking) -> bool:
    """A place is held for this waiting-list entry until ``offer_expires_at``."""
    return booking.status == "offered"


def edit_refusal(session) -> str | None:
    """Editing a session keeps its status; a cancelled one stays as it was cancelled, and a
    closed day is read-only."""
    if session.status == "cancelled":
        return "已取消的场次不能修改"
    return "本场已结束，不能修改" if session.closed else None


# Transitions whose form asks for a reason (the service refuses them without one).
REASONED = frozenset({"decline", "correct_attended", "correct_absent"})
