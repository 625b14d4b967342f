"""Evaluation rules, part 1: matters, applications, the evaluator pool, the 满意 mark.

Plain functions with explicit arguments (``now`` is an aware Asia/Shanghai datetime); they
raise DomainError with field -> message reasons and write an audit entry for every state
change, in the caller's transaction. Callers commit. The evaluator pool lives in ``pool``,
panels and hearings in ``panels``, polls in ``voting``, letters, results and follow-up in
``results``.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, inspect, or_, select
from sqlalchemy.exc import IntegrityError, NoInspectionAvailable
from sqlalchemy.orm import selectinload

from portal import audit, calendar, privacy
from portal.accounts.models import User
from portal.errors import DomainError
from portal.evaluation.models import (
    CONDITIONS,
    LEVELS,
    MATTER_STATUSES,
    Application,
    ApplicationCondition,
    Matter,
)
from portal.extensions import db
from portal.identity import (
    canonical_reference,
    contains_personal_number,
    id_number_error,
    normalise_id_number,
    normalise_phone,
    phone_error,
    redact_personal_numbers,
)
from portal.vocabulary import CATEGORIES

CLOSED_STATUSES = ("satisfied", "follow_up", "closed")


def _text(reasons: dict, field: str, value: str | None, label: str, limit: int,
          required: bool = True, minimum: int = 1) -> str:
    """Strip a text value and add a reason when it is missing or too long."""
    value = (value or "").strip()
    if required and len(value) < minimum:
        reasons[field] = f"请填写{label}" if minimum <= 1 else f"{label}至少 {minimum} 个字"
    elif len(value) > limit:
        reasons[field] = f"{label}最多 {limit} 个字"
    return value


def public_text(value: str, full_name: str) -> str:
    """A text fit for publication: the petitioner's name becomes 张某某 (as courts publish).

    The full name and a given name of two or more characters are replaced; staff are also
    refused, on save, a public text containing anything shaped like an ID or phone number.
    """
    value = value or ""
    name = (full_name or "").strip()
    if name:
        masked = privacy.mask_name(name)
        value = value.replace(name, masked)
        given = name[len(masked) - 2:]
        if len(given) >= 2:
            value = value.replace(given, "某某")
    return redact_personal_numbers(value)


# --- matters -----------------------------------------------------------------------------------

@dataclass
class MatterData:
    number: str
    title: str
    category: str
    unit: str
    level: str
    summary: str
    petitioner_name: str
    petitioner_id: str  # blank on edit: keep the stored number
    phone: str
    address: str
    handling_opinion: str
    opinion_date: date | None


def _check_matter(data: MatterData, creating: bool, today: date) -> tuple[dict, dict]:
    reasons: dict[str, str] = {}
    clean = {
        "number": _text(reasons, "number", data.number, "事项编号", 40),
        "title": _text(reasons, "title", data.title, "事项名称", 100),
        "unit": _text(reasons, "unit", data.unit, "责任单位", 60),
        "summary": _text(reasons, "summary", data.summary, "事项概要", 500, minimum=10),
        "petitioner_name": _text(reasons, "petitioner_name", data.petitioner_name, "信访人姓名", 30),
        "address": _text(reasons, "address", data.address, "住址", 100),
        "handling_opinion": _text(reasons, "handling_opinion", data.handling_opinion, "处理意见",
                                  3000, minimum=10),
    }
    if data.category not in CATEGORIES:
        reasons["category"] = "请选择反映事项类别"
    if data.level not in LEVELS:
        reasons["level"] = "请选择评价层级"
    id_number = normalise_id_number(data.petitioner_id)
    if id_number or creating:
        if error := id_number_error(id_number, today):
            reasons["petitioner_id"] = error
    clean["petitioner_id"] = id_number
    phone = normalise_phone(data.phone)
    if error := phone_error(phone):
        reasons["phone"] = error
    clean["phone"] = phone
    if data.opinion_date is None:
        reasons["opinion_date"] = "请填写处理意见出具日期"
    elif data.opinion_date > today:
        reasons["opinion_date"] = "处理意见出具日期不能晚于今天"
    for field, label in (("title", "事项名称"), ("summary", "事项概要")):
        if field not in reasons and contains_personal_number(clean[field]):
            reasons[field] = f"{label}将在评价会公告中公开，不能包含身份证号或手机号码"
    return reasons, clean


def save_matter(matter: Matter | None, data: MatterData, actor, now: datetime) -> Matter:
    """Register a matter or edit it (until its result is published)."""
    creating = matter is None
    if not creating and matter.status in CLOSED_STATUSES:
        raise DomainError("评价结果已公布，事项信息不能再修改", status=409)
    reasons, clean = _check_matter(data, creating, now.date())
    key = canonical_reference(clean["number"])
    if "number" not in reasons:
        taken = db.session.scalar(select(Matter.id).where(Matter.number_key == key))
        if taken and (creating or taken != matter.id):
            reasons["number"] = "该事项编号已登记"
    if reasons:
        raise DomainError(reasons)
    if creating:
        matter = Matter(status="registered", created_at=now)
    matter.number, matter.number_key = clean["number"], key
    matter.title, matter.category, matter.unit = clean["title"], data.category, clean["unit"]
    matter.level, matter.summary = data.level, clean["summary"]
    matter.petitioner_name = clean["petitioner_name"]
    if clean["petitioner_id"]:
        matter.petitioner_id_cipher = privacy.encrypt(clean["petitioner_id"])
        matter.petitioner_id_hash = privacy.lookup_hash(clean["petitioner_id"])
        matter.petitioner_id_last4 = clean["petitioner_id"][-4:]
    matter.petitioner_phone_cipher = privacy.encrypt(clean["phone"])
    matter.petitioner_address_cipher = privacy.encrypt(clean["address"])
    matter.opinion_cipher = privacy.encrypt(clean["handling_opinion"])
    matter.opinion_date = data.opinion_date
    matter.updated_at = now
    try:
        with db.session.begin_nested():
            db.session.add(matter)
    except IntegrityError:
        raise DomainError({"number": "该事项编号已登记"}, status=409) from None
    audit.record("evaluation.matter.create" if creating else "evaluation.matter.update",
                 "eval_matter", matter.id, actor=actor, number=matter.number)
    return matter


def reveal_id_number(matter: Matter, actor) -> str:
    """The full ID number, for an authorised role; the look is audited (number not logged)."""
    audit.record("evaluation.matter.reveal_id", "eval_matter", matter.id, actor=actor)
    return privacy.decrypt(matter.petitioner_id_cipher) or ""


@dataclass
class MatterFilter:
    status: str = ""
    level: str = ""
    category: str = ""
    q: str = ""


def list_matters(filters: MatterFilter, limit: int = 200) -> list[Matter]:
    query = select(Matter).order_by(Matter.updated_at.desc(), Matter.id.desc()).limit(limit)
    if filters.status in MATTER_STATUSES:
        query = query.where(Matter.status == filters.status)
    if filters.level in LEVELS:
        query = query.where(Matter.level == filters.level)
    if filters.category in CATEGORIES:
        query = query.where(Matter.category == filters.category)
    q = (filters.q or "").strip()[:40]
    if q:
        like = f"%{q}%"
        query = query.where(or_(Matter.number_key.like(f"%{canonical_reference(q)}%"),
                                Matter.title.like(like), Matter.unit.like(like),
                                Matter.petitioner_name.like(like)))
    return list(db.session.scalars(query))


def satisfied_petitioners(id_hashes: list[str]) -> dict[str, list[str]]:
    """Petitioners (by ID hash) with a matter evaluated 满意: hash -> those matter numbers."""
    if not id_hashes:
        return {}
    rows = db.session.execute(
        select(Matter.petitioner_id_hash, Matter.number)
        .where(Matter.petitioner_id_hash.in_(set(id_hashes)), Matter.result == "satisfied",
               Matter.result_published_on.is_not(None))
        .order_by(Matter.number))
    found: dict[str, list[str]] = {}
    for id_hash, number in rows:
        found.setdefault(id_hash, []).append(number)
    return found


def satisfied_matter_refusal(number: str) -> str | None:
    """Why a reception booking naming this matter is refused, or None (DESIGN.md §2).

    A matter evaluated 满意 gets no further county-leader reception; the citizen is told the
    channels that stay open. Matter numbers match case- and space-insensitively.
    """
    key = canonical_reference(number)
    if not key:
        return None
    matter = db.session.scalar(
        select(Matter).where(Matter.number_key == key, Matter.result == "satisfied",
                             Matter.result_published_on.is_not(None)))
    if matter is None:
        return None
    return (
        f"事项编号为 {matter.number} 的信访事项已于 {calendar.format_date(matter.result_published_on)}"
        "经第三方评价，评价结果为“满意”，依规不再安排县领导接访。您仍可以："
        "在法定期限内申请复查、复核（如尚未申请）；依法通过诉讼、仲裁、行政复议等法定途径解决；"
        "如有新的诉求，可另行提出。"
    )


# --- applications ------------------------------------------------------------------------------

def submit_application(matter: Matter, unit: str, applied_on: date | None, reason: str, actor,
                       now: datetime) -> Application:
    """① The township or department applies for evaluation of a matter."""
    if matter.status not in ("registered", "refused"):
        raise DomainError(f"该事项当前为“{matter.status_label}”，不能再提出申请", status=409)
    reasons: dict[str, str] = {}
    unit = _text(reasons, "unit", unit, "申请单位", 60)
    reason = _text(reasons, "reason", reason, "申请理由", 500, minimum=5)
    if applied_on is None:
        reasons["applied_on"] = "请填写申请日期"
    elif applied_on > now.date():
        reasons["applied_on"] = "申请日期不能晚于今天"
    if reasons:
        raise DomainError(reasons)
    application = Application(matter_id=matter.id, unit=unit, applied_on=applied_on,
                              reason=reason, status="pending", created_by_id=_uid(actor),
                              created_at=now)
    try:
        with db.session.begin_nested():
            db.session.add(application)
    except IntegrityError:
        raise DomainError("该事项已有待审查或已受理的申请", status=409) from None
    matter.status, matter.updated_at = "applied", now
    audit.record("evaluation.application.submit", "eval_application", application.id,
                 actor=actor, matter=matter.id, unit=unit)
    return application


def locked(model, ident: int):
    """A row read FOR UPDATE (PostgreSQL) before a state change: concurrent changes of one
    record queue up and each sees the one before. SQLite serialises writers already."""
    return db.session.scalar(select(model).where(model.id == ident).with_for_update())


def load_application(application_id: int, lock: bool = False) -> Application | None:
    query = (select(Application).options(selectinload(Application.conditions))
             .where(Application.id == application_id))
    return db.session.scalar(query.with_for_update(of=Application) if lock else query)


def record_condition(application: Application, code: str, holds: bool, note: str, actor,
                     now: datetime) -> ApplicationCondition:
    """② Record one of the four conditions: whether it holds, who confirmed it, a note."""
    if application.status != "pending":
        raise DomainError(f"该申请已{application.status_label}，不能再修改条件", status=409)
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
    row.confirmed_by_id, row.confirmed_at = _uid(actor), now
    db.session.flush()
    audit.record("evaluation.application.condition", "eval_application", application.id,
                 actor=actor, condition=code, holds=bool(holds))
    return row


def accept_application(application: Application, actor, now: datetime) -> None:
    """Accept only when all four conditions are recorded as holding."""
    if application.status != "pending":
        raise DomainError(f"该申请已{application.status_label}", status=409)
    recorded = {c.code: c.holds for c in db.session.scalars(
        select(ApplicationCondition).where(ApplicationCondition.application_id == application.id))}
    missing = [label for code, label in CONDITIONS.items() if not recorded.get(code)]
    if missing:
        raise DomainError("以下受理条件尚未确认成立，不能受理：" + "；".join(missing), status=422)
    application.status = "accepted"
    application.decided_by_id, application.decided_at = _uid(actor), now
    matter = db.session.get(Matter, application.matter_id)
    matter.status, matter.updated_at = "accepted", now
    audit.record("evaluation.application.accept", "eval_application", application.id,
                 actor=actor, matter=matter.id)


def refuse_application(application: Application, reason: str, actor, now: datetime) -> None:
    if application.status != "pending":
        raise DomainError(f"该申请已{application.status_label}", status=409)
    reasons: dict[str, str] = {}
    reason = _text(reasons, "reason", reason, "不予受理的理由", 200)
    if reasons:
        raise DomainError(reasons)
    application.status, application.decision_reason = "refused", reason
    application.decided_by_id, application.decided_at = _uid(actor), now
    matter = db.session.get(Matter, application.matter_id)
    matter.status, matter.updated_at = "refused", now
    audit.record("evaluation.application.refuse", "eval_application", application.id,
                 actor=actor, matter=matter.id, reason=reason)


def user_names(ids) -> dict[int, str]:
    """Display names of staff users, in one statement."""
    ids = {i for i in ids if i}
    if not ids:
        return {}
    return dict(db.session.execute(
        select(User.id, User.display_name).where(User.id.in_(ids))).all())


def matter_counts() -> dict[str, int]:
    return dict(db.session.execute(
        select(Matter.status, func.count()).group_by(Matter.status)).all())


def _uid(actor) -> int | None:
    """The acting user's id, read without loading the row (an expired user object would
    otherwise refresh, and autoflush a half-built record)."""
    if actor is None or isinstance(actor, str):
        return None
    actor = getattr(actor, "_get_current_object", lambda: actor)()  # Flask-Login's proxy
    try:
        identity = inspect(actor).identity
    except NoInspectionAvailable:
        identity = None
    return identity[0] if identity else getattr(actor, "id", None)
