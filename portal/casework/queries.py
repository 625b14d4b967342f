"""Read-side queries of supervision (督办), the unit list and the ledgers.

Nothing here writes or decides. Each function is one statement (or a fixed few), with the
relations a page needs joined in, so page statement counts do not grow with the rows; figures
are SQL aggregates. Lateness in days is computed from the dates already read (date arithmetic
differs between SQLite and PostgreSQL; comparisons do not).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import aliased, contains_eager

from portal.casework.models import RATINGS, HandOver, HandOverNote, HandOverRating, ReceptionRecord, Unit
from portal.extensions import db
from portal.reception.models import Booking, Leader, ReceptionSession

PER_PAGE = 50
STATES = {"open": "办理中", "concluded": "已办结", "all": "全部"}


# --- units ---------------------------------------------------------------------------------------

def unit(unit_id: int) -> Unit | None:
    return db.session.get(Unit, unit_id)


def units_with_open_counts() -> list[tuple[Unit, int]]:
    """Every unit, 县直部门 before 镇乡, active and inactive, with its open hand-overs."""
    open_count = (select(func.count(HandOver.id))
                  .where(HandOver.unit_id == Unit.id, HandOver.status == "open")
                  .correlate(Unit).scalar_subquery())
    kind_order = case((Unit.kind == "department", 0), else_=1)
    return [(u, n) for u, n in db.session.execute(
        select(Unit, open_count).order_by(kind_order, Unit.name, Unit.id))]


def all_units() -> list[Unit]:
    return list(db.session.scalars(
        select(Unit).order_by(case((Unit.kind == "department", 0), else_=1), Unit.name)))


# --- the supervision list ------------------------------------------------------------------------

@dataclass
class SupervisionRow:
    handover: HandOver
    citizen: str  # the booking's name, masked by the template
    code: str
    leader: str
    reception_day: date
    unit: str
    last_progress: date | None
    reminders: int
    rating: str | None = None  # 群众评价, once concluded and rated

    @property
    def rating_label(self) -> str:
        return RATINGS.get(self.rating or "", "")


def _last_progress():
    return (select(func.max(HandOverNote.noted_on))
            .where(HandOverNote.handover_id == HandOver.id, HandOverNote.kind == "progress")
            .correlate(HandOver).scalar_subquery())


def _reminder_count():
    return (select(func.count(HandOverNote.id))
            .where(HandOverNote.handover_id == HandOver.id, HandOverNote.kind == "reminder")
            .correlate(HandOver).scalar_subquery())


def _supervision_filter(unit_id: int | None, state: str, urgent: bool, today: date,
                        soon_days: int) -> list:
    criteria = []
    if unit_id:
        criteria.append(HandOver.unit_id == unit_id)
    if state in ("open", "concluded"):
        criteria.append(HandOver.status == state)
    if urgent:
        criteria += [HandOver.status == "open",
                     HandOver.due_on <= today + timedelta(days=soon_days)]
    return criteria


def supervision_page(unit_id: int | None, state: str, urgent: bool, today: date,
                     soon_days: int, page: int) -> tuple[list[SupervisionRow], int]:
    """One page of hand-overs (open ones first, by the deadline in force) and the total."""
    criteria = _supervision_filter(unit_id, state, urgent, today, soon_days)
    total = db.session.scalar(select(func.count(HandOver.id)).where(*criteria))
    query = (
        select(HandOver, Booking.name, Booking.code, Leader.name, ReceptionSession.day,
               Unit.name, _last_progress(), _reminder_count(), HandOverRating.rating)
        .join(Unit, Unit.id == HandOver.unit_id)
        .outerjoin(HandOverRating, HandOverRating.handover_id == HandOver.id)
        .join(ReceptionRecord, ReceptionRecord.id == HandOver.record_id)
        .join(Booking, Booking.id == ReceptionRecord.booking_id)
        .join(ReceptionSession, ReceptionSession.id == Booking.session_id)
        .join(Leader, Leader.id == ReceptionSession.leader_id)
        .where(*criteria)
        .order_by(*_supervision_order(state, urgent))
        .limit(PER_PAGE).offset((page - 1) * PER_PAGE))
    rows = [SupervisionRow(*row) for row in db.session.execute(query)]
    return rows, total


def _supervision_order(state: str, urgent: bool) -> tuple:
    """Open cases first, by the deadline in force. With one state chosen the first term is
    constant and left out, so the (status, due_on) index gives the page without a sort."""
    if state in ("open", "concluded") or urgent:
        return HandOver.due_on, HandOver.id
    return case((HandOver.status == "open", 0), else_=1), HandOver.due_on, HandOver.id


def supervision_counts(unit_id: int | None, today: date, soon_days: int) -> dict[str, int]:
    """Open, due soon, overdue, concluded this month — one statement of four counts, each an
    index range (status, due_on / concluded_on): never a walk over every hand-over."""
    is_open = HandOver.status == "open"
    month_start = today.replace(day=1)

    def count(*condition):
        query = select(func.count(HandOver.id)).where(*condition)
        if unit_id:
            query = query.where(HandOver.unit_id == unit_id)
        return query.scalar_subquery()

    query = select(
        count(is_open),
        count(is_open, HandOver.due_on >= today,
              HandOver.due_on <= today + timedelta(days=soon_days)),
        count(is_open, HandOver.due_on < today),
        count(HandOver.status == "concluded", HandOver.concluded_on >= month_start),
    )
    open_, soon, overdue, concluded = db.session.execute(query).one()
    return {"open": open_, "due_soon": soon, "overdue": overdue, "concluded_month": concluded}


# --- one hand-over -------------------------------------------------------------------------------

@dataclass
class HandOverView:
    handover: HandOver
    record: ReceptionRecord
    booking: Booking
    session: ReceptionSession
    leader: Leader
    duty_leader: Leader
    notes: list[HandOverNote]


def handover(handover_id: int) -> HandOverView | None:
    """The hand-over with its unit, record, visit, leaders (one statement) and notes (one)."""
    duty = aliased(Leader)
    row = db.session.execute(
        select(HandOver, ReceptionRecord, Booking, ReceptionSession, Leader, duty)
        .join(HandOver.unit).options(contains_eager(HandOver.unit))
        .join(ReceptionRecord, ReceptionRecord.id == HandOver.record_id)
        .join(Booking, Booking.id == ReceptionRecord.booking_id)
        .join(ReceptionSession, ReceptionSession.id == Booking.session_id)
        .join(Leader, Leader.id == ReceptionSession.leader_id)
        .join(duty, duty.id == ReceptionSession.duty_leader_id)
        .where(HandOver.id == handover_id)).one_or_none()
    if row is None:
        return None
    notes = list(db.session.scalars(
        select(HandOverNote).where(HandOverNote.handover_id == handover_id)
        .order_by(HandOverNote.noted_on.desc(), HandOverNote.id.desc())))
    return HandOverView(*row, notes=notes)


def handover_row(handover_id: int) -> HandOver | None:
    """The bare hand-over, for the services (which read nothing else of it)."""
    return db.session.get(HandOver, handover_id)


# --- ledgers -------------------------------------------------------------------------------------

def _count_if(condition):
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _case_figures(today: date) -> list:
    """Hand-over figures over rows joined (outer) to HandOver: all, open, concluded, open past
    the deadline, concluded after it."""
    is_open = HandOver.status == "open"
    return [func.count(HandOver.id), _count_if(is_open),
            _count_if(HandOver.status == "concluded"),
            _count_if(and_(is_open, HandOver.due_on < today)),
            _count_if(HandOver.concluded_on > HandOver.due_on)]


FIGURES = ("handovers", "open", "concluded", "overdue", "late_concluded")


def _rating_figures() -> list:
    """满意 / 基本满意 / 不满意 counts over rows joined (outer) to HandOverRating."""
    return [_count_if(HandOverRating.rating == key) for key in RATINGS]


def leader_ledgers(start: date, end: date, today: date) -> list[tuple[Leader, dict[str, int]]]:
    """Each leader's sessions held (published, in the range, not after today), duty days as
    the duty leader of another's session, people received, records and cases — four
    statements whatever the number of leaders."""
    leaders = list(db.session.scalars(select(Leader).order_by(Leader.active.desc(), Leader.name,
                                                              Leader.id)))
    held = and_(ReceptionSession.status == "published", ReceptionSession.day >= start,
                ReceptionSession.day <= min(end, today))
    sessions = dict(db.session.execute(
        select(ReceptionSession.leader_id, func.count(ReceptionSession.id)).where(held)
        .group_by(ReceptionSession.leader_id)).all())
    duty = dict(db.session.execute(
        select(ReceptionSession.duty_leader_id, func.count(ReceptionSession.id))
        .where(held, ReceptionSession.duty_leader_id != ReceptionSession.leader_id)
        .group_by(ReceptionSession.duty_leader_id)).all())
    cases = {row[0]: row[1:] for row in db.session.execute(
        select(ReceptionSession.leader_id, func.count(Booking.id),
               func.count(ReceptionRecord.id), *_case_figures(today), *_rating_figures())
        .join(Booking, Booking.session_id == ReceptionSession.id)
        .outerjoin(ReceptionRecord, ReceptionRecord.booking_id == Booking.id)
        .outerjoin(HandOver, HandOver.record_id == ReceptionRecord.id)
        .outerjoin(HandOverRating, HandOverRating.handover_id == HandOver.id)
        .where(held, Booking.status == "checked_in").group_by(ReceptionSession.leader_id))}
    result = []
    for leader in leaders:
        figures = dict(zip(("received", "records", *FIGURES, *RATINGS),
                           cases.get(leader.id, (0,) * (7 + len(RATINGS))), strict=True))
        figures.update(sessions=sessions.get(leader.id, 0), duty_days=duty.get(leader.id, 0))
        result.append((leader, figures))
    return result


def leader(leader_id: int) -> Leader | None:
    return db.session.get(Leader, leader_id)


@dataclass
class LedgerSession:
    session: ReceptionSession
    leader: str
    duty_leader: str
    received: int
    records: int
    handovers: int


def leader_sessions(leader_id: int, start: date, end: date) -> list[LedgerSession]:
    """The leader's published sessions in the range, received or on duty, with counts."""
    per_session = (
        select(Booking.session_id.label("session_id"), func.count(Booking.id).label("received"),
               func.count(ReceptionRecord.id).label("records"),
               func.count(HandOver.id).label("handovers"))
        .outerjoin(ReceptionRecord, ReceptionRecord.booking_id == Booking.id)
        .outerjoin(HandOver, HandOver.record_id == ReceptionRecord.id)
        .where(Booking.status == "checked_in").group_by(Booking.session_id).subquery())
    duty = aliased(Leader)
    rows = db.session.execute(
        select(ReceptionSession, Leader.name, duty.name,
               func.coalesce(per_session.c.received, 0), func.coalesce(per_session.c.records, 0),
               func.coalesce(per_session.c.handovers, 0))
        .join(Leader, Leader.id == ReceptionSession.leader_id)
        .join(duty, duty.id == ReceptionSession.duty_leader_id)
        .outerjoin(per_session, per_session.c.session_id == ReceptionSession.id)
        .where(or_(ReceptionSession.leader_id == leader_id,
                   ReceptionSession.duty_leader_id == leader_id),
               ReceptionSession.status == "published",
               ReceptionSession.day >= start, ReceptionSession.day <= end)
        .order_by(ReceptionSession.day, ReceptionSession.start_time, ReceptionSession.id))
    return [LedgerSession(*row) for row in rows]


