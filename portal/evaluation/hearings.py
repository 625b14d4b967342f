"""The hearing (评价会): scheduling it, ④ publishing its notice, cancelling it, and taking
attendance on the day. Its panel and recusals are in ``panels``, its poll in ``voting``.
Callers commit."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from portal import events, privacy
from portal.errors import DomainError
from portal.evaluation.codes import LEVELS
from portal.evaluation.fields import actor_id, clean_text, public_text
from portal.evaluation.lifecycle import HEARING, MATTER
from portal.evaluation.models import Hearing, Matter
from portal.extensions import db
from portal.identity import contains_personal_number


@dataclass
class HearingData:
    day: date | None
    start_time: time | None
    place: str
    level: str


def _check_hearing(data: HearingData, today: date) -> tuple[dict, str]:
    reasons: dict[str, str] = {}
    place = clean_text(reasons, "place", data.place, "评价会地点", 60)
    if data.day is None:
        reasons["day"] = "请填写评价会日期"
    elif data.day < today:
        reasons["day"] = "评价会日期不能早于今天"
    elif data.day > today + timedelta(days=366):
        reasons["day"] = "评价会日期不能晚于一年之后"
    if data.start_time is None:
        reasons["start_time"] = "请填写开始时间"
    if data.level not in LEVELS:
        reasons["level"] = "请选择评价小组层级"
    return reasons, place


def create_hearing(matter: Matter, data: HearingData, actor, now: datetime) -> Hearing:
    """Schedule the hearing of an accepted matter (one live hearing per matter)."""
    MATTER.check(matter, "schedule", actor, now)
    reasons, place = _check_hearing(data, now.date())
    if reasons:
        raise DomainError(reasons)
    hearing = HEARING.new(Hearing, matter_id=matter.id, level=data.level, day=data.day,
                          start_time=data.start_time, place=place,
                          created_by_id=actor_id(actor), created_at=now)
    db.session.add(hearing)
    db.session.flush()
    MATTER.fire(matter, "schedule", actor, now)
    matter.updated_at = now
    events.emit("evaluation.hearing.create", "eval_hearing", hearing.id, actor=actor,
                matter=matter.id, day=data.day.isoformat(), place=place)
    return hearing


def update_hearing(hearing: Hearing, data: HearingData, actor, now: datetime) -> None:
    HEARING.check(hearing, "hearing.update", actor, now)
    reasons, place = _check_hearing(data, now.date())
    if reasons:
        raise DomainError(reasons)
    hearing.day, hearing.start_time, hearing.place = data.day, data.start_time, place
    hearing.level = data.level
    HEARING.fire(hearing, "hearing.update", actor, now, day=data.day.isoformat(), place=place)


def cancel_hearing(hearing: Hearing, reason: str, actor, now: datetime) -> None:
    HEARING.check(hearing, "hearing.cancel", actor, now)
    reasons: dict[str, str] = {}
    reason = clean_text(reasons, "reason", reason, "取消原因", 200)
    if "reason" not in reasons and contains_personal_number(reason):
        reasons["reason"] = "取消原因将在评价会公告中公开，不能包含身份证号或手机号码"
    if reasons:
        raise DomainError(reasons)
    hearing.cancel_reason, hearing.cancelled_at = reason, now
    HEARING.fire(hearing, "hearing.cancel", actor, now, reason=reason)
    matter = db.session.get(Matter, hearing.matter_id)
    MATTER.fire(matter, "unschedule", actor, now)
    matter.updated_at = now


def publish_notice(hearing: Hearing, actor, now: datetime) -> None:
    """④ Publish the 评价会公告 — refused later than the notice period before the hearing, and
    before the panel is properly formed (``lifecycle.HEARING``)."""
    HEARING.check(hearing, "notice.publish", actor, now)
    matter = hearing.matter
    hearing.notice_published_at = now
    hearing.notice_party = privacy.mask_name(matter.petitioner_name)
    hearing.notice_title = public_text(matter.title, matter.petitioner_name)[:100]
    hearing.notice_summary = public_text(matter.summary, matter.petitioner_name)[:500]
    HEARING.fire(hearing, "notice.publish", actor, now, day=hearing.day.isoformat())
    MATTER.fire(matter, "notice", actor, now)
    matter.updated_at = now


def mark_attendance(hearing: Hearing, present_ids: list[int], actor, now: datetime) -> int:
    """At the hearing: which panel members are present (before the poll opens)."""
    HEARING.check(hearing, "attendance", actor, now)
    member_ids = {m.id for m in hearing.members}
    chosen = set(present_ids or [])
    if not chosen <= member_ids:
        raise DomainError({"present_ids": "出席人员须为本评价小组成员"})
    for member in hearing.members:
        member.present = member.id in chosen
    HEARING.fire(hearing, "attendance", actor, now, present=len(chosen), panel=len(member_ids))
    return len(chosen)
