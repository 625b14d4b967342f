"""What the public may read: published notices and results, masked (no personal data).

Every list is one statement (hearings joined to their matter, poll and letter), so the pages
do not grow in statements with the number of notices or results. Templates get only the
frozen notice texts (masked at publication) and the masked letter reasons.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, func, select
from sqlalchemy.orm import joinedload

from portal.evaluation.models import (
    Evaluator,
    Hearing,
    OpinionLetter,
    PanelMember,
    Poll,
)
from portal.evaluation.services import public_text
from portal.extensions import db

PAGE_SIZE = 20


def _notices():
    return (select(Hearing).options(joinedload(Hearing.matter))
            .where(Hearing.notice_published_at.is_not(None)))


def notices(today: date, page: int = 1) -> tuple[list[Hearing], list[Hearing], bool]:
    """Upcoming hearings (soonest first), then one page of past ones (latest first)."""
    upcoming = list(db.session.scalars(
        _notices().where(Hearing.day >= today).order_by(Hearing.day, Hearing.start_time,
                                                        Hearing.id)))
    past = list(db.session.scalars(
        _notices().where(Hearing.day < today).order_by(Hearing.day.desc(), Hearing.id.desc())
        .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)))
    return upcoming, past[:PAGE_SIZE], len(past) > PAGE_SIZE


def notice(hearing_id: int) -> Hearing | None:
    return db.session.scalar(_notices().where(Hearing.id == hearing_id))


@dataclass
class PublishedResult:
    hearing: Hearing
    poll: Poll
    letter: OpinionLetter

    @property
    def matter(self):
        return self.hearing.matter

    @property
    def reasons(self) -> str:
        """The letter's published part: the chair's reasons, names masked."""
        return public_text(self.letter.reasons, self.hearing.matter.petitioner_name)


def _results():
    return (select(Hearing, Poll, OpinionLetter)
            .options(joinedload(Hearing.matter))
            .join(Poll, and_(Poll.hearing_id == Hearing.id, Poll.status == "closed"))
            .join(OpinionLetter, OpinionLetter.hearing_id == Hearing.id)
            .where(Hearing.result_published_at.is_not(None)))


def results(page: int = 1, limit: int = PAGE_SIZE) -> tuple[list[PublishedResult], bool]:
    rows = db.session.execute(
        _results().order_by(Hearing.result_published_at.desc(), Hearing.id.desc())
        .offset((page - 1) * limit).limit(limit + 1)).all()
    return [PublishedResult(*row) for row in rows[:limit]], len(rows) > limit


def result(hearing_id: int) -> PublishedResult | None:
    row = db.session.execute(_results().where(Hearing.id == hearing_id)).first()
    return PublishedResult(*row) if row else None


def panel_composition(hearing_ids: list[int]) -> dict[int, list[tuple[str, int]]]:
    """Panel make-up by category (人大代表 2 名 …) — names are not published."""
    if not hearing_ids:
        return {}
    rows = db.session.execute(
        select(PanelMember.hearing_id, Evaluator.category, func.count())
        .join(Evaluator, Evaluator.id == PanelMember.evaluator_id)
        .where(PanelMember.hearing_id.in_(hearing_ids))
        .group_by(PanelMember.hearing_id, Evaluator.category)
        .order_by(PanelMember.hearing_id, Evaluator.category))
    found: dict[int, list[tuple[str, int]]] = {h: [] for h in hearing_ids}
    for hearing_id, category, count in rows:
        found[hearing_id].append((category, count))
    return found


def latest(today: date, count: int = 3) -> dict:
    """For the home page: the next notices and the latest results (three statements)."""
    upcoming = list(db.session.scalars(
        _notices().where(Hearing.day >= today, Hearing.status != "cancelled")
        .order_by(Hearing.day, Hearing.start_time, Hearing.id).limit(count)))
    latest_results, _ = results(limit=count)
    return {"notices": upcoming, "results": latest_results}
