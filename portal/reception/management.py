"""Staff-side reception rules: leaders, sessions and series, review, the reception day (the
desk on the day — check-in by code, walk-in places, the duty leader — is ``reception.desk``).

Every state change emits its domain event in the caller's transaction (the audit log is a
subscriber); statuses change only through ``reception.lifecycle``, whose table holds the status
rules. Callers commit (views through ``portal.actions.perform``).
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select

from portal import calendar, events, privacy, settings
from portal.errors import DomainError
from portal.extensions import db
from portal.reception import queries, waitlist
from portal.reception.lifecycle import BOOKING, REASONED, SESSION, SYSTEM, edit_refusal
from portal.reception.models import (
    CATEGORIES,
    MAX_WALK_INS,
    MODES,
    PLACE_HOLDING,
    Booking,
    Leader,
    LeaderCategory,
    Place,
    ReceptionSession,
)
from portal.reception.window import booking_window, short_window_warning

MAX_PLACES = 60
MAX_SERIES = 52


# --- leaders ------------------------------------------------------------------------------------

def save_leader(leader: Leader | None, name: str, post: str, categories: list[str], actor) -> Leader:
    name, post = (name or "").strip(), (post or "").strip()
    reasons = {}
    if not name or len(name) > 20:
        reasons["name"] = "请填写姓名（最多 20 字）"
    if not post or len(post) > 60:
        reasons["post"] = "请填写职务（最多 60 字）"
    chosen = [c for c in CATEGORIES if c in set(categories or [])]
    if not chosen:
        reasons["categories"] = "请至少选择一个分管领域"
    if len(set(categories or [])) != len(chosen):
        reasons["categories"] = "分管领域中有无效的类别"
    if reasons:
        raise DomainError(reasons)
    created = leader is None
    if created:
        leader = Leader(name=name, post=post, active=True)
        db.session.add(leader)
    leader.name, leader.post = name, post
    leader.portfolio = [LeaderCategory(category=c) for c in chosen]
    db.session.flush()
    events.emit("leader.create" if created else "leader.update", "leader", leader.id,
                actor=actor, name=name, post=post, categories=chosen)
    return leader


def set_leader_active(leader: Leader, active: bool, actor) -> None:
    leader.active = active
    events.emit("leader.activate" if active else "leader.deactivate", "leader", leader.id,
                actor=actor)


# --- sessions -----------------------------------------------------------------------------------

@dataclass
class SessionPlan:
    leader_id: int
    first_day: date
    start_time: time
    end_time: time
    place: str
    mode: str = "fixed"
    theme: str = ""
    slot_minutes: int = 20
    weeks: int = 1  # a series: the same weekday for this many weeks
    publish: bool = False
    walk_in_places: int = 0  # 现场登记, after the bookable places, never offered online
    duty_leader_id: int | None = None  # 值班领导; None or 0: the receiving leader


def place_times(start: time, end: time, slot_minutes: int) -> list[time]:
    """The start time of each place: slots of slot_minutes that fit in [start, end)."""
    times = []
    cursor = datetime.combine(date(2000, 1, 1), start)
    finish = datetime.combine(date(2000, 1, 1), end)
    while cursor + timedelta(minutes=slot_minutes) <= finish:
        times.append(cursor.time())
        cursor += timedelta(minutes=slot_minutes)
    return times


def _new_places(plan: SessionPlan, **fields) -> list[Place]:
    """The bookable places, then the walk-in ones (received after them: the session's end)."""
    times = place_times(plan.start_time, plan.end_time, plan.slot_minutes)
    return [Place(number=i, start_time=t, **fields) for i, t in enumerate(times, 1)] + [
        Place(number=len(times) + i, start_time=plan.end_time, walk_in=True, **fields)
        for i in range(1, plan.walk_in_places + 1)]


def _check_plan(plan: SessionPlan, today: date) -> dict[str, str]:
    reasons = {}
    leader = db.session.get(Leader, plan.leader_id)
    if leader is None or not leader.active:
        reasons["leader_id"] = "请选择在任的接访领导"
    if plan.first_day < today:
        reasons["first_day"] = "接访日期不能早于今天"
    if plan.end_time <= plan.start_time:
        reasons["end_time"] = "结束时间应晚于开始时间"
    elif not 5 <= plan.slot_minutes <= 240:
        reasons["slot_minutes"] = "每个号源时长为 5–240 分钟"
    else:
        count = len(place_times(plan.start_time, plan.end_time, plan.slot_minutes))
        if count == 0:
            reasons["slot_minutes"] = "时间段内排不下一个号源，请缩短号源时长"
        elif count > MAX_PLACES:
            reasons["slot_minutes"] = f"一场最多 {MAX_PLACES} 个号源，请加长号源时长"
    if not plan.place.strip() or len(plan.place.strip()) > 60:
        reasons["place"] = "请填写接访地点（最多 60 字）"
    if plan.mode not in MODES:
        reasons["mode"] = "请选择接访方式"
    if plan.mode == "theme" and not plan.theme.strip():
        reasons["theme"] = "专项接访请填写主题"
    if len(plan.theme) > 60:
        reasons["theme"] = "主题最多 60 字"
    if not 1 <= plan.weeks <= MAX_SERIES:
        reasons["weeks"] = f"连续周数为 1–{MAX_SERIES}"
    if not 0 <= plan.walk_in_places <= MAX_WALK_INS:
        reasons["walk_in_places"] = f"现场登记名额为 0–{MAX_WALK_INS} 个"
    duty = db.session.get(Leader, plan.duty_leader_id) if plan.duty_leader_id else leader
    if duty is None or not duty.active:
        reasons["duty_leader_id"] = "请选择在任的值班领导"
    return reasons


def create_sessions(plan: SessionPlan, actor, now: datetime) -> tuple[list[ReceptionSession], list[date]]:
    """Create one session, or one a week for ``weeks`` weeks, skipping non-working days.

    Returns the sessions made and the days skipped.
    """
    if reasons := _check_plan(plan, now.date()):
        raise DomainError(reasons)
    cal = calendar.WorkingCalendar()
    series = uuid.uuid4().hex if plan.weeks > 1 else None
    made, skipped = [], []
    for week in range(plan.weeks):
        day = plan.first_day + timedelta(weeks=week)
        if not cal.is_working_day(day):
            skipped.append(day)
            continue
        session = SESSION.new(
            ReceptionSession, leader_id=plan.leader_id, day=day, start_time=plan.start_time,
            end_time=plan.end_time, place=plan.place.strip(), mode=plan.mode,
            theme=plan.theme.strip(), slot_minutes=plan.slot_minutes, series_id=series,
            duty_leader_id=plan.duty_leader_id or plan.leader_id,
            walk_in_places=plan.walk_in_places, created_at=now,
        )
        session.places = _new_places(plan)
        db.session.add(session)
        made.append(session)
    if not made:
        raise DomainError({"first_day": "所选日期均不是工作日，没有生成场次"})
    db.session.flush()
    for session in made:
        events.emit("session.create", "session", session.id, actor=actor,
                    day=session.day.isoformat(), published=plan.publish, series=series)
    if plan.publish:  # "立即发布": recorded by the create entries above (published=True)
        SESSION.fire_where(ReceptionSession, "publish_on_create",
                           ReceptionSession.id.in_([s.id for s in made]), actor=actor)
    return made, skipped


def held_count(session_id: int) -> int:
    return db.session.scalar(
        select(func.count(Booking.id)).where(Booking.session_id == session_id,
                                             Booking.status.in_(PLACE_HOLDING))
    )


def update_session(session: ReceptionSession, plan: SessionPlan, actor, now: datetime) -> None:
    """Edit a session while nobody holds a place in it; places are regenerated."""
    if message := edit_refusal(session):
        raise DomainError(message, status=409)
    if held_count(session.id):
        raise DomainError("本场已有预约，不能修改时间地点；如需变更请取消本场并通知来访人", status=409)
    plan.weeks = 1
    if reasons := _check_plan(plan, now.date()):
        raise DomainError(reasons)
    if not calendar.WorkingCalendar().is_working_day(plan.first_day):
        raise DomainError({"first_day": "该日不是工作日"})
    retimed = (plan.start_time, plan.end_time, plan.slot_minutes, plan.walk_in_places) != (
        session.start_time, session.end_time, session.slot_minutes, session.walk_in_places)
    if retimed:
        if db.session.scalar(select(func.count(Booking.id)).where(Booking.session_id == session.id)):
            raise DomainError({"start_time": "本场已有预约记录，不能修改时间和号源；可取消本场后重新安排"})
        for place in db.session.scalars(select(Place).where(Place.session_id == session.id)):
            db.session.delete(place)
        db.session.flush()
        db.session.add_all(_new_places(plan, session_id=session.id))
    session.leader_id, session.day = plan.leader_id, plan.first_day
    session.duty_leader_id = plan.duty_leader_id or plan.leader_id
    session.walk_in_places = plan.walk_in_places
    session.start_time, session.end_time = plan.start_time, plan.end_time
    session.place, session.mode, session.theme = plan.place.strip(), plan.mode, plan.theme.strip()
    session.slot_minutes = plan.slot_minutes
    db.session.flush()
    events.emit("session.update", "session", session.id, actor=actor,
                day=session.day.isoformat(), place=session.place)


def publish_session(session: ReceptionSession, actor, now: datetime) -> None:
    SESSION.fire(session, "publish", actor, now)


def short_window_warnings(sessions: list[ReceptionSession], now: datetime) -> list[str]:
    """After creating, editing or publishing: a warning for each session the public has less
    than a day to book (published late, or the cut-off already passed)."""
    cal, values = calendar.WorkingCalendar(), settings.current_values()
    warnings = (short_window_warning(s, booking_window(s, cal, values), now) for s in sessions)
    return [w for w in warnings if w]


def _reason(reason: str, message: str) -> str:
    reason = (reason or "").strip()
    if not reason or len(reason) > 200:
        raise DomainError({"reason": message})
    return reason


def cancel_session(session: ReceptionSession, reason: str, actor, now: datetime) -> int:
    """Cancel a session; its upcoming bookings are cancelled and listed for staff to call."""
    reason = _reason(reason, "请填写取消原因（最多 200 字）")
    SESSION.check(session, "cancel", actor, now)
    count = BOOKING.fire_where(
        Booking, "cancel_with_session", Booking.session_id == session.id, actor=actor,
        # The prefix must not push a 200-character reason past the column (String(200)).
        values=dict(status_reason=f"接访活动取消：{reason}"[:200], cancelled_by_staff=True,
                    updated_at=now), session=session.id)
    session.cancel_reason = reason
    SESSION.fire(session, "cancel", actor, now, reason=reason, bookings_cancelled=count)
    return count


HOLIDAY_REASON = "该日已调整为节假日（非工作日），本场接访取消"


def cancel_series(series_id: str, reason: str, actor, now: datetime) -> tuple[int, int]:
    """Cancel a weekly series as a whole: its sessions after today, each as a session
    cancellation (bookings cancelled and listed for calls). Returns (sessions, bookings)."""
    reason = _reason(reason, "请填写取消原因（最多 200 字）")
    sessions = queries.series_future(series_id, now.date())
    if not sessions:
        raise DomainError("该系列没有今后可取消的场次", status=409)
    bookings = sum(cancel_session(s, reason, actor, now) for s in sessions)
    events.emit("series.cancel", "series", series_id, actor=actor, reason=reason,
                sessions=len(sessions), bookings_cancelled=bookings)
    return len(sessions), bookings


def update_series(series_id: str, plan: SessionPlan, actor, now: datetime) -> tuple[int, list[date]]:
    """Change the time, places and place of a series' sessions after today as a whole. Those
    with bookings, or on a day that is no longer a working day, are left for staff to handle
    one by one (cancel, or move). Returns (sessions changed, days left alone)."""
    future = queries.series_future(series_id, now.date())
    if not future:
        raise DomainError("该系列没有今后可修改的场次", status=409)
    cal = calendar.WorkingCalendar()
    booked = queries.with_bookings([s.id for s in future])
    changed = [s for s in future if s.id not in booked and cal.is_working_day(s.day)]
    for session in changed:
        plan.leader_id, plan.first_day = session.leader_id, session.day
        # Leader, duty leader and walk-in places are each session's own.
        plan.duty_leader_id, plan.walk_in_places = session.duty_leader_id, session.walk_in_places
        update_session(session, plan, actor, now)
    left = [s.day for s in future if s not in changed]
    events.emit("series.update", "series", series_id, actor=actor, sessions=len(changed),
                left_alone=[d.isoformat() for d in left], place=plan.place.strip())
    return len(changed), left


# --- review and the reception day ------------------------------------------------------------

def change_booking(booking: Booking, action: str, actor, now: datetime, reason: str = "") -> None:
    """Confirm, decline (with a reason the citizen sees), check in, or mark a no-show; after
    the day is closed, correct its record (with a reason the audit entry keeps)."""
    detail = {}
    if action == "decline":
        reason = _reason(reason, "请填写不通过的原因（最多 200 字），来访人会看到")
        detail["reason"] = reason  # the citizen's message and the audit entry say why
    elif action in REASONED:
        BOOKING.check(booking, action, actor, now)  # a closed day first, then the reason
        detail["reason"] = _reason(reason, "请填写更正原因（最多 200 字），将记入操作日志")
    BOOKING.check(booking, action, actor, now)
    if action in ("decline", "confirm"):  # a re-confirmed booking's decline reason goes
        # Set before the event: its subscribers (the citizen's message) read the reason.
        booking.status_reason = reason if action == "decline" else ""
    booking.updated_at = now
    BOOKING.fire(booking, action, actor, now, code=booking.code, session=booking.session_id,
                 **detail)
    if action == "decline":  # the place is free: the first waiting is offered it (候补)
        waitlist.offer_free_places(booking.session_id, now)


def close_session(session: ReceptionSession, actor, now: datetime) -> dict[str, int]:
    """End a reception day: confirmed visitors who did not come are 爽约, unreviewed expire,
    and what still waits on the waiting list (or was offered and not confirmed) lapses."""
    SESSION.check(session, "close", actor, now)
    counts = {
        outcome: BOOKING.fire_where(Booking, event, Booking.session_id == session.id,
                                    actor=actor, values={"updated_at": now}, session=session.id)
        for outcome, event in (("no_show", "miss"), ("expired", "expire"), ("lapsed", "lapse"))
    }
    if not counts["lapsed"]:  # the entry reads as before for a day without a waiting list
        del counts["lapsed"]
    SESSION.fire(session, "close", actor, now, **counts)
    session.closed = True
    return counts


def close_past_sessions(today: date, actor=SYSTEM) -> int:
    """For the daily job: close every published session before today."""
    sessions = queries.sessions_to_close(today)
    for session in sessions:
        close_session(session, actor, calendar.now())
    return len(sessions)


def reveal_id_number(booking: Booking, actor) -> str:
    """Show the full ID number: an audited act of reception staff."""
    events.emit("booking.reveal_id", "booking", booking.id, actor=actor, code=booking.code)
    return privacy.decrypt(booking.id_cipher) or ""


def mark_notified(booking: Booking, actor, now: datetime) -> None:
    if not booking.cancelled_by_staff or booking.notified_at is not None:
        raise DomainError("该预约不在待通知名单中", status=409)
    booking.notified_at = now
    events.emit("booking.notified", "booking", booking.id, actor=actor, code=booking.code)
