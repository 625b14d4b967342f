"""Evaluation rules, part 4: the opinion letter, its delivery, the published result, follow-up."""
from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from portal import audit, calendar, settings
from portal.errors import DomainError
from portal.evaluation import rules
from portal.evaluation.models import (
    DELIVERY_METHODS,
    PARTIES,
    Delivery,
    FollowUp,
    Hearing,
    Matter,
    OpinionLetter,
)
from portal.evaluation.panels import current_poll
from portal.evaluation.services import _text, _uid
from portal.extensions import db

DEFAULT_TASK = "根据第三方评价意见重新调查处理，并将处理结果书面答复信访人"


def letter_for(hearing_id: int) -> OpinionLetter | None:
    return db.session.scalar(select(OpinionLetter).where(OpinionLetter.hearing_id == hearing_id))


def _closed_poll(hearing: Hearing):
    poll = current_poll(hearing.id)
    if poll is None or poll.status != "closed":
        raise DomainError("表决结束后才能制作第三方评价意见书", status=409)
    return poll


def is_chair(hearing: Hearing, user) -> bool:
    return any(m.is_chair and m.evaluator.user_id == _uid(user) for m in hearing.members)


def save_letter_reasons(hearing: Hearing, reasons_text: str, actor, now: datetime) -> OpinionLetter:
    """The chair's reasons (评价意见) — typed by the chair on their login, or by the office."""
    if getattr(actor, "role", None) == "panel" and not is_chair(hearing, actor):
        raise DomainError("只有评价小组主持人可以填写评价意见", status=403)
    poll = _closed_poll(hearing)
    letter = letter_for(hearing.id)
    if letter is not None and letter.issued_at is not None:
        raise DomainError("意见书已签发，不能再修改", status=409)
    reasons: dict[str, str] = {}
    text = _text(reasons, "reasons", reasons_text, "评价意见和理由", 3000, minimum=10)
    if reasons:
        raise DomainError(reasons)
    if letter is None:
        letter = OpinionLetter(hearing_id=hearing.id, poll_id=poll.id, created_at=now)
        db.session.add(letter)
    letter.poll_id, letter.reasons, letter.reasons_by_id = poll.id, text, _uid(actor)
    letter.updated_at = now
    db.session.flush()
    audit.record("evaluation.letter.reasons", "eval_letter", letter.id, actor=actor,
                 hearing=hearing.id)
    return letter


def issue_letter(hearing: Hearing, actor, now: datetime) -> OpinionLetter:
    """Sign and number the letter (评字〔年〕N号); from now on it never changes."""
    poll = _closed_poll(hearing)
    letter = letter_for(hearing.id)
    if letter is None or not letter.reasons:
        raise DomainError("请先填写评价意见和理由", status=409)
    if letter.issued_at is not None:
        raise DomainError("意见书已签发", status=409)
    prefix = f"评字〔{now.year}〕"
    for _attempt in range(5):
        issued = db.session.scalar(select(func.count(OpinionLetter.id)).where(
            OpinionLetter.number.like(prefix + "%")))
        letter.number = f"{prefix}{issued + 1}号"
        letter.poll_id, letter.issued_at, letter.issued_by_id = poll.id, now, _uid(actor)
        try:
            with db.session.begin_nested():
                db.session.flush()
        except IntegrityError:
            continue
        break
    else:
        raise DomainError("意见书编号冲突，请重试", status=409)
    audit.record("evaluation.letter.issue", "eval_letter", letter.id, actor=actor,
                 number=letter.number, hearing=hearing.id)
    return letter


def record_delivery(letter: OpinionLetter, party: str, method: str, recipient: str,
                    delivered_on: date | None, actor, now: datetime) -> Delivery:
    """Record the letter's delivery to one party (date, method, recipient)."""
    if letter.issued_at is None:
        raise DomainError("意见书签发后才能送达", status=409)
    reasons: dict[str, str] = {}
    if party not in PARTIES:
        reasons["party"] = "请选择送达对象"
    if method not in DELIVERY_METHODS:
        reasons["method"] = "请选择送达方式"
    recipient = _text(reasons, "recipient", recipient, "签收人", 40)
    if delivered_on is None:
        reasons["delivered_on"] = "请填写送达日期"
    elif not letter.issued_at.astimezone(calendar.TZ).date() <= delivered_on <= now.date():
        reasons["delivered_on"] = "送达日期应在签发日与今天之间"
    if reasons:
        raise DomainError(reasons)
    delivery = Delivery(letter_id=letter.id, party=party, method=method, recipient=recipient,
                        delivered_on=delivered_on, recorded_by_id=_uid(actor), created_at=now)
    try:
        with db.session.begin_nested():
            db.session.add(delivery)
    except IntegrityError:
        raise DomainError({"party": f"已记录向{PARTIES[party]}送达"}, status=409) from None
    audit.record("evaluation.letter.deliver", "eval_letter", letter.id, actor=actor, party=party,
                 method=method)
    return delivery


