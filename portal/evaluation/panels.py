"""Evaluation rules, part 2: hearings, panels and recusal, the public notice, attendance."""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from portal import audit, calendar, privacy, settings
from portal.errors import DomainError
from portal.evaluation import rules
from portal.evaluation.models import (
    LEVELS,
    RECUSAL_SOURCES,
    Evaluator,
    Hearing,
    Matter,
    PanelMember,
    Poll,
    Recusal,
)
from portal.evaluation.services import _text, _uid, public_text
from portal.extensions import db
from portal.identity import contains_personal_number


def normalise_org(value: str) -> str:
    """Organisations compare without spaces and punctuation: '青石镇 人民政府' == '青石镇人民政府'."""
    return "".join(ch for ch in (value or "") if ch.isalnum()).upper()


def load_hearing(hearing_id: int, lock: bool = False) -> Hearing | None:
    """A hearing with its matter and panel (members and their evaluators) loaded.

    ``lock`` (for state changes) takes the hearing row FOR UPDATE on PostgreSQL, so two
    staff acting on one hearing at once queue up and the second sees the first's result;
    SQLite's BEGIN IMMEDIATE serialises writers already.
    """
    query = (select(Hearing).options(
        joinedload(Hearing.matter),
        selectinload(Hearing.members).joinedload(PanelMember.evaluator))
        .where(Hearing.id == hearing_id))
    if lock:
        query = query.with_for_update(of=Hearing)
    return db.session.scalar(query)


def live_hearing(matter_id: int) -> Hearing | None:
    hearing_id = db.session.scalar(select(Hearing.id).where(
        Hearing.matter_id == matter_id, Hearing.status != "cancelled"))
    return load_hearing(hearing_id) if hearing_id else None


def current_poll(hearing_id: int) -> Poll | None:
    return db.session.scalar(select(Poll).where(Poll.hearing_id == hearing_id,
                                                Poll.status != "superseded"))


# --- hearings ----------------------------------------------------------------------------------

@dataclass
class HearingData:
    day: date | None
    start_time: time | None
    place: str
    level: str


def _check_hearing(data: HearingData, today: date) -> tuple[dict, str]:
    reasons: dict[str, str] = {}
    place = _text(reasons, "place", data.place, "评价会地点", 60)
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
    if matter.status != "accepted":
        raise DomainError(f"事项当前为“{matter.status_label}”：受理后才能安排评价会", status=409)
    reasons, place = _check_hearing(data, now.date())
    if reasons:
        raise DomainError(reasons)
    hearing = Hearing(matter_id=matter.id, level=data.level, day=data.day,
                      start_time=data.start_time, place=place, status="planned",
                      created_by_id=_uid(actor), created_at=now)
    db.session.add(hearing)
    db.session.flush()
    matter.status, matter.updated_at = "scheduled", now
    audit.record("evaluation.hearing.create", "eval_hearing", hearing.id, actor=actor,
                 matter=matter.id, day=data.day.isoformat(), place=place)
    return hearing


def update_hearing(hearing: Hearing, data: HearingData, actor, now: datetime) -> None:
    if hearing.status != "planned":
        raise DomainError("评价会公告已发布，不能再改时间地点；如需改期，请取消本次评价会后重新安排"
                          "并重新公告", status=409)
    reasons, place = _check_hearing(data, now.date())
    if reasons:
        raise DomainError(reasons)
    hearing.day, hearing.start_time, hearing.place = data.day, data.start_time, place
    hearing.level = data.level
    audit.record("evaluation.hearing.update", "eval_hearing", hearing.id, actor=actor,
                 day=data.day.isoformat(), place=place)


def cancel_hearing(hearing: Hearing, reason: str, actor, now: datetime) -> None:
    if hearing.status not in ("planned", "noticed"):
        raise DomainError(f"评价会当前为“{hearing.status_label}”，不能取消", status=409)
    if current_poll(hearing.id) is not None:
        raise DomainError("已开始投票的评价会不能取消", status=409)
    reasons: dict[str, str] = {}
    reason = _text(reasons, "reason", reason, "取消原因", 200)
    if "reason" not in reasons and contains_personal_number(reason):
        reasons["reason"] = "取消原因将在评价会公告中公开，不能包含身份证号或手机号码"
    if reasons:
        raise DomainError(reasons)
    hearing.status, hearing.cancel_reason, hearing.cancelled_at = "cancelled", reason, now
    matter = db.session.get(Matter, hearing.matter_id)
    matter.status, matter.updated_at = "accepted", now
    audit.record("evaluation.hearing.cancel", "eval_hearing", hearing.id, actor=actor,
                 reason=reason)


