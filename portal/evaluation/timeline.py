"""A matter's whole history, assembled from its records (a fixed number of statements)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from portal import calendar
from portal.evaluation.codes import CONDITIONS, POLL_MODES, RESULTS
from portal.evaluation.guards import accepted
from portal.evaluation.models import (
    Application,
    ApplicationCondition,
    Delivery,
    FollowUp,
    Hearing,
    Matter,
    OpinionLetter,
    Recusal,
)
from portal.evaluation.poll_records import PaperCount, Poll
from portal.evaluation.queries import user_names
from portal.extensions import db


@dataclass
class Event:
    at: datetime
    title: str
    detail: str = ""
    actor_id: int | None = None
    actor: str = ""


def matter_timeline(matter: Matter) -> list[Event]:
    events = [Event(matter.created_at, "登记事项", f"{matter.number}，责任单位 {matter.unit}")]
    applications = db.session.scalars(select(Application).where(
        Application.matter_id == matter.id)).all()
    conditions: dict[int, list[ApplicationCondition]] = {}
    if applications:
        for c in db.session.scalars(select(ApplicationCondition).where(
                ApplicationCondition.application_id.in_([a.id for a in applications]))):
            conditions.setdefault(c.application_id, []).append(c)
    order = list(CONDITIONS)
    for a in applications:
        events.append(Event(a.created_at, f"{a.unit}提出评价申请", a.reason, a.created_by_id))
        for c in sorted(conditions.get(a.id, []), key=lambda c: order.index(c.code)):
            events.append(Event(c.confirmed_at, f"确认受理条件：{CONDITIONS[c.code]}",
                                ("成立" if c.holds else "不成立") + (f"（{c.note}）" if c.note else ""),
                                c.confirmed_by_id))
        if a.decided_at:
            events.append(Event(a.decided_at, "受理申请" if accepted(a) else "不予受理",
                                a.decision_reason, a.decided_by_id))
    hearings = db.session.scalars(select(Hearing).where(Hearing.matter_id == matter.id)).all()
    hearing_ids = [h.id for h in hearings]
    for h in hearings:
        events.append(Event(h.created_at, "安排评价会",
                            f"{calendar.format_date(h.day)} {calendar.format_time(h.start_time)}，"
                            f"{h.place}", h.created_by_id))
        if h.notice_published_at:
            events.append(Event(h.notice_published_at, "发布评价会公告"))
        if h.cancelled_at:
            events.append(Event(h.cancelled_at, "取消评价会", h.cancel_reason))
        if h.result_published_at:
            events.append(Event(h.result_published_at, "公布评价结果"))
    if hearing_ids:
        _hearing_events(events, hearing_ids)
    for f in db.session.scalars(select(FollowUp).where(FollowUp.matter_id == matter.id)):
        events.append(Event(f.created_at, f"布置跟踪督办：{f.unit}",
                            f"{f.task}（期限 {calendar.format_date(f.deadline)}）", f.created_by_id))
        if f.done_at:
            events.append(Event(f.done_at, f"督办事项办结：{f.unit}", f.done_note, f.done_by_id))
    names = user_names(e.actor_id for e in events)
    for event in events:
        event.actor = names.get(event.actor_id, "") if event.actor_id else ""
    return sorted(events, key=lambda e: e.at)


def _hearing_events(events: list[Event], hearing_ids: list[int]) -> None:
    for r in db.session.scalars(select(Recusal).options(joinedload(Recusal.evaluator))
                                .where(Recusal.hearing_id.in_(hearing_ids))):
        events.append(Event(r.created_at, f"回避（{r.source_label}）：{r.evaluator.name}",
                            r.reason, r.created_by_id))
        if r.decided_at and r.requested_by == "party":
            events.append(Event(r.decided_at, f"回避申请决定：{r.evaluator.name}{r.decision_label}",
                                r.decision_reason, r.decided_by_id))
    polls = db.session.scalars(select(Poll).where(Poll.hearing_id.in_(hearing_ids))).all()
    for p in polls:
        detail = f"{POLL_MODES[p.mode]}，出席 {p.present_count}/{p.panel_size} 人"
        if p.supersedes_id:
            detail += f"；更正理由：{p.correction_reason}"
        events.append(Event(p.opened_at, "更正表决，重新投票" if p.supersedes_id else "开始投票",
                            detail, p.opened_by_id))
        if p.closed_at:
            events.append(Event(p.closed_at, "结束投票",
                                f"有效票 {p.valid_count}，满意 {p.manyi_count}，不满意 "
                                f"{p.bumanyi_count}：{RESULTS[p.result]}", p.closed_by_id))
    poll_ids = [p.id for p in polls]
    if poll_ids:
        for c in db.session.scalars(select(PaperCount).where(PaperCount.poll_id.in_(poll_ids))):
            events.append(Event(c.entered_at, "计票人录入纸质票数",
                                f"发出 {c.issued}，收回 {c.returned}，有效 {c.valid}",
                                c.entered_by_id))
            if c.confirmed_at:
                events.append(Event(c.confirmed_at, "监票人确认票数", "", c.confirmed_by_id))
    letters = db.session.scalars(select(OpinionLetter).where(
        OpinionLetter.hearing_id.in_(hearing_ids))).all()
    for letter in letters:
        if letter.issued_at:
            events.append(Event(letter.issued_at, "签发第三方评价意见书", letter.number or "",
                                letter.issued_by_id))
    if letters:
        for d in db.session.scalars(select(Delivery).where(
                Delivery.letter_id.in_([x.id for x in letters]))):
            events.append(Event(d.created_at, f"意见书送达{d.party_label}",
                                f"{calendar.format_date(d.delivered_on)}，{d.method_label}，"
                                f"签收人 {d.recipient}",
                                d.recorded_by_id))
