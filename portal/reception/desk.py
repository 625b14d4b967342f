"""The reception desk on the day: check-in by code, walk-in places, the duty leader (值班领导).

Each change emits its domain event in the caller's transaction (the audit log is a subscriber);
statuses change only through ``reception.lifecycle``. Callers commit (views through
``portal.actions.perform``).
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.exc import IntegrityError

from portal import calendar, events
from portal.errors import DomainError
from portal.extensions import db
from portal.reception import management, queries, services
from portal.reception.lifecycle import BOOKING, edit_refusal
from portal.reception.models import MAX_WALK_INS, Booking, Leader, Place, ReceptionSession


def check_in_by_code(code: str, session_id: int | None, actor, now: datetime) -> Booking:
    """Check in the visitor whose booking code was typed at the desk (on the day view of
    ``session_id``, or anywhere when None). The code must be of today's session (of that one)."""
    typed = services.normalise_code(code or "")
    if not typed:
        raise DomainError({"code": "请填写预约码"})
    booking = queries.booking_by_code(typed)
    if booking is None:
        raise DomainError({"code": "未找到该预约码"}, status=404)
    who, session = f"预约码 {booking.code}（{booking.name}）", booking.session
    if session.day != now.date() or (session_id and session.id != session_id):
        which = "今天" if session.day != now.date() else "本场"
        raise DomainError({"code": f"{who}是{session_words(session)}的预约，不是{which}的，"
                                   "请核对场次"}, status=409)
    if booking.status == BOOKING["check_in"].target:
        raise DomainError({"code": f"{who}已签到，无需重复签到"}, status=409)
    if message := BOOKING.refusal(booking, "check_in", actor, now):
        raise DomainError({"code": f"{who}：{message}"},
                          status=getattr(message, "http_status", 409))
    management.change_booking(booking, "check_in", actor, now)
    return booking


def session_words(session: ReceptionSession) -> str:
    """'2026年11月23日 星期一 09:00 刘海涛接访' (the leader loaded)."""
    return (f"{calendar.format_date(session.day)} {calendar.format_time(session.start_time)} "
            f"{session.leader.name}接访")


def set_walk_in_places(session: ReceptionSession, places: int, actor, now: datetime) -> int:
    """Change a session's walk-in places (现场登记名额), on the day too and whatever is booked:
    free walk-in places are added after the last place or removed (the last first); never
    fewer than those already used. Returns the new number."""
    if message := edit_refusal(session):
        raise DomainError(message, status=409)
    if places is None or not 0 <= places <= MAX_WALK_INS:
        raise DomainError({"places": f"现场登记名额为 0–{MAX_WALK_INS} 个"})
    rows = queries.walk_in_place_use(session.id)  # (place, used by a booking), by number
    used = sum(1 for _place, in_use in rows if in_use)
    if places < used:
        raise DomainError({"places": f"本场已有 {used} 人现场登记，名额不能少于 {used} 个"},
                          status=409)
    before, last = len(rows), queries.last_place_number(session.id)
    free = [place for place, in_use in reversed(rows) if not in_use]
    try:
        with db.session.begin_nested():
            for place in free[:max(before - places, 0)]:
                db.session.delete(place)
            db.session.add_all(Place(session_id=session.id, number=last + i, walk_in=True,
                                     start_time=session.end_time)
                               for i in range(1, places - before + 1))
    except IntegrityError:  # a walk-in took one of them meanwhile
        raise DomainError("有人正在现场登记，请稍后重试", status=409) from None
    session.walk_in_places = places
    events.emit("session.walk_in_places", "session", session.id, actor=actor,
                before=before, after=places)
    return places


def set_duty_leader(session: ReceptionSession, leader_id: int | None, actor,
                    now: datetime) -> Leader:
    """Change a session's duty leader (值班领导), whatever is booked (the session's other
    details are frozen once someone books: ``management.update_session``). Choosing the same
    leader again changes nothing and records nothing. Returns the leader now on duty."""
    if message := edit_refusal(session):
        raise DomainError(message, status=409)
    if leader_id == session.duty_leader_id:
        return queries.leader(leader_id)
    leader = queries.leader(leader_id) if leader_id else None
    if leader is None or not leader.active:
        raise DomainError({"duty_leader_id": "请选择在任的值班领导"})
    before = queries.leader(session.duty_leader_id)
    session.duty_leader_id = leader.id
    db.session.flush()
    events.emit("session.duty_leader", "session", session.id, actor=actor,
                before=before.name if before else "", after=leader.name)
    return leader