# --- the panel ---------------------------------------------------------------------------------

class UnitConflict(DomainError):
    """Members from the matter's responsible unit were chosen: refused, and to be recorded."""

    def __init__(self, reasons: dict[str, str], conflicts: list[int]):
        super().__init__(reasons, status=422)
        self.conflicts = conflicts


def quorum(panel_size: int, values: dict) -> int:
    """Members who must be present: ceil(size × numerator / denominator), at most the panel."""
    needed = math.ceil(panel_size * values[rules.QUORUM_NUMERATOR.key]
                       / values[rules.QUORUM_DENOMINATOR.key])
    return min(needed, panel_size)


def panel_size_error(size: int, values: dict) -> str | None:
    minimum = values[rules.MIN_PANEL.key]
    odd = values[rules.ODD_PANEL.key]
    if size < minimum or (odd and size % 2 == 0):
        wanted = f"不少于 {minimum} 人的单数" if odd else f"不少于 {minimum} 人"
        return f"评价小组应为{wanted}，现为 {size} 人"
    return None


def panel_error(hearing: Hearing, values: dict) -> str | None:
    """Why the hearing's panel as it stands cannot vote, or None."""
    members = hearing.members
    if message := panel_size_error(len(members), values):
        return message
    if sum(1 for m in members if m.is_chair) != 1:
        return "评价小组须确定一名主持人"
    inactive = [m.evaluator.name for m in members if not m.evaluator.active]
    if inactive:
        return "以下评价员已停用，请调整评价小组：" + "、".join(inactive)
    return None


def _granted_recusals(hearing_id: int) -> set[int]:
    return set(db.session.scalars(select(Recusal.evaluator_id).where(
        Recusal.hearing_id == hearing_id, Recusal.decision == "granted")))


def _check_open_for_panel(hearing: Hearing) -> None:
    if hearing.status not in ("planned", "noticed"):
        raise DomainError(f"评价会当前为“{hearing.status_label}”，不能调整评价小组", status=409)
    if current_poll(hearing.id) is not None:
        raise DomainError("投票已开始，评价小组不能再调整", status=409)


def set_panel(hearing: Hearing, evaluator_ids: list[int], chair_id: int | None, actor,
              now: datetime, values: dict | None = None) -> None:
    """③ Form the panel from the pool: odd, at least the minimum, one chair, no conflicts.

    A member whose organisation is the matter's responsible unit is refused with
    ``UnitConflict``; the caller records those recusals (``record_unit_conflicts``).
    """
    values = values or settings.current_values()
    _check_open_for_panel(hearing)
    ids = list(dict.fromkeys(i for i in evaluator_ids or [] if 0 < i < 2**31))
    evaluators = {e.id: e for e in db.session.scalars(
        select(Evaluator).where(Evaluator.id.in_(ids)))} if ids else {}
    reasons: dict[str, str] = {}
    if len(evaluators) != len(ids):
        reasons["evaluator_ids"] = "所选评价员中有不存在的人员"
    elif message := panel_size_error(len(ids), values):
        reasons["evaluator_ids"] = message
    inactive = [e.name for e in evaluators.values() if not e.active]
    if inactive:
        reasons["evaluator_ids"] = "以下评价员已停用：" + "、".join(inactive)
    recused = [evaluators[i].name for i in _granted_recusals(hearing.id) if i in evaluators]
    if recused:
        reasons["evaluator_ids"] = "以下评价员已准予回避，不能列入评价小组：" + "、".join(recused)
    if not chair_id or chair_id not in ids:
        reasons["chair_id"] = "请从评价小组成员中确定一名主持人"
    matter = db.session.get(Matter, hearing.matter_id)
    unit = normalise_org(matter.unit)
    conflicts = [e for e in evaluators.values() if unit and normalise_org(e.organisation) == unit]
    if conflicts:
        reasons["evaluator_ids"] = (
            "以下评价员所在单位为本事项的责任单位（" + matter.unit + "），应当回避，已记录回避："
            + "、".join(e.name for e in conflicts))
        raise UnitConflict(reasons, [e.id for e in conflicts])
    if reasons:
        raise DomainError(reasons)
    existing = {m.evaluator_id: m for m in hearing.members}
    for member in hearing.members:
        member.is_chair = False
    db.session.flush()  # at most one chair, also between the statements
    hearing.members = [existing.get(i) or PanelMember(evaluator_id=i, evaluator=evaluators[i])
                       for i in ids]
    for member in hearing.members:
        member.is_chair = member.evaluator_id == chair_id
        member.present = None
    db.session.flush()
    audit.record("evaluation.panel.set", "eval_hearing", hearing.id, actor=actor,
                 evaluators=ids, chair=chair_id)


