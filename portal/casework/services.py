"""Casework rules: the reception record, the hand-over, its supervision, the unit list.

Each function takes what it needs (``actor``, ``now`` — an aware Asia/Shanghai datetime),
raises DomainError with field -> message reasons and emits its event in the caller's
transaction (the audit log is a subscriber). Callers commit through ``actions.perform``.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from portal import calendar, events, privacy, settings
from portal.casework import rules
from portal.casework.lifecycle import HANDOVER, forget_recorded
from portal.casework.models import (
    CHANNELS,
    OUTCOMES,
    REMINDER_METHODS,
    UNIT_KINDS,
    HandOver,
    HandOverNote,
    ReceptionRecord,
    Unit,
)
from portal.errors import DomainError
from portal.extensions import db
from portal.reception.models import Booking

TEXT_MAX = 2000


def _text(value: str | None, field: str, label: str, reasons: dict, *, required=True,
          maximum=TEXT_MAX, minimum=2) -> str:
    value = (value or "").strip()
    if required and len(value) < minimum:
        reasons[field] = f"请填写{label}（至少 {minimum} 个字）"
    elif len(value) > maximum:
        reasons[field] = f"{label}最多 {maximum} 字"
    return value


def _user_id(actor) -> int | None:
    return getattr(actor, "id", None)


# --- the reception record ------------------------------------------------------------------------

@dataclass
class RecordInput:
    request: str  # 来访诉求
    instruction: str  # 领导批示
    outcome: str
    channel: str = ""
    answer: str = ""  # 答复内容 / 引导说明 / 不予受理理由


@dataclass
class HandOverInput:
    unit_id: int | None
    task: str
    due_on: date | None = None  # None: the default period from today


_ANSWER_LABEL = {"answered": "当场答复的内容", "redirected": "引导说明",
                 "not_accepted": "不予受理的理由", "handed_over": "说明"}


def record_problems(rec: RecordInput) -> dict[str, str]:
    reasons: dict[str, str] = {}
    rec.request = _text(rec.request, "request", "来访诉求", reasons)
    rec.instruction = _text(rec.instruction, "instruction", "领导批示", reasons, required=False,
                            maximum=1000)
    if rec.outcome not in OUTCOMES:
        reasons["outcome"] = "请选择处理结果"
        return reasons
    if rec.outcome == "redirected":
        if rec.channel not in CHANNELS:
            reasons["channel"] = "请选择引导的途径（如诉讼、复查）"
    else:
        rec.channel = ""
    rec.answer = _text(rec.answer, "answer", _ANSWER_LABEL[rec.outcome], reasons,
                       required=rec.outcome in ("answered", "not_accepted"), maximum=1000)
    return reasons


def default_due_on(handed_on: date, values: dict | None = None) -> date:
    values = values or settings.current_values()
    return handed_on + timedelta(days=values[rules.HANDOVER_DAYS.key])


def handover_problems(h: HandOverInput, handed_on: date) -> dict[str, str]:
    reasons: dict[str, str] = {}
    unit = db.session.get(Unit, h.unit_id) if h.unit_id else None
    if unit is None or not unit.active:
        reasons["unit_id"] = "请选择责任单位"
    h.task = _text(h.task, "task", "交办事项（要求责任单位办理的内容）", reasons, maximum=1000)
    latest = default_due_on(handed_on)
    due = h.due_on or latest
    if not handed_on < due <= latest:
        reasons["due_on"] = (f"办理期限应在交办之日后、不晚于 {calendar.format_date(latest)}"
                             f"（{(latest - handed_on).days} 天）")
    h.due_on = due
    return reasons


def save_record(booking: Booking, rec: RecordInput, handover: HandOverInput | None, actor,
                now: datetime) -> ReceptionRecord:
    """Write (or correct) the record of a visit; with the outcome 交办, hand the case over in
    the same transaction. A hand-over, once made, is supervised on its own page: the record's
    outcome then stays 交办."""
    if booking.status != "checked_in":
        raise DomainError("只能为已签到的来访人填写接谈记录", status=409)
    reasons = record_problems(rec)
    record = db.session.query(ReceptionRecord).filter_by(booking_id=booking.id).one_or_none()
    existing = record and db.session.query(HandOver).filter_by(record_id=record.id).one_or_none()
    new_handover = rec.outcome == "handed_over" and not existing
    if new_handover:
        reasons.update(handover_problems(handover or HandOverInput(None, ""), now.date()))
    if existing and rec.outcome != "handed_over":
        reasons["outcome"] = "本案已交办，处理结果不能改为其他；办理情况请在督办页面记录"
    if reasons:
        raise DomainError(reasons)
    created = record is None
    if created:
        record = ReceptionRecord(booking_id=booking.id, booking_status="checked_in",
                                 recorded_by_id=_user_id(actor), recorded_at=now)
    record.request, record.instruction, record.answer = rec.request, rec.instruction, rec.answer
    record.outcome, record.channel, record.updated_at = rec.outcome, rec.channel, now
    try:
        with db.session.begin_nested():
            db.session.add(record)
    except IntegrityError:
        # A second submit of the same form, or the booking changed meanwhile.
        raise DomainError("该来访人的接谈记录已由他人保存或来访人已不是“已签到”，请刷新后查看",
                          status=409) from None
    forget_recorded(booking.session_id)
    events.emit("record.create" if created else "record.update", "reception_record", record.id,
                actor=actor, code=booking.code, outcome=rec.outcome, channel=rec.channel)
    if new_handover:
        _hand_over(record, handover, actor, now)
    return record


def _hand_over(record: ReceptionRecord, h: HandOverInput, actor, now: datetime) -> HandOver:
    made = HANDOVER.new(HandOver, record_id=record.id, unit_id=h.unit_id, handed_on=now.date(),
                        first_due_on=h.due_on, due_on=h.due_on, created_by_id=_user_id(actor),
                        created_at=now)
    made.task = h.task
    db.session.add(made)
    db.session.flush()
    events.emit("handover.create", "handover", made.id, actor=actor, unit=h.unit_id,
                due_on=h.due_on.isoformat())
    return made


# --- supervision ---------------------------------------------------------------------------------

def extend(handover: HandOver, days: int | None, reason: str, actor, now: datetime) -> None:
    """Extend the deadline once, by at most the set number of days, with a reason."""
    HANDOVER.check(handover, "supervise", actor, now)
    reasons: dict[str, str] = {}
    limit = settings.current_values()[rules.EXTENSION_MAX_DAYS.key]
    if handover.extension_days is not None:
        raise DomainError("该交办事项已延期过一次，不能再次延期", status=409)
    if days is None or not 1 <= days <= limit:
        reasons["days"] = f"延期天数为 1–{limit} 天"
    reason = _text(reason, "reason", "延期理由", reasons, maximum=200)
    if reasons:
        raise DomainError(reasons)
    due_on = handover.due_on + timedelta(days=days)
    # Conditional: of two simultaneous extensions only one finds the row unextended.
    changed = db.session.execute(
        update(HandOver).where(HandOver.id == handover.id, HandOver.extension_days.is_(None),
                               HandOver.status == "open")
        .values(extension_days=days, extended_on=now.date(), extension_reason=reason,
                due_on=due_on)).rowcount
    if changed != 1:
        raise DomainError("该交办事项已延期过一次，不能再次延期", status=409)
    db.session.refresh(handover)
    events.emit("handover.extend", "handover", handover.id, actor=actor, days=days,
                due_on=due_on.isoformat(), reason=reason)


def add_note(handover: HandOver, kind: str, text: str, noted_on: date | None, actor,
             now: datetime, method: str = "") -> HandOverNote:
    """A progress report (办理进展) or a reminder to the unit (催办), dated."""
    HANDOVER.check(handover, "supervise", actor, now)
    reasons: dict[str, str] = {}
    if kind == "reminder" and method not in REMINDER_METHODS:
        reasons["method"] = "请选择催办方式"
    if kind == "progress":
        method = ""
    elif kind != "reminder":
        raise DomainError("未知的记录类型", status=400)
    label = "催办内容" if kind == "reminder" else "办理进展"
    text = _text(text, "text", label, reasons, maximum=1000)
    noted_on = _date_between(noted_on, handover.handed_on, now.date(), "noted_on", reasons)
    if reasons:
        raise DomainError(reasons)
    note = HandOverNote(handover_id=handover.id, kind=kind, method=method, noted_on=noted_on,
                        created_by_id=_user_id(actor), created_at=now)
    note.text = text
    db.session.add(note)
    db.session.flush()
    events.emit(f"handover.{'remind' if kind == 'reminder' else 'progress'}", "handover",
                handover.id, actor=actor, noted_on=noted_on.isoformat(), method=method)
    return note


def conclude(handover: HandOver, reply: str, concluded_on: date | None, actor,
             now: datetime) -> None:
    """办结: the reply given to the citizen and its date; once."""
    HANDOVER.check(handover, "conclude", actor, now)
    reasons: dict[str, str] = {}
    reply = _text(reply, "reply", "答复意见（给来访人的答复）", reasons, maximum=TEXT_MAX)
    concluded_on = _date_between(concluded_on, handover.handed_on, now.date(), "concluded_on",
                                 reasons)
    if reasons:
        raise DomainError(reasons)
    # One conditional UPDATE (status, date and reply together, as the table's check wants):
    # of two simultaneous conclusions only one finds the case open.
    changed = HANDOVER.fire_where(
        HandOver, "conclude", HandOver.id == handover.id, actor=actor, object_id=handover.id,
        values={"concluded_on": concluded_on, "reply_cipher": privacy.encrypt(reply)},
        concluded_on=concluded_on.isoformat(),
        late_days=max(0, (concluded_on - handover.due_on).days))
    if changed != 1:  # concluded by someone else meanwhile
        raise DomainError("该交办事项已办结，不能重复办结", status=409)
    db.session.refresh(handover)


def _date_between(value: date | None, first: date, last: date, field: str,
                  reasons: dict) -> date:
    value = value or last
    if not first <= value <= last:
        reasons[field] = (f"日期应在 {calendar.format_date(first)} 至 "
                          f"{calendar.format_date(last)} 之间")
    return value


# --- units -------------------------------------------------------------------------------------

def save_unit(unit: Unit | None, name: str, kind: str, actor) -> Unit:
    name = (name or "").strip()
    reasons = {}
    if not name or len(name) > 40:
        reasons["name"] = "请填写单位名称（最多 40 字）"
    if kind not in UNIT_KINDS:
        reasons["kind"] = "请选择单位类型"
    if reasons:
        raise DomainError(reasons)
    created = unit is None
    if created:
        unit = Unit(name=name, kind=kind, active=True)
    unit.name, unit.kind = name, kind
    try:
        with db.session.begin_nested():
            db.session.add(unit)
    except IntegrityError:
        raise DomainError({"name": "已有同名的单位"}, status=409) from None
    events.emit("unit.create" if created else "unit.update", "unit", unit.id, actor=actor,
                name=name, kind=kind)
    return unit


def set_unit_active(unit: Unit, active: bool, actor) -> None:
    unit.active = active
    events.emit("unit.activate" if active else "unit.deactivate", "unit", unit.id, actor=actor)
