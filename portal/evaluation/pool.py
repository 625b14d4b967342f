"""The evaluator pool (评价员库) and its optional ``panel`` logins. Callers commit."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError

from portal import events
from portal.errors import DomainError
from portal.evaluation import queries
from portal.evaluation.codes import EVALUATOR_CATEGORIES
from portal.evaluation.fields import clean_text
from portal.evaluation.models import Evaluator
from portal.extensions import db


@dataclass
class EvaluatorData:
    name: str
    category: str
    organisation: str
    contact: str
    user_id: int | None = None


def save_evaluator(evaluator: Evaluator | None, data: EvaluatorData, actor,
                   now: datetime) -> Evaluator:
    reasons: dict[str, str] = {}
    name = clean_text(reasons, "name", data.name, "姓名", 20)
    organisation = clean_text(reasons, "organisation", data.organisation, "工作单位", 60)
    contact = clean_text(reasons, "contact", data.contact, "联系方式", 60, required=False)
    if data.category not in EVALUATOR_CATEGORIES:
        reasons["category"] = "请选择评价员类别"
    user_id = data.user_id or None
    if user_id:
        allowed = {u.id for u in queries.panel_accounts(evaluator.id if evaluator else None)}
        if user_id not in allowed:
            reasons["user_id"] = "请选择一个未关联其他评价员的评价员账号"
    if reasons:
        raise DomainError(reasons)
    creating = evaluator is None
    if creating:
        evaluator = Evaluator(active=True, created_at=now)
    evaluator.name, evaluator.category = name, data.category
    evaluator.organisation, evaluator.contact, evaluator.user_id = organisation, contact, user_id
    try:
        with db.session.begin_nested():
            db.session.add(evaluator)
    except IntegrityError:
        raise DomainError({"user_id": "该账号已关联其他评价员"}, status=409) from None
    events.emit("evaluation.evaluator.create" if creating else "evaluation.evaluator.update",
                "eval_evaluator", evaluator.id, actor=actor, category=data.category,
                linked_account=user_id)
    return evaluator


def set_evaluator_active(evaluator: Evaluator, active: bool, actor) -> None:
    if evaluator.active == active:
        raise DomainError("该评价员已" + ("在库" if active else "停用"), status=409)
    evaluator.active = active
    events.emit("evaluation.evaluator." + ("activate" if active else "deactivate"),
                "eval_evaluator", evaluator.id, actor=actor)
