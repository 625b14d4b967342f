"""After the vote: the opinion letter (第三方评价意见书) — the chair's reasons, its issue and
delivery to both parties — and the published result. 满意 marks the matter; 不满意 opens its
follow-up (``followup``). Callers commit."""
from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy.exc import IntegrityError

from portal import calendar, events, settings
from portal.errors import DomainError
from portal.evaluation import queries, rules
from portal.evaluation.codes import DELIVERY_METHODS, PARTIES
from portal.evaluation.fields import actor_id, clean_text
from portal.evaluation.followup import add_followup
from portal.evaluation.guards import poll_closed
from portal.evaluation.lifecycle import HEARING, MATTER
from portal.evaluation.models import Delivery, Hearing, Matter, OpinionLetter
from portal.extensions import db

DEFAULT_TASK = "根据第三方评价意见重新调查处理，并将处理结果书面答复信访人"


def _closed_poll(hearing: Hearing):
    poll = queries.current_poll(hearing.id)
    if not poll_closed(poll):
        raise DomainError("表决结束后才能制作第三方评价意见书", status=409)
    return poll


def is_chair(hearing: Hearing, user) -> bool:
    return any(m.is_chair and m.evaluator.user_id == actor_id(user) for m in hearing.members)


def save_letter_reasons(hearing: Hearing, reasons_text: str, actor, now: datetime) -> OpinionLetter:
    """The chair's reasons (评价意见) — typed by the chair on their login, or by the office."""
    if getattr(actor, "role", None) == "panel" and not is_chair(hearing, actor):
        raise DomainError("只有评价小组主持人可以填写评价意见", status=403)
    poll = _closed_poll(hearing)
    letter = queries.letter_for(hearing.id)
    if letter is not None and letter.issued_at is not None:
        raise DomainError("意见书已签发，不能再修改", status=409)
    reasons: dict[str, str] = {}
    text = clean_text(reasons, "reasons", reasons_text, "评价意见和理由", 3000, minimum=10)
    if reasons:
        raise DomainError(reasons)
    if letter is None:
        letter = OpinionLetter(hearing_id=hearing.id, poll_id=poll.id, created_at=now)
        db.session.add(letter)
    letter.poll_id, letter.reasons, letter.reasons_by_id = poll.id, text, actor_id(actor)
    letter.updated_at = now
    db.session.flush()
    events.emit("evaluation.letter.reasons", "eval_letter", letter.id, actor=actor,
                hearing=hearing.id)
    return letter


def issue_letter(hearing: Hearing, actor, now: datetime) -> OpinionLetter:
    """Sign and number the letter (评字〔年〕N号); from now on it never changes."""
    poll = _closed_poll(hearing)
    letter = queries.letter_for(hearing.id)
    if letter is None or not letter.reasons:
        raise DomainError("请先填写评价意见和理由", status=409)
    if letter.issued_at is not None:
        raise DomainError("意见书已签发", status=409)
    prefix = f"评字〔{now.year}〕"
    for _attempt in range(5):
        letter.number = f"{prefix}{queries.letters_numbered(prefix) + 1}号"
        letter.poll_id, letter.issued_at, letter.issued_by_id = poll.id, now, actor_id(actor)
        try:
            with db.session.begin_nested():
                db.session.flush()
        except IntegrityError:
            continue
        break
    else:
        raise DomainError("意见书编号冲突，请重试", status=409)
    events.emit("evaluation.letter.issue", "eval_letter", letter.id, actor=actor,
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
    recipient = clean_text(reasons, "recipient", recipient, "签收人", 40)
    if delivered_on is None:
        reasons["delivered_on"] = "请填写送达日期"
    elif not letter.issued_at.astimezone(calendar.TZ).date() <= delivered_on <= now.date():
        reasons["delivered_on"] = "送达日期应在签发日与今天之间"
    if reasons:
        raise DomainError(reasons)
    delivery = Delivery(letter_id=letter.id, party=party, method=method, recipient=recipient,
                        delivered_on=delivered_on, recorded_by_id=actor_id(actor), created_at=now)
    try:
        with db.session.begin_nested():
            db.session.add(delivery)
    except IntegrityError:
        raise DomainError({"party": f"已记录向{PARTIES[party]}送达"}, status=409) from None
    events.emit("evaluation.letter.deliver", "eval_letter", letter.id, actor=actor, party=party,
                method=method)
    return delivery


def _early_reason(hearing: Hearing, reason: str | None) -> str | None:
    """Delivery comes first: publishing before the letter's delivery to both parties is
    recorded needs a reason (a party refused it, cannot be reached …), kept in the audit log."""
    letter = queries.letter_for(hearing.id)
    delivered = {d.party for d in queries.deliveries(letter.id)} if letter else set()
    missing = [label for party, label in PARTIES.items() if party not in delivered]
    if not missing:
        return None
    reasons: dict[str, str] = {}
    text = clean_text(reasons, "reason", reason or "", "送达前公布的理由", 200, required=False)
    if len(text or "") < 5:
        reasons["reason"] = ("意见书尚未送达" + "、".join(missing)
                             + "：应先送达双方再公布；确需先行公布的，请说明理由（至少 5 个字）")
    if reasons:
        raise DomainError(reasons)
    return text


def publish_result(hearing: Hearing, actor, now: datetime, values: dict | None = None,
                   early_reason: str | None = None) -> None:
    """Publish the result (a closed poll, an issued letter: ``lifecycle.HEARING``; before the
    letter is delivered to both parties, only with a reason). 满意 marks the matter; 不满意
    opens its follow-up (跟踪督办) with a first task."""
    values = values or settings.current_values()
    HEARING.check(hearing, "result.publish", actor, now)
    reason = _early_reason(hearing, early_reason)
    poll = queries.current_poll(hearing.id)
    matter = db.session.get(Matter, hearing.matter_id)
    hearing.result_published_at = now
    matter.result, matter.result_published_on = poll.result, now.date()
    extra = {"before_delivery": reason} if reason else {}
    HEARING.fire(hearing, "result.publish", actor, now, matter=matter.id, result=poll.result,
                 **extra)
    MATTER.fire(matter, "satisfy" if poll.result == "satisfied" else "follow_up", actor, now)
    matter.updated_at = now
    if poll.result == "unsatisfied":
        add_followup(matter, matter.unit, DEFAULT_TASK,
                     now.date() + timedelta(days=values[rules.FOLLOWUP_DAYS.key]), actor, now)
