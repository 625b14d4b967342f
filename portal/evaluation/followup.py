"""跟踪督办: the follow-up of a matter evaluated 不满意 — tasks with deadlines, listed until
done; the matter's follow-up ends when no task is left open. Callers commit."""
from __future__ import annotations

from datetime import date, datetime

from portal import events
from portal.errors import DomainError
from portal.evaluation.fields import actor_id, clean_text
from portal.evaluation.lifecycle import FOLLOWUP, MATTER
from portal.evaluation.models import FollowUp, Matter
from portal.extensions import db


def add_followup(matter: Matter, unit: str, task: str, deadline: date | None, actor,
                 now: datetime) -> FollowUp:
    MATTER.check(matter, "add_task", actor, now)
    reasons: dict[str, str] = {}
    unit = clean_text(reasons, "unit", unit, "承办单位", 60)
    task = clean_text(reasons, "task", task, "督办事项", 300, minimum=4)
    if deadline is None:
        reasons["deadline"] = "请填写办理期限"
    elif deadline < now.date():
        reasons["deadline"] = "办理期限不能早于今天"
    if reasons:
        raise DomainError(reasons)
    followup = FOLLOWUP.new(FollowUp, matter_id=matter.id, unit=unit, task=task,
                            deadline=deadline, created_by_id=actor_id(actor), created_at=now)
    db.session.add(followup)
    MATTER.fire(matter, "add_task", actor, now)
    matter.updated_at = now
    events.emit("evaluation.followup.create", "eval_followup", followup.id, actor=actor,
                matter=matter.id, deadline=deadline.isoformat())
    return followup


def complete_followup(followup: FollowUp, note: str, actor, now: datetime) -> None:
    """Mark a task done; the matter's follow-up ends when no task is left open."""
    FOLLOWUP.check(followup, "done", actor, now)
    reasons: dict[str, str] = {}
    note = clean_text(reasons, "note", note, "办理情况", 300)
    if reasons:
        raise DomainError(reasons)
    followup.done_at, followup.done_note = now, note
    followup.done_by_id = actor_id(actor)
    matter = db.session.get(Matter, followup.matter_id)
    FOLLOWUP.fire(followup, "done", actor, now, matter=matter.id)
    if MATTER.can(matter, "close", actor, now):
        MATTER.fire(matter, "close", actor, now)
    matter.updated_at = now