def record_unit_conflicts(hearing_id: int, evaluator_ids: list[int], actor,
                          now: datetime) -> list[Recusal]:
    """Record the recusal of members from the responsible unit (once per hearing/person)."""
    hearing = db.session.get(Hearing, hearing_id)
    matter = db.session.get(Matter, hearing.matter_id)
    already = set(db.session.scalars(select(Recusal.evaluator_id).where(
        Recusal.hearing_id == hearing_id, Recusal.requested_by == "office",
        Recusal.decision == "granted", Recusal.evaluator_id.in_(evaluator_ids))))
    made = []
    for evaluator_id in evaluator_ids:
        if evaluator_id in already:
            continue
        recusal = Recusal(
            hearing_id=hearing_id, evaluator_id=evaluator_id, requested_by="office",
            requester="评价办", reason=f"所在单位为本事项责任单位（{matter.unit}）",
            decision="granted", decision_reason="与被评价事项有利害关系，依规回避",
            decided_by_id=_uid(actor), decided_at=now, created_by_id=_uid(actor), created_at=now)
        db.session.add(recusal)
        db.session.flush()
        audit.record("evaluation.recusal.unit", "eval_hearing", hearing_id, actor=actor,
                     recusal=recusal.id, evaluator=evaluator_id)
        made.append(recusal)
    return made


def request_recusal(hearing: Hearing, evaluator_id: int | None, reason: str, requested_by: str,
                    requester: str, actor, now: datetime) -> Recusal:
    """Record a recusal. A party's request waits for a decision; the office's and a member's
    own recusal take effect at once (the member leaves the panel)."""
    _check_open_for_panel(hearing)
    reasons: dict[str, str] = {}
    member = next((m for m in hearing.members if m.evaluator_id == evaluator_id), None)
    if member is None:
        reasons["evaluator_id"] = "请选择本评价小组的成员"
    if requested_by not in RECUSAL_SOURCES:
        reasons["requested_by"] = "请选择回避的提出方"
    reason = _text(reasons, "reason", reason, "回避理由", 200)
    requester = _text(reasons, "requester", requester, "提出人", 40, required=False)
    if reasons:
        raise DomainError(reasons)
    pending = db.session.scalar(select(Recusal.id).where(
        Recusal.hearing_id == hearing.id, Recusal.evaluator_id == evaluator_id,
        Recusal.decision == "pending"))
    if pending:
        raise DomainError("对该评价员已有待决定的回避申请", status=409)
    immediate = requested_by != "party"
    recusal = Recusal(hearing_id=hearing.id, evaluator_id=evaluator_id, reason=reason,
                      requested_by=requested_by, requester=requester or RECUSAL_SOURCES[requested_by],
                      decision="granted" if immediate else "pending",
                      decided_by_id=_uid(actor) if immediate else None,
                      decided_at=now if immediate else None,
                      created_by_id=_uid(actor), created_at=now)
    db.session.add(recusal)
    if immediate:
        hearing.members.remove(member)
    db.session.flush()
    audit.record("evaluation.recusal.request", "eval_hearing", hearing.id, actor=actor,
                 recusal=recusal.id, evaluator=evaluator_id, source=requested_by,
                 decision=recusal.decision)
    return recusal


def decide_recusal(recusal: Recusal, grant: bool, reason: str, actor, now: datetime) -> None:
    """Decide a party's request: granted removes the member; refused keeps the reason."""
    if recusal.decision != "pending":
        raise DomainError(f"该回避申请已{recusal.decision_label}", status=409)
    hearing = load_hearing(recusal.hearing_id)
    _check_open_for_panel(hearing)
    reasons: dict[str, str] = {}
    reason = _text(reasons, "reason", reason, "决定理由", 200, required=not grant)
    if reasons:
        raise DomainError(reasons)
    recusal.decision = "granted" if grant else "refused"
    recusal.decision_reason = reason
    recusal.decided_by_id, recusal.decided_at = _uid(actor), now
    if grant:
        hearing.members = [m for m in hearing.members if m.evaluator_id != recusal.evaluator_id]
    db.session.flush()
    audit.record("evaluation.recusal.decide", "eval_hearing", hearing.id, actor=actor,
                 recusal=recusal.id, decision=recusal.decision)