@dataclass
class LedgerCase:
    handover: HandOver
    unit: str
    citizen: str
    code: str
    leader: str
    reception_day: date
    rating: str | None = None  # 群众评价

    @property
    def rating_label(self) -> str:
        return RATINGS.get(self.rating or "", "")


def _cases(*criteria) -> list[LedgerCase]:
    rows = db.session.execute(
        select(HandOver, Unit.name, Booking.name, Booking.code, Leader.name,
               ReceptionSession.day, HandOverRating.rating)
        .join(Unit, Unit.id == HandOver.unit_id)
        .outerjoin(HandOverRating, HandOverRating.handover_id == HandOver.id)
        .join(ReceptionRecord, ReceptionRecord.id == HandOver.record_id)
        .join(Booking, Booking.id == ReceptionRecord.booking_id)
        .join(ReceptionSession, ReceptionSession.id == Booking.session_id)
        .join(Leader, Leader.id == ReceptionSession.leader_id)
        .where(*criteria).order_by(HandOver.handed_on, HandOver.id))
    return [LedgerCase(*row) for row in rows]


def leader_cases(leader_id: int, start: date, end: date) -> list[LedgerCase]:
    """Every case the leader handed over at a session in the range."""
    return _cases(ReceptionSession.leader_id == leader_id, ReceptionSession.day >= start,
                  ReceptionSession.day <= end)