def deliveries(letter_id: int) -> list[Delivery]:
    return list(db.session.scalars(select(Delivery).where(Delivery.letter_id == letter_id)
                                   .order_by(Delivery.id)))


def publish_result(hearing: Hearing, actor, now: datetime, values: dict | None = None) -> None:
    """Publish the result. 满意 marks the matter; 不满意 opens its follow-up (跟踪督办)."""
    values = values or settings.current_values()
    if hearing.result_published_at is not None:
        raise DomainError("评价结果已公布", status=409)
    poll = _closed_poll(hearing)
    letter = letter_for(hearing.id)
    if letter is None or letter.issued_at is None:
        raise DomainError("请先签发第三方评价意见书", status=409)
    matter = db.session.get(Matter, hearing.matter_id)
    hearing.status, hearing.result_published_at = "published", now
    matter.result, matter.result_published_on = poll.result, now.date()
    matter.status, matter.updated_at = (
        "satisfied" if poll.result == "satisfied" else "follow_up"), now
    audit.record("evaluation.result.publish", "eval_hearing", hearing.id, actor=actor,
                 matter=matter.id, result=poll.result)
    if poll.result == "unsatisfied":
        add_followup(matter, matter.unit, DEFAULT_TASK,
                     now.date() + timedelta(days=values[rules.FOLLOWUP_DAYS.key]), actor, now)


# --- follow-up ---------------------------------------------------------------------------------

def add_followup(matter: Matter, unit: str, task: str, deadline: date | None, actor,
                 now: datetime) -> FollowUp:
    if matter.result != "unsatisfied" or matter.result_published_on is None:
        raise DomainError("只有评价结果为“不满意”的事项需要跟踪督办", status=409)
    reasons: dict[str, str] = {}
    unit = _text(reasons, "unit", unit, "承办单位", 60)
    task = _text(reasons, "task", task, "督办事项", 300, minimum=4)
    if deadline is None:
        reasons["deadline"] = "请填写办理期限"
    elif deadline < now.date():
        reasons["deadline"] = "办理期限不能早于今天"
    if reasons:
        raise DomainError(reasons)
    followup = FollowUp(matter_id=matter.id, unit=unit, task=task, deadline=deadline,
                        status="open", created_by_id=_uid(actor), created_at=now)
    db.session.add(followup)
    matter.status, matter.updated_at = "follow_up", now
    db.session.flush()
    audit.record("evaluation.followup.create", "eval_followup", followup.id, actor=actor,
                 matter=matter.id, deadline=deadline.isoformat())
    return followup


def complete_followup(followup: FollowUp, note: str, actor, now: datetime) -> None:
    """Mark a task done; the matter's follow-up ends when no task is left open."""
    if followup.status != "open":
        raise DomainError("该督办事项已办结", status=409)
    reasons: dict[str, str] = {}
    note = _text(reasons, "note", note, "办理情况", 300)
    if reasons:
        raise DomainError(reasons)
    followup.status, followup.done_at, followup.done_note = "done", now, note
    followup.done_by_id = _uid(actor)
    db.session.flush()
    still_open = db.session.scalar(select(func.count(FollowUp.id)).where(
        FollowUp.matter_id == followup.matter_id, FollowUp.status == "open"))
    matter = db.session.get(Matter, followup.matter_id)
    if not still_open:
        matter.status = "closed"
    matter.updated_at = now
    audit.record("evaluation.followup.done", "eval_followup", followup.id, actor=actor,
                 matter=matter.id)


def followups(status: str = "open", limit: int = 200) -> list[FollowUp]:
    query = select(FollowUp).options(joinedload(FollowUp.matter)).where(FollowUp.status == status)
    if status == "open":
        query = query.order_by(FollowUp.deadline, FollowUp.id)
    else:
        query = query.order_by(FollowUp.done_at.desc(), FollowUp.id.desc())
    return list(db.session.scalars(query.limit(limit)))


def overdue_count(today: date) -> int:
    return db.session.scalar(select(func.count(FollowUp.id)).where(
        FollowUp.status == "open", FollowUp.deadline < today))


def matter_followups(matter_id: int) -> list[FollowUp]:
    return list(db.session.scalars(select(FollowUp).where(FollowUp.matter_id == matter_id)
                                   .order_by(FollowUp.status.desc(), FollowUp.deadline)))
