"""Evaluation matters in bulk for benchmarks (``flask --app wsgi demo seed --matters N``).

Like ``portal.demo_volume``: bulk inserts (COPY on PostgreSQL) in chunks with ids assigned here, every
constraint and index in force, real ciphertexts made once for a pool and reused. One matter in
ten went the whole way: a noticed hearing of nine evaluators (one chair), a closed paper poll,
an issued opinion letter and a published result (满意, or 不满意 and since closed), so the
public notices, results, result pages and the feed read realistic volumes. The others are
registered and waiting for an application.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from portal import calendar, privacy
from portal.demo_volume import CipherPool, IdCounter, bulk_write, fix_sequences
from portal.evaluation.demo import MATTERS, PETITIONERS, REASONS_SATISFIED, REASONS_UNSATISFIED
from portal.evaluation.lifecycle import HEARING, MATTER, POLL
from portal.evaluation.models import Evaluator, Hearing, Matter, OpinionLetter, PanelMember
from portal.evaluation.poll_records import Poll
from portal.extensions import db
from portal.identity import canonical_reference

CHUNK = 5000  # matters per INSERT batch and commit
PANEL = 9
HEARINGS_PER_DAY = 3
OPINION = "经调查核实，责任单位已依法依规作出处理，并书面答复信访人。"


@dataclass
class _Batch:
    matters: list[dict] = field(default_factory=list)
    hearings: list[dict] = field(default_factory=list)
    members: list[dict] = field(default_factory=list)
    polls: list[dict] = field(default_factory=list)
    letters: list[dict] = field(default_factory=list)

    def write(self) -> None:
        bulk_write((Matter, self.matters), (Hearing, self.hearings),
                   (PanelMember, self.members), (Poll, self.polls),
                   (OpinionLetter, self.letters))


@dataclass
class _Matters:
    pool: CipherPool
    now: datetime
    evaluators: list[int]
    clerk_id: int | None
    ids: IdCounter
    hearings: int = 0


def seed_matters(rng: random.Random, count: int, now: datetime) -> str:
    if count <= 0:
        return ""
    from portal.accounts.models import User

    pool = CipherPool.make(rng, min(200, count))
    pool.texts.update(opinion=privacy.encrypt(OPINION),
                      address=privacy.encrypt("青石镇白果村三组 18 号"))
    seed = _Matters(
        pool, now, list(db.session.scalars(select(Evaluator.id).order_by(Evaluator.id)))[:PANEL],
        db.session.scalar(select(User.id).where(User.role == "evaluation").order_by(User.id)),
        IdCounter(Matter, Hearing, PanelMember, Poll, OpinionLetter))
    made = 0
    while made < count:
        batch = _Batch()
        for _ in range(min(CHUNK, count - made)):
            _matter(seed, batch, made)
            made += 1
        batch.write()
        db.session.commit()
    fix_sequences(Matter, Hearing, PanelMember, Poll, OpinionLetter)
    db.session.commit()
    return f"{made} extra evaluation matters for benchmarks ({seed.hearings} published results)"


def _matter(seed: _Matters, batch: _Batch, index: int) -> None:
    matter_id = seed.ids.take(Matter)
    title, category, unit, level, summary = MATTERS[index % len(MATTERS)]
    person = seed.pool.people[index % len(seed.pool.people)]
    evaluated = index % 10 == 0 and len(seed.evaluators) == PANEL
    satisfied = index % 30 != 0
    day = _hearing_day(seed) if evaluated else None
    status, result = ("registered", None)
    if evaluated:
        status, result = ("satisfied", "satisfied") if satisfied else ("closed", "unsatisfied")
    number = f"XF-V{matter_id:07d}"
    opened = seed.now - timedelta(days=30) if day is None else calendar.local(
        day - timedelta(days=20), time(9))
    batch.matters.append(MATTER.history(
        status, id=matter_id, number=number, number_key=canonical_reference(number),
        title=title, category=category, unit=unit, level=level, summary=summary,
        petitioner_name=PETITIONERS[index % len(PETITIONERS)][0],
        petitioner_id_cipher=person.id_cipher, petitioner_id_hash=person.id_hash,
        petitioner_id_last4=person.id_last4, petitioner_phone_cipher=person.phone_cipher,
        petitioner_address_cipher=seed.pool.texts["address"],
        opinion_cipher=seed.pool.texts["opinion"], opinion_date=opened.date(), result=result,
        result_published_on=None if day is None else day + timedelta(days=1),
        created_at=opened, updated_at=opened))
    if day is not None:
        _published_hearing(seed, batch, matter_id, level, title, day, result)


def _hearing_day(seed: _Matters) -> date:
    """Three hearings a working day, going back from a week ago."""
    day = seed.now.date() - timedelta(days=7 + seed.hearings // HEARINGS_PER_DAY)
    seed.hearings += 1
    return day - timedelta(days=max(0, day.weekday() - 4))


def _published_hearing(seed: _Matters, batch: _Batch, matter_id: int, level: str, title: str,
                       day: date, result: str) -> None:
    hearing_id, poll_id = seed.ids.take(Hearing), seed.ids.take(Poll)
    noticed, held = calendar.local(day - timedelta(days=7), time(15)), calendar.local(day, time(9))
    published = calendar.local(day + timedelta(days=1), time(9))
    batch.hearings.append(HEARING.history(
        "published", id=hearing_id, matter_id=matter_id, level=level, day=day,
        start_time=time(9, 30), place="县人民来访接待中心", cancel_reason="", cancelled_at=None,
        notice_published_at=noticed, notice_party="信访人及责任单位", notice_title=title,
        notice_summary=f"定于{day:%Y年%m月%d日}召开第三方评价会。", result_published_at=published,
        created_by_id=seed.clerk_id, created_at=noticed))
    batch.members += [{"id": seed.ids.take(PanelMember), "hearing_id": hearing_id,
                       "evaluator_id": evaluator, "is_chair": n == 0, "present": True}
                      for n, evaluator in enumerate(seed.evaluators)]
    manyi = 7 if result == "satisfied" else 3
    batch.polls.append(POLL.history(
        "closed", id=poll_id, hearing_id=hearing_id, mode="paper", secret=True,
        allow_abstain=False, pass_rule="half", panel_size=PANEL, present_count=PANEL, quorum=6,
        opened_at=held, opened_by_id=seed.clerk_id, closed_at=held + timedelta(minutes=50),
        closed_by_id=seed.clerk_id, valid_count=PANEL, manyi_count=manyi,
        bumanyi_count=PANEL - manyi, abstain_count=0, result=result, supersedes_id=None,
        correction_reason=""))
    batch.letters.append({
        "id": seed.ids.take(OpinionLetter), "hearing_id": hearing_id, "poll_id": poll_id,
        "number": f"评意〔{day.year}〕V{hearing_id}号",
        "reasons": REASONS_SATISFIED if result == "satisfied" else REASONS_UNSATISFIED,
        "reasons_by_id": seed.clerk_id, "issued_at": held + timedelta(hours=2),
        "issued_by_id": seed.clerk_id, "created_at": held, "updated_at": held})
