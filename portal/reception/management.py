"""Staff-side reception rules: leaders, sessions and series, review, the reception day.

Every state change writes an audit entry in the same transaction. Callers commit.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import joinedload

from portal import audit, calendar, privacy
from portal.errors import DomainError
from portal.extensions import db
from portal.reception.models import (
    CATEGORIES,
    MODES,
    PERSON_ACTIVE,
    PLACE_HOLDING,
    Booking,
    Leader,
    LeaderCategory,
    Place,
    ReceptionSession,
)

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
    audit.record("leader.create" if created else "leader.update", "leader", leader.id,
                 actor=actor, name=name, post=post, categories=chosen)
    return leader


def set_leader_active(leader: Leader, active: bool, actor) -> None:
    leader.active = active
    audit.record("leader.activate" if active else "leader.deactivate", "leader", leader.id,
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


def place_times(start: time, end: time, slot_minutes: int) -> list[time]:
    """The start time of each place: slots of slot_minutes that fit in [start, end)."""
    times = []
    cursor = datetime.combine(date(2000, 1, 1), start)
    finish = datetime.combine(date(2000, 1, 1), end)
    while cursor + timedelta(minutes=slot_minutes) <= finish:
        times.append(cursor.time())
        cursor += timedelta(minutes=slot_minutes)
    return times


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
        session = ReceptionSession(
            leader_id=plan.leader_id, day=day, start_time=plan.start_time,
            end_time=plan.end_time, place=plan.place.strip(), mode=plan.mode,
            theme=plan.theme.strip(), slot_minutes=plan.slot_minutes,
            status="published" if plan.publish else "draft", series_id=series, created_at=now,
        )
        session.places = [
            Place(number=i, start_time=t)
            for i, t in enumerate(place_times(plan.start_time, plan.end_time, plan.slot_minutes), 1)
        ]
        db.session.add(session)
        made.append(session)
    if not made:
        raise DomainError({"first_day": "所选日期均不是工作日，没有生成场次"})
    db.session.flush()
    for session in made:
        audit.record("session.create", "session", session.id, actor=actor,
                     day=session.day.isoformat(), published=plan.publish, series=series)
    return made, skipped


def held_count(session_id: int) -> int:
    return db.session.scalar(
        select(func.count(Booking.id)).where(Booking.session_id == session_id,
                                             Booking.status.in_(PLACE_HOLDING))
    )


def update_session(session: ReceptionSession, plan: SessionPlan, actor, now: datetime) -> None:
    """Edit a session while nobody holds a place in it; places are regenerated."""
    if session.status == "cancelled":
        raise DomainError("已取消的场次不能修改", status=409)
    if held_count(session.id):
        raise DomainError("本场已有预约，不能修改时间地点；如需变更请取消本场并通知来访人", status=409)
    plan.weeks = 1
    if reasons := _check_plan(plan, now.date()):
        raise DomainError(reasons)
    if not calendar.WorkingCalendar().is_working_day(plan.first_day):
        raise DomainError({"first_day": "该日不是工作日"})
    retimed = (plan.start_time, plan.end_time, plan.slot_minutes) != (
        session.start_time, session.end_time, session.slot_minutes)
    if retimed:
        if db.session.scalar(select(func.count(Booking.id)).where(Booking.session_id == session.id)):
            raise DomainError({"start_time": "本场已有预约记录，不能修改时间和号源；可取消本场后重新安排"})
        for place in db.session.scalars(select(Place).where(Place.session_id == session.id)):
            db.session.delete(place)
        db.session.flush()
        db.session.add_all(
            Place(session_id=session.id, number=i, start_time=t)
            for i, t in enumerate(place_times(plan.start_time, plan.end_time, plan.slot_minutes), 1)
        )
    session.leader_id, session.day = plan.leader_id, plan.first_day
    session.start_time, session.end_time = plan.start_time, plan.end_time
    session.place, session.mode, session.theme = plan.place.strip(), plan.mode, plan.theme.strip()
    session.slot_minutes = plan.slot_minutes
    db.session.flush()
    audit.record("session.update", "session", session.id, actor=actor,
                 day=session.day.isoformat(), place=session.place)


def publish_session(session: ReceptionSession, actor, now: datetime) -> None:
    if session.status != "draft":
        raise DomainError(f"只有未发布的场次可以发布（当前：{session.status_label}）", status=409)
    if session.day < now.date():
        raise DomainError("已过期的场次不能发布", status=409)
    session.status = "published"
    audit.record("session.publish", "session", session.id, actor=actor)


def cancel_session(session: ReceptionSession, reason: str, actor, now: datetime) -> int:
    """Cancel a session; its upcoming bookings are cancelled and listed for staff to call."""
    reason = (reason or "").strip()
    if session.status == "cancelled":
        raise DomainError("本场已取消", status=409)
    if not reason or len(reason) > 200:
        raise DomainError({"reason": "请填写取消原因（最多 200 字）"})
    session.status = "cancelled"
    session.cancel_reason = reason
    result = db.session.execute(
        update(Booking)
        .where(Booking.session_id == session.id, Booking.status.in_(PERSON_ACTIVE))
        .values(status="cancelled", status_reason=f"接访活动取消：{reason}",
                cancelled_by_staff=True, updated_at=now)
    )
    audit.record("session.cancel", "session", session.id, actor=actor, reason=reason,
                 bookings_cancelled=result.rowcount)
    return result.rowcount


# --- review and the reception day ------------------------------------------------------------

_TRANSITIONS = {
    "confirm": ({"pending", "declined"}, "confirmed"),
    "decline": ({"pending", "confirmed"}, "declined"),
    "check_in": ({"pending", "confirmed", "no_show"}, "checked_in"),
    "no_show": ({"confirmed", "checked_in"}, "no_show"),
}
_ACTION_LABELS = {"confirm": "确认", "decline": "不通过", "check_in": "签到", "no_show": "爽约"}


def change_booking(booking: Booking, action: str, actor, now: datetime, reason: str = "") -> None:
    """Confirm, decline (with a reason the citizen sees), check in, or mark a no-show."""
    allowed, target = _TRANSITIONS[action]
    label = _ACTION_LABELS[action]
    if booking.status not in allowed:
        raise DomainError(f"当前状态为“{booking.status_label}”，不能{label}", status=409)
    session = db.session.get(ReceptionSession, booking.session_id)
    if session.status == "cancelled":
        raise DomainError("本场接访已取消", status=409)
    if action in ("check_in", "no_show") and session.day > now.date():
        raise DomainError("接访当天才能签到或记录爽约", status=409)
    if action == "decline":
        reason = (reason or "").strip()
        if not reason or len(reason) > 200:
            raise DomainError({"reason": "请填写不通过的原因（最多 200 字），来访人会看到"})
        booking.status_reason = reason
    if action == "confirm" and booking.status == "declined":
        # Re-confirming gives the place back only if nobody took it meanwhile.
        taken = db.session.scalar(
            select(func.count(Booking.id)).where(Booking.place_id == booking.place_id,
                                                 Booking.status.in_(PLACE_HOLDING)))
        if taken:
            raise DomainError("该号源已被他人预约，不能恢复", status=409)
        booking.status_reason = ""
    booking.status = target
    booking.updated_at = now
    db.session.flush()
    audit.record(f"booking.{action}", "booking", booking.id, actor=actor,
                 code=booking.code, session=booking.session_id)


def close_session(session: ReceptionSession, actor, now: datetime) -> dict[str, int]:
    """End a reception day: confirmed visitors who did not come are 爽约, unreviewed expire."""
    if session.day > now.date():
        raise DomainError("接访日之后才能结束本场", status=409)
    if session.closed:
        raise DomainError("本场已结束", status=409)
    counts = {}
    for source, target in (("confirmed", "no_show"), ("pending", "expired")):
        result = db.session.execute(
            update(Booking).where(Booking.session_id == session.id, Booking.status == source)
            .values(status=target, updated_at=now))
        counts[target] = result.rowcount
    session.closed = True
    audit.record("session.close", "session", session.id, actor=actor, **counts)
    return counts


def close_past_sessions(today: date, actor="系统") -> int:
    """For the daily job: close every published session before today."""
    sessions = db.session.scalars(
        select(ReceptionSession).where(ReceptionSession.day < today,
                                       ReceptionSession.status == "published",
                                       ReceptionSession.closed.is_(False))
    ).all()
    for session in sessions:
        close_session(session, actor, calendar.now())
    return len(sessions)


def reveal_id_number(booking: Booking, actor) -> str:
    """Show the full ID number: an audited act of reception staff."""
    audit.record("booking.reveal_id", "booking", booking.id, actor=actor, code=booking.code)
    return privacy.decrypt(booking.id_cipher) or ""


def mark_notified(booking: Booking, actor, now: datetime) -> None:
    if not booking.cancelled_by_staff or booking.notified_at is not None:
        raise DomainError("该预约不在待通知名单中", status=409)
    booking.notified_at = now
    audit.record("booking.notified", "booking", booking.id, actor=actor, code=booking.code)


def session_bookings(session_id: int) -> list[Booking]:
    return list(db.session.scalars(
        select(Booking).options(joinedload(Booking.place))
        .where(Booking.session_id == session_id)
        .order_by(Booking.status.in_(PLACE_HOLDING).desc(), Booking.place_id, Booking.id)
    ))


def call_list() -> list[Booking]:
    """Bookings cancelled by staff whose visitor has not yet been told by phone."""
    return list(db.session.scalars(
        select(Booking)
        .options(joinedload(Booking.session).joinedload(ReceptionSession.leader))
        .where(Booking.cancelled_by_staff.is_(True), Booking.notified_at.is_(None))
        .order_by(Booking.id)
    ))