def unit_cases(unit_id: int, start: date, end: date) -> list[LedgerCase]:
    """Every case handed to the unit in the range, open and concluded."""
    return _cases(HandOver.unit_id == unit_id, HandOver.handed_on >= start,
                  HandOver.handed_on <= end)


# --- deadlines, in words ---------------------------------------------------------------------------

@dataclass
class Deadline:
    css: str  # "overdue", "due-soon", "on-time", "concluded", "concluded-late"
    text: str  # shown beside the colour: "超期 3 天", "5 天后到期"


def deadline(h: HandOver, today: date, soon_days: int) -> Deadline:
    """Where a hand-over stands against its deadline in force, in words (not colour alone)."""
    if h.concluded_on is not None:
        late = h.days_late(today)
        return (Deadline("concluded-late", f"超期 {late} 天办结") if late
                else Deadline("concluded", "按期办结"))
    left = (h.due_on - today).days
    if left < 0:
        return Deadline("overdue", f"超期 {-left} 天")
    if left == 0:
        return Deadline("due-soon", "今天到期")
    if left <= soon_days:
        return Deadline("due-soon", f"{left} 天后到期")
    return Deadline("on-time", f"还有 {left} 天")


def lateness(cases: list[LedgerCase], today: date) -> dict[str, float | int]:
    """A unit's (or a leader's) figures over the cases already read: how many, open,
    concluded, late, the average days late (over all cases, and over the late ones), and the
    citizens' ratings ({label: (key, count)})."""
    days = [c.handover.days_late(today) for c in cases]
    late = [d for d in days if d]
    concluded = sum(1 for c in cases if c.handover.concluded_on is not None)
    ratings = dict.fromkeys(RATINGS, 0)  # 群众评价: 满意 / 基本满意 / 不满意
    for c in cases:
        if c.rating:
            ratings[c.rating] += 1
    return {"cases": len(cases), "concluded": concluded, "open": len(cases) - concluded,
            "late": len(late), "average": round(sum(days) / len(days), 1) if days else 0,
            "average_late": round(sum(late) / len(late), 1) if late else 0,
            "ratings": {RATINGS[k]: (k, n) for k, n in ratings.items()}}
