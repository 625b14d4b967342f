"""Read-side queries of evaluation: what the public, staff and panel pages (and the rules'
guards) read. Nothing here writes or decides.

Every public list is one statement (hearings joined to their matter, poll and letter), so the
pages do not grow in statements with the number of notices or results; templates get only the
frozen notice texts (masked at publication) and the masked letter reasons.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from portal.accounts.models import User
from portal.evaluation.codes import LEVELS, MATTER_STATUSES
from portal.evaluation.fields import public_text
from portal.evaluation.models import (
    Application,
    ApplicationCondition,
    Delivery,
    Evaluator,
    FollowUp,
    Hearing,
    Matter,
    OpinionLetter,
    PanelMember,
    Recusal,
)
from portal.evaluation.poll_records import PaperCount, Participation, Poll
from portal.extensions import db
from portal.identity import canonical_reference
from portal.vocabulary import CATEGORIES

PAGE_SIZE = 20
SHOWN_TO_PANEL = ("noticed", "published")  # a panel member sees a hearing once it is public


def locked(model, ident: int):
    """A row read FOR UPDATE (PostgreSQL) before a state change: concurrent changes of one
    record queue up and each sees the one before. SQLite serialises writers already."""
    return db.session.scalar(select(model).where(model.id == ident).with_for_update())


def by_id(model, ident: int):
    """One record by its primary key (from the session when already loaded), or None."""
    return db.session.get(model, ident)


def user_names(ids) -> dict[int, str]:
    """Display names of staff users, in one statement."""
    ids = {i for i in ids if i}
    if not ids:
        return {}
    return dict(db.session.execute(
        select(User.id, User.display_name).where(User.id.in_(ids))).all())


# --- matters and applications --------------------------------------------------------------------

@dataclass
class MatterFilter:
    status: str = ""
    level: str = ""
    category: str = ""
    q: str = ""


def matters(filters: MatterFilter, limit: int = 200) -> list[Matter]:
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


def matter_counts() -> dict[str, int]:
    return dict(db.session.execute(
        select(Matter.status, func.count()).group_by(Matter.status)).all())


def matter_with_number(number_key: str) -> int | None:
    return db.session.scalar(select(Matter.id).where(Matter.number_key == number_key))


def satisfied_matter(number_key: str) -> Matter | None:
    """The matter with this (canonical) number, if it was evaluated 满意 and published."""
    return db.session.scalar(
        select(Matter).where(Matter.number_key == number_key, Matter.result == "satisfied",
                             Matter.result_published_on.is_not(None)))


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


def matter_applications(matter_id: int) -> list[Application]:
    return list(db.session.scalars(
        select(Application).options(selectinload(Application.conditions))
        .where(Application.matter_id == matter_id).order_by(Application.id)))


def load_application(application_id: int, lock: bool = False) -> Application | None:
    query = (select(Application).options(selectinload(Application.conditions))
             .where(Application.id == application_id))
    return db.session.scalar(query.with_for_update(of=Application) if lock else query)


def recorded_conditions(application_id: int) -> dict[str, bool]:
    """The conditions recorded for an application: code -> whether it holds."""
    return {c.code: c.holds for c in db.session.scalars(
        select(ApplicationCondition).where(ApplicationCondition.application_id == application_id))}


# --- hearings, panels, recusals ------------------------------------------------------------------

def _hearing_query():
    return select(Hearing).options(
        joinedload(Hearing.matter),
        selectinload(Hearing.members).joinedload(PanelMember.evaluator))


def load_hearing(hearing_id: int, lock: bool = False) -> Hearing | None:
    """A hearing with its matter and panel (members and their evaluators) loaded.

    ``lock`` (for state changes) takes the hearing row FOR UPDATE on PostgreSQL, so two
    staff acting on one hearing at once queue up and the second sees the first's result;
    SQLite's BEGIN IMMEDIATE serialises writers already.
    """
    query = _hearing_query().where(Hearing.id == hearing_id)
    if lock:
        query = query.with_for_update(of=Hearing)
    return db.session.scalar(query)


def hearing_for_panel(hearing_id: int) -> Hearing | None:
    """A hearing as a panel member may see it: only once its notice is public."""
    return db.session.scalar(_hearing_query().where(Hearing.id == hearing_id,
                                                    Hearing.status.in_(SHOWN_TO_PANEL)))


def hearing_row(hearing_id: int) -> Hearing | None:
    """The hearing row alone (from the session when already loaded)."""
    return db.session.get(Hearing, hearing_id)


def matter_hearings(matter_id: int) -> list[Hearing]:
    return list(db.session.scalars(select(Hearing).where(Hearing.matter_id == matter_id)
                                   .order_by(Hearing.id)))


def panel_hearings_for(user_id: int) -> list[Hearing]:
    """Hearings (not cancelled, notice published) whose panel includes this panel login."""
    return list(db.session.scalars(
        select(Hearing).options(joinedload(Hearing.matter))
        .join(PanelMember, PanelMember.hearing_id == Hearing.id)
        .join(Evaluator, Evaluator.id == PanelMember.evaluator_id)
        .where(Evaluator.user_id == user_id, Hearing.status.in_(SHOWN_TO_PANEL))
        .order_by(Hearing.day.desc(), Hearing.id.desc())).unique())


def member_for_user(hearing: Hearing, user_id: int) -> PanelMember | None:
    """The user's place on the (loaded) panel, or None."""
    return next((m for m in hearing.members if m.evaluator.user_id == user_id), None)


def evaluators_by_id(ids: list[int]) -> dict[int, Evaluator]:
    if not ids:
        return {}
    return {e.id: e for e in db.session.scalars(select(Evaluator).where(Evaluator.id.in_(ids)))}


