"""Matters (信访事项): registering and editing one, and revealing its petitioner's ID number.

Plain functions with explicit arguments (``now`` is an aware Asia/Shanghai datetime); they
raise DomainError with field -> message reasons and emit an event for every change, in the
caller's transaction. Callers commit (``portal.actions``).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.exc import IntegrityError

from portal import events, privacy
from portal.errors import DomainError
from portal.evaluation import queries
from portal.evaluation.codes import LEVELS
from portal.evaluation.fields import clean_text
from portal.evaluation.guards import matter_edit_refusal
from portal.evaluation.lifecycle import MATTER
from portal.evaluation.models import Matter
from portal.extensions import db
from portal.identity import (
    canonical_reference,
    contains_personal_number,
    id_number_error,
    normalise_id_number,
    normalise_phone,
    phone_error,
)
from portal.vocabulary import CATEGORIES


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


def _check_texts(data: MatterData) -> tuple[dict, dict]:
    reasons: dict[str, str] = {}
    clean = {
        "number": clean_text(reasons, "number", data.number, "事项编号", 40),
        "title": clean_text(reasons, "title", data.title, "事项名称", 100),
        "unit": clean_text(reasons, "unit", data.unit, "责任单位", 60),
        "summary": clean_text(reasons, "summary", data.summary, "事项概要", 500, minimum=10),
        "petitioner_name": clean_text(reasons, "petitioner_name", data.petitioner_name,
                                      "信访人姓名", 30),
        "address": clean_text(reasons, "address", data.address, "住址", 100),
        "handling_opinion": clean_text(reasons, "handling_opinion", data.handling_opinion,
                                       "处理意见", 3000, minimum=10),
    }
    return reasons, clean


def _check_matter(data: MatterData, creating: bool, today: date) -> tuple[dict, dict]:
    reasons, clean = _check_texts(data)
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


def _fill(matter: Matter, data: MatterData, clean: dict, key: str, now: datetime) -> None:
    matter.number, matter.number_key = clean["number"], key
    matter.title, matter.category, matter.unit = clean["title"], data.category, clean["unit"]
    matter.level, matter.summary = data.level, clean["summary"]
    matter.petitioner_name = clean["petitioner_name"]
    if clean["petitioner_id"]:
        matter.petitioner_id_cipher = privacy.encrypt(clean["petitioner_id"])
        matter.petitioner_id_hash = privacy.lookup_hash(clean["petitioner_id"])
        matter.petitioner_id_last4 = clean["petitioner_id"][-4:]
    matter.phone, matter.address = clean["phone"], clean["address"]
    matter.handling_opinion = clean["handling_opinion"]
    matter.opinion_date = data.opinion_date
    matter.updated_at = now


def save_matter(matter: Matter | None, data: MatterData, actor, now: datetime) -> Matter:
    """Register a matter or edit it (until its result is published)."""
    creating = matter is None
    if not creating and (message := matter_edit_refusal(matter)):
        raise DomainError(message, status=409)
    reasons, clean = _check_matter(data, creating, now.date())
    key = canonical_reference(clean["number"])
    if "number" not in reasons:
        taken = queries.matter_with_number(key)
        if taken and (creating or taken != matter.id):
            reasons["number"] = "该事项编号已登记"
    if reasons:
        raise DomainError(reasons)
    if creating:
        matter = MATTER.new(Matter, created_at=now)
    _fill(matter, data, clean, key, now)
    try:
        with db.session.begin_nested():
            db.session.add(matter)
    except IntegrityError:
        raise DomainError({"number": "该事项编号已登记"}, status=409) from None
    events.emit("evaluation.matter.create" if creating else "evaluation.matter.update",
                "eval_matter", matter.id, actor=actor, number=matter.number)
    return matter


def reveal_id_number(matter: Matter, actor) -> str:
    """The full ID number, for an authorised role; the look is audited (number not logged)."""
    events.emit("evaluation.matter.reveal_id", "eval_matter", matter.id, actor=actor)
    return privacy.decrypt(matter.petitioner_id_cipher) or ""