def hearing_recusals(hearing_id: int) -> list[Recusal]:
    return list(db.session.scalars(
        select(Recusal).options(joinedload(Recusal.evaluator))
        .where(Recusal.hearing_id == hearing_id).order_by(Recusal.id)))


# --- the public notice -------------------------------------------------------------------------

def notice_deadline(hearing_day: date, notice_days: int) -> date:
    """The last day a notice may be published for a hearing on ``hearing_day``."""
    return hearing_day - timedelta(days=notice_days + 1)


def notice_in_time(published_at: datetime | None, hearing_day: date, notice_days: int) -> bool:
    """At least ``notice_days`` full days lie strictly between publication and hearing.

    The publication day and the hearing day do not count: with 3 days, a notice published
    on 18 November allows a hearing on 22 November (19, 20, 21 in between), not on the 21st.
    """
    if published_at is None:
        return False
    published_on = published_at.astimezone(calendar.TZ).date()
    return (hearing_day - published_on).days - 1 >= notice_days


def publish_notice(hearing: Hearing, actor, now: datetime, values: dict | None = None) -> None:
    """④ Publish the 评价会公告 — refused later than the notice period before the hearing."""
    values = values or settings.current_values()
    if hearing.status != "planned":
        raise DomainError(f"评价会当前为“{hearing.status_label}”，不能发布公告", status=409)
    days = values[rules.NOTICE_DAYS.key]
    if not notice_in_time(now, hearing.day, days):
        raise DomainError(
            f"评价会公告须在评价会前至少 {days} 个整日发布（发布日与评价会日之间至少相隔 {days} 天）。"
            f"评价会定于 {calendar.format_date(hearing.day)}，最迟应于 "
            f"{calendar.format_date(notice_deadline(hearing.day, days))} 发布。请改期后再公告。",
            status=409)
    if message := panel_error(hearing, values):
        raise DomainError("请先组成评价小组：" + message, status=409)
    matter = hearing.matter
    hearing.status, hearing.notice_published_at = "noticed", now
    hearing.notice_party = privacy.mask_name(matter.petitioner_name)
    hearing.notice_title = public_text(matter.title, matter.petitioner_name)[:100]
    hearing.notice_summary = public_text(matter.summary, matter.petitioner_name)[:500]
    matter.status, matter.updated_at = "noticed", now
    audit.record("evaluation.notice.publish", "eval_hearing", hearing.id, actor=actor,
                 day=hearing.day.isoformat())


# --- attendance --------------------------------------------------------------------------------

def mark_attendance(hearing: Hearing, present_ids: list[int], actor, now: datetime) -> int:
    """At the hearing: which panel members are present (before the poll opens)."""
    if hearing.status != "noticed":
        raise DomainError(f"评价会当前为“{hearing.status_label}”，不能登记出席", status=409)
    if now.date() != hearing.day:
        raise DomainError(f"只能在评价会当天（{calendar.format_date(hearing.day)}）登记出席",
                          status=409)
    if current_poll(hearing.id) is not None:
        raise DomainError("投票已开始，出席情况不能再修改", status=409)
    member_ids = {m.id for m in hearing.members}
    chosen = set(present_ids or [])
    if not chosen <= member_ids:
        raise DomainError({"present_ids": "出席人员须为本评价小组成员"})
    for member in hearing.members:
        member.present = member.id in chosen
    audit.record("evaluation.attendance", "eval_hearing", hearing.id, actor=actor,
                 present=len(chosen), panel=len(member_ids))
    return len(chosen)


def panel_hearings_for(user_id: int) -> list[Hearing]:
    """Hearings (not cancelled, notice published) whose panel includes this panel login."""
    return list(db.session.scalars(
        select(Hearing).options(joinedload(Hearing.matter))
        .join(PanelMember, PanelMember.hearing_id == Hearing.id)
        .join(Evaluator, Evaluator.id == PanelMember.evaluator_id)
        .where(Evaluator.user_id == user_id, Hearing.status.in_(("noticed", "published")))
        .order_by(Hearing.day.desc(), Hearing.id.desc())).unique())


def member_for_user(hearing: Hearing, user_id: int) -> PanelMember | None:
    return next((m for m in hearing.members if m.evaluator.user_id == user_id), None)