def list_evaluators(include_inactive: bool = True) -> list[Evaluator]:
    query = select(Evaluator).order_by(Evaluator.active.desc(), Evaluator.category, Evaluator.id)
    if not include_inactive:
        query = query.where(Evaluator.active.is_(True))
    return list(db.session.scalars(query))


def panel_candidates() -> list[Evaluator]:
    """The active pool, as the panel form lists it."""
    return list(db.session.scalars(select(Evaluator).where(Evaluator.active.is_(True))
                                   .order_by(Evaluator.category, Evaluator.id)))


def panel_accounts(exclude_evaluator: int | None = None) -> list[User]:
    """Active ``panel`` logins not yet linked to another evaluator."""
    linked = select(Evaluator.user_id).where(Evaluator.user_id.is_not(None))
    if exclude_evaluator:
        linked = linked.where(Evaluator.id != exclude_evaluator)
    return list(db.session.scalars(
        select(User).where(User.role == "panel", User.active.is_(True), User.id.not_in(linked))
        .order_by(User.username)))


def granted_recusals(hearing_id: int, source: str | None = None) -> set[int]:
    """Evaluators whose recusal from this hearing was granted (asked for by ``source``)."""
    query = select(Recusal.evaluator_id).where(Recusal.hearing_id == hearing_id,
                                               Recusal.decision == "granted")
    if source:
        query = query.where(Recusal.requested_by == source)
    return set(db.session.scalars(query))


def pending_recusal(hearing_id: int, evaluator_id: int | None) -> int | None:
    return db.session.scalar(select(Recusal.id).where(
        Recusal.hearing_id == hearing_id, Recusal.evaluator_id == evaluator_id,
        Recusal.decision == "pending"))


def hearing_recusals(hearing_id: int) -> list[Recusal]:
    return list(db.session.scalars(
        select(Recusal).options(joinedload(Recusal.evaluator))
        .where(Recusal.hearing_id == hearing_id).order_by(Recusal.id)))


# --- polls, letters ------------------------------------------------------------------------------

def current_poll(hearing_id: int) -> Poll | None:
    return db.session.scalar(select(Poll).where(Poll.hearing_id == hearing_id,
                                                Poll.status != "superseded"))


def superseded_polls(hearing_id: int) -> list[Poll]:
    return list(db.session.scalars(select(Poll).where(
        Poll.hearing_id == hearing_id, Poll.status == "superseded").order_by(Poll.id)))


def paper_count(poll_id: int) -> PaperCount | None:
    return db.session.get(PaperCount, poll_id)


def voted_count(poll_id: int) -> int:
    return db.session.scalar(select(func.count()).select_from(Participation)
                             .where(Participation.poll_id == poll_id))


def has_voted(poll_id: int, member_id: int) -> bool:
    return db.session.get(Participation, (poll_id, member_id)) is not None


def letter_for(hearing_id: int) -> OpinionLetter | None:
    return db.session.scalar(select(OpinionLetter).where(OpinionLetter.hearing_id == hearing_id))


def letters_numbered(prefix: str) -> int:
    return db.session.scalar(select(func.count(OpinionLetter.id)).where(
        OpinionLetter.number.like(prefix + "%")))


def deliveries(letter_id: int) -> list[Delivery]:
    return list(db.session.scalars(select(Delivery).where(Delivery.letter_id == letter_id)
                                   .order_by(Delivery.id)))


# --- follow-up -----------------------------------------------------------------------------------

def followups(status: str = "open", limit: int = 200) -> list[FollowUp]:
    query = select(FollowUp).options(joinedload(FollowUp.matter)).where(FollowUp.status == status)
    if status == "open":
        query = query.order_by(FollowUp.deadline, FollowUp.id)
    else:
        query = query.order_by(FollowUp.done_at.desc(), FollowUp.id.desc())
    return list(db.session.scalars(query.limit(limit)))


def overdue_count(today: date) -> int:
    return db.session.scalar(select(func.count(FollowUp.id)).where(
        FollowUp.status == "open", FollowUp.deadline < today))


def open_task_count(matter_id: int) -> int:
    return db.session.scalar(select(func.count(FollowUp.id)).where(
        FollowUp.matter_id == matter_id, FollowUp.status == "open"))


def matter_followups(matter_id: int) -> list[FollowUp]:
    return list(db.session.scalars(select(FollowUp).where(FollowUp.matter_id == matter_id)
                                   .order_by(FollowUp.status.desc(), FollowUp.deadline)))


# --- what the public reads -----------------------------------------------------------------------

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
    newest_first = (Hearing.result_published_at.desc(), Hearing.id.desc())
    # The page's hearings first, from one table: the planner walks the (result_published_at,
    # id) index and stops at the page instead of joining every result and sorting them.
    page_ids = (
        select(Hearing.id)
        .where(Hearing.result_published_at.is_not(None),
               select(Poll.id).where(Poll.hearing_id == Hearing.id, Poll.status == "closed")
               .exists(),
               select(OpinionLetter.id).where(OpinionLetter.hearing_id == Hearing.id).exists())
        .order_by(*newest_first).offset((page - 1) * limit).limit(limit + 1))
    rows = db.session.execute(
        _results().where(Hearing.id.in_(page_ids)).order_by(*newest_first)).all()
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


def upcoming_hearings(today: date) -> list[Hearing]:
    """Hearings still to be held (planned or noticed, from today), soonest first."""
    return list(db.session.scalars(
        select(Hearing).options(joinedload(Hearing.matter))
        .where(Hearing.day >= today, Hearing.status.in_(("planned", "noticed")))
        .order_by(Hearing.day, Hearing.start_time, Hearing.id)))
