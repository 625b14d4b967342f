"""① The township or department applies; ② the evaluation office records the four conditions
and accepts (all four hold) or refuses, with the reason. Callers commit."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.exc import IntegrityError

from portal import events
from portal.errors import DomainError
from portal.evaluation.codes import CONDITIONS
from portal.evaluation.fields import actor_id, clean_text
from portal.evaluation.lifecycle import APPLICATION, MATTER
from portal.evaluation.models import Application, ApplicationCondition, Matter
from portal.extensions import db


def submit_application(matter: Matter, unit: str, applied_on: date | None, reason: str, actor,
                       now: datetime) -> Application:
    """① The township or department applies for evaluation of a matter."""
    MATTER.check(matter, "apply", actor, now)
    reasons: dict[str, str] = {}
    unit = clean_text(reasons, "unit", unit, "申请单位", 60)
    reason = clean_text(reasons, "reason", reason, "申请理由", 500, minimum=5)
    if applied_on is None:
        reasons["applied_on"] = "请填写申请日期"
    elif applied_on > now.date():
        reasons["applied_on"] = "申请日期不能晚于今天"
    if reasons:
        raise DomainError(reasons)
    application = APPLICATION.new(Application, matter_id=matter.id, unit=unit,
                                  applied_on=applied_on, reason=reason,
                                  created_by_id=actor_id(actor), created_at=now)
    try:
        with db.session.begin_nested():
            db.session.add(application)
    except IntegrityError:
        raise DomainError("该事项已有待审查或已受理的申请", status=409) from None
    MATTER.fire(matter, "apply", actor, now)
    matter.updated_at = now
    events.emit("evaluation.application.submit", "eval_application", application.id,
                actor=actor, matter=matter.id, unit=unit)
    return application


def record_condition(application: Application, code: str, holds: bool, note: str, actor,
                     now: datetime) -> ApplicationCondition:
    """② Record one of the four conditions: whether it holds, who confirmed it, a note."""
    APPLICATION.check(application, "condition", actor, now)
    if code not in CONDITIONS:
        raise DomainError({"code": "请选择受理条件"})
    note = (note or "").strip()
    if len(note) > 200:
        raise DomainError({"note": "说明最多 200 字"})
    if not holds and not note:
        raise DomainError({"note": "条件不成立时请说明情况"})
    row = db.session.get(ApplicationCondition, (application.id, code))
    if row is None:
        row = ApplicationCondition(application_id=application.id, code=code)
        db.session.add(row)
    row.holds, row.note = bool(holds), note
    row.confirmed_by_id, row.confirmed_at = actor_id(actor), now
    APPLICATION.fire(application, "condition", actor, now, condition=code, holds=bool(holds))
    return row


def accept_application(application: Application, actor, now: datetime) -> None:
    """Accept only when all four conditions are recorded as holding."""
    matter = db.session.get(Matter, application.matter_id)
    APPLICATION.fire(application, "accept", actor, now, matter=matter.id)
    application.decided_by_id, application.decided_at = actor_id(actor), now
    MATTER.fire(matter, "accept", actor, now)
    matter.updated_at = now


def refuse_application(application: Application, reason: str, actor, now: datetime) -> None:
    APPLICATION.check(application, "refuse", actor, now)
    reasons: dict[str, str] = {}
    reason = clean_text(reasons, "reason", reason, "不予受理的理由", 200)
    if reasons:
        raise DomainError(reasons)
    matter = db.session.get(Matter, application.matter_id)
    application.decision_reason = reason
    application.decided_by_id, application.decided_at = actor_id(actor), now
    APPLICATION.fire(application, "refuse", actor, now, matter=matter.id, reason=reason)
    MATTER.fire(matter, "refuse", actor, now)
    matter.updated_at = now
