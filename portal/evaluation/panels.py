"""③ The panel (评价小组): forming it from the pool, with recusal (回避) — a party's request
decided by the office, the office's or a member's own recusal at once, and a member from the
matter's responsible unit refused with the recusal recorded. Callers commit."""
from __future__ import annotations

from datetime import datetime

from portal import events, settings
from portal.errors import DomainError
from portal.evaluation import queries, rules
from portal.evaluation.codes import RECUSAL_SOURCES
from portal.evaluation.fields import actor_id, clean_text, normalise_org
from portal.evaluation.guards import panel_refusal
from portal.evaluation.lifecycle import RECUSAL
from portal.evaluation.models import Evaluator, Hearing, Matter, PanelMember, Recusal
from portal.extensions import db


class UnitConflict(DomainError):
    """Members from the matter's responsible unit were chosen: the panel is refused, and their
    recusal is recorded all the same (``set_panel`` returns this refusal, not raises it)."""

    def __init__(self, reasons: dict[str, str], conflicts: list[int]):
        super().__init__(reasons, status=422)
        self.conflicts = conflicts


def _check_panel_open(hearing: Hearing) -> None:
    if message := panel_refusal(hearing, queries.current_poll(hearing.id)):
        raise DomainError(message, status=409)


def _panel_reasons(hearing: Hearing, ids: list[int], evaluators: dict[int, Evaluator],
                   chair_id: int | None, values: dict) -> dict[str, str]:
    reasons: dict[str, str] = {}
    if len(evaluators) != len(ids):
        reasons["evaluator_ids"] = "所选评价员中有不存在的人员"
    elif message := rules.panel_size_error(len(ids), values):
        reasons["evaluator_ids"] = message
    inactive = [e.name for e in evaluators.values() if not e.active]
    if inactive:
        reasons["evaluator_ids"] = "以下评价员已停用：" + "、".join(inactive)
    recused = [evaluators[i].name for i in queries.granted_recusals(hearing.id)
               if i in evaluators]
    if recused:
        reasons["evaluator_ids"] = "以下评价员已准予回避，不能列入评价小组：" + "、".join(recused)
    if not chair_id or chair_id not in ids:
        reasons["chair_id"] = "请从评价小组成员中确定一名主持人"
    return reasons


def set_panel(hearing: Hearing, evaluator_ids: list[int], chair_id: int | None, actor,
              now: datetime, values: dict | None = None) -> UnitConflict | None:
    """③ Form the panel from the pool: odd, at least the minimum, one chair, no conflicts.

    Members whose organisation is the matter's responsible unit are refused: their recusal is
    recorded in this transaction and the refusal (``UnitConflict``) is returned, so the caller
    commits the record and shows the refusal. Any other refusal is raised.
    """
    values = values or settings.current_values()
    _check_panel_open(hearing)
    ids = list(dict.fromkeys(i for i in evaluator_ids or [] if 0 < i < 2**31))
    evaluators = queries.evaluators_by_id(ids)
    reasons = _panel_reasons(hearing, ids, evaluators, chair_id, values)
    matter = db.session.get(Matter, hearing.matter_id)
    unit = normalise_org(matter.unit)
    conflicts = [e for e in evaluators.values() if unit and normalise_org(e.organisation) == unit]
    if conflicts:
        reasons["evaluator_ids"] = (
            "以下评价员所在单位为本事项的责任单位（" + matter.unit + "），应当回避，已记录回避："
            + "、".join(e.name for e in conflicts))
        refused = UnitConflict(reasons, [e.id for e in conflicts])
        _record_unit_conflicts(hearing, matter, refused.conflicts, actor, now)
        return refused
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
    events.emit("evaluation.panel.set", "eval_hearing", hearing.id, actor=actor,
                evaluators=ids, chair=chair_id)
    return None


def _record_unit_conflicts(hearing: Hearing, matter: Matter, evaluator_ids: list[int], actor,
                           now: datetime) -> None:
    """Record the recusal of members from the responsible unit (once per hearing/person)."""
    already = queries.granted_recusals(hearing.id, source="office")
    for evaluator_id in evaluator_ids:
        if evaluator_id in already:
            continue
        recusal = RECUSAL.new(
            Recusal, hearing_id=hearing.id, evaluator_id=evaluator_id, requested_by="office",
            requester="评价办", reason=f"所在单位为本事项责任单位（{matter.unit}）",
            decision_reason="与被评价事项有利害关系，依规回避", created_by_id=actor_id(actor),
            created_at=now)
        _grant(recusal, actor, now)
        events.emit("evaluation.recusal.unit", "eval_hearing", hearing.id, actor=actor,
                    recusal=recusal.id, evaluator=evaluator_id)


def _grant(recusal: Recusal, actor, now: datetime) -> None:
    """A recusal that takes effect as it is recorded."""
    recusal.decided_by_id, recusal.decided_at = actor_id(actor), now
    db.session.add(recusal)
    RECUSAL.fire(recusal, "grant", actor, now)


def request_recusal(hearing: Hearing, evaluator_id: int | None, reason: str, requested_by: str,
                    requester: str, actor, now: datetime) -> Recusal:
    """Record a recusal. A party's request waits for a decision; the office's and a member's
    own recusal take effect at once (the member leaves the panel)."""
    _check_panel_open(hearing)
    reasons: dict[str, str] = {}
    member = next((m for m in hearing.members if m.evaluator_id == evaluator_id), None)
    if member is None:
        reasons["evaluator_id"] = "请选择本评价小组的成员"
    if requested_by not in RECUSAL_SOURCES:
        reasons["requested_by"] = "请选择回避的提出方"
    reason = clean_text(reasons, "reason", reason, "回避理由", 200)
    requester = clean_text(reasons, "requester", requester, "提出人", 40, required=False)
    if reasons:
        raise DomainError(reasons)
    if queries.pending_recusal(hearing.id, evaluator_id):
        raise DomainError("对该评价员已有待决定的回避申请", status=409)
    recusal = RECUSAL.new(Recusal, hearing_id=hearing.id, evaluator_id=evaluator_id,
                          reason=reason, requested_by=requested_by,
                          requester=requester or RECUSAL_SOURCES[requested_by],
                          created_by_id=actor_id(actor), created_at=now)
    db.session.add(recusal)
    if requested_by != "party":
        _grant(recusal, actor, now)
        hearing.members.remove(member)
    db.session.flush()
    events.emit("evaluation.recusal.request", "eval_hearing", hearing.id, actor=actor,
                recusal=recusal.id, evaluator=evaluator_id, source=requested_by,
                decision=recusal.decision)
    return recusal


def decide_recusal(recusal: Recusal, grant: bool, reason: str, actor, now: datetime) -> None:
    """Decide a party's request: granted removes the member; refused keeps the reason."""
    event = "grant" if grant else "refuse"
    RECUSAL.check(recusal, event, actor, now)
    reasons: dict[str, str] = {}
    reason = clean_text(reasons, "reason", reason, "决定理由", 200, required=not grant)
    if reasons:
        raise DomainError(reasons)
    hearing = queries.load_hearing(recusal.hearing_id)
    recusal.decision_reason = reason
    recusal.decided_by_id, recusal.decided_at = actor_id(actor), now
    RECUSAL.fire(recusal, event, actor, now)
    if grant:
        hearing.members = [m for m in hearing.members if m.evaluator_id != recusal.evaluator_id]
    db.session.flush()
    events.emit("evaluation.recusal.decide", "eval_hearing", hearing.id, actor=actor,
                recusal=recusal.id, decision=recusal.decision)
