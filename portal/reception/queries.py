"""Read-side queries of reception: what the public and staff pages (and the home page) show.

Nothing here writes or decides; each function is one statement (or none), with the relations a
page needs loaded in it, so page statement counts do not grow with the data.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import and_, exists, func, select
from sqlalchemy.orm import joinedload

from portal import calendar, settings

# The one deliberate cross-domain question (CONVENTIONS.md): which petitioners have a matter
# evaluated 满意?
from portal.evaluation.interface import satisfied_petitioners
from portal.extensions import db
from portal.reception.models import (
    PERSON_ACTIVE,
    PLACE_HOLDING,
    Booking,
    Leader,
    LeaderCategory,
    Place,
    ReceptionSession,
)
from portal.reception.window import Window, booking_window, is_bookable

# --- weeks --------------------------------------------------------------------------------------

def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def current_week(today: date) -> date:
    """The Monday of the week the schedule starts from: at the weekend, the coming one."""
    return week_start(today + timedelta(days=2 if today.weekday() >= 5 else 0))


# --- places -------------------------------------------------------------------------------------

def place_taken(place_id_column):
    """SQL: a booking holds this place (every booking not cancelled or declined)."""
    return exists().where(
        and_(Booking.place_id == place_id_column, Booking.status.in_(PLACE_HOLDING))
    )


def _per_session(query, session_ids: list[int]) -> dict[int, int]:
    counts = dict.fromkeys(session_ids, 0)
    counts.update({sid: n for sid, n in db.session.execute(query)})
    return counts


def free_places(session_ids: list[int], walk_in: bool = False) -> dict[int, int]:
    """Free places per session, in one statement: the bookable ones, or (``walk_in``) those
    kept for walk-ins (现场登记), which are never offered online."""
    if not session_ids:
        return {}
    return _per_session(
        select(Place.session_id, func.count(Place.id))
        .where(Place.session_id.in_(session_ids), Place.walk_in.is_(walk_in),
               ~place_taken(Place.id))
        .group_by(Place.session_id), session_ids)


def total_places(session_ids: list[int], walk_in: bool = False) -> dict[int, int]:
    """Places per session: the bookable ones, or (``walk_in``) the walk-in ones."""
    if not session_ids:
        return {}
    return _per_session(
        select(Place.session_id, func.count(Place.id))
        .where(Place.session_id.in_(session_ids), Place.walk_in.is_(walk_in))
        .group_by(Place.session_id), session_ids)


def bookable_places(session_id: int) -> tuple[int, int]:
    """One session's bookable places, (free, total), in one statement (the session page)."""
    free, total = db.session.execute(
        select(func.count(Place.id).filter(~place_taken(Place.id)), func.count(Place.id))
        .where(Place.session_id == session_id, Place.walk_in.is_(False))).one()
    return free, total


def place_counts(session_id: int) -> dict[str, int]:
    """One session's places for staff pages: bookable free/total, walk-in free/total."""
    ids = [session_id]
    return {"free": free_places(ids)[session_id], "total": total_places(ids)[session_id],
            "walk_in_free": free_places(ids, walk_in=True)[session_id],
            "walk_in_total": total_places(ids, walk_in=True)[session_id]}


def walk_in_place_use(session_id: int) -> list[tuple[Place, bool]]:
    """A session's walk-in places by number, each with whether any booking row points at it."""
    used = exists().where(Booking.place_id == Place.id)
    return [(place, bool(in_use)) for place, in_use in db.session.execute(
        select(Place, used).where(Place.session_id == session_id, Place.walk_in.is_(True))
        .order_by(Place.number))]


def last_place_number(session_id: int) -> int:
    return db.session.scalar(
        select(func.coalesce(func.max(Place.number), 0)).where(Place.session_id == session_id))


def place_held(place_id: int) -> bool:
    """Does a booking hold this place now?"""
    return bool(db.session.scalar(
        select(func.count(Booking.id)).where(Booking.place_id == place_id,
                                             Booking.status.in_(PLACE_HOLDING))))


def held_places(bookings: list[Booking]) -> set[int]:
    """The places held among already loaded bookings (all of a session's: no statement)."""
    return {b.place_id for b in bookings if b.status in PLACE_HOLDING}


# --- leaders ------------------------------------------------------------------------------------

def active_leaders() -> list[Leader]:
    return list(db.session.scalars(select(Leader).where(Leader.active.is_(True))
                                   .order_by(Leader.id)))


def all_leaders() -> list[Leader]:
    """Staff list: serving leaders first."""
    return list(db.session.scalars(select(Leader).order_by(Leader.active.desc(), Leader.id)))


def leader(leader_id: int) -> Leader | None:
    return db.session.get(Leader, leader_id)


# --- the public schedule ------------------------------------------------------------------------

def published_sessions(start: date, end: date | None, leader_id: int | None = None,
                       place: str | None = None, category: str | None = None,
                       limit: int | None = None) -> list[ReceptionSession]:
    """Published sessions from ``start`` to ``end`` (inclusive; None: any later day), of one
    leader, at one place, or with a leader whose portfolio holds ``category``; the first
    ``limit`` in date order. Leaders are loaded in the same query."""
    query = (
        select(ReceptionSession)
        .options(joinedload(ReceptionSession.leader))
        .where(ReceptionSession.status == "published", ReceptionSession.day >= start)
        .order_by(ReceptionSession.day, ReceptionSession.start_time, ReceptionSession.id)
    )
    if end is not None:
        query = query.where(ReceptionSession.day <= end)
    if leader_id:
        query = query.where(ReceptionSession.leader_id == leader_id)
    if place:
        query = query.where(ReceptionSession.place == place)
    if category:
        query = query.where(ReceptionSession.leader_id.in_(
            select(LeaderCategory.leader_id).where(LeaderCategory.category == category)))
    if limit is not None:
        query = query.limit(limit)
    return list(db.session.scalars(query).unique())


def schedule_places(today: date) -> list[str]:
    """The places of upcoming published sessions, for the schedule's filter."""
    return list(db.session.scalars(
        select(ReceptionSession.place).where(ReceptionSession.status == "published",
                                             ReceptionSession.day >= today)
        .distinct().order_by(ReceptionSession.place)))


def schedule(week: date, today: date, leader_id: int | None = None, place: str | None = None,
             weeks: int = 1, now: datetime | None = None) -> dict:
    """Sessions of ``weeks`` weeks that can still be attended, with free places and windows
    (a fixed number of statements however many sessions there are)."""
    start = max(week, today)
    end = week + timedelta(days=7 * weeks - 1)
    return _listing(published_sessions(start, end, leader_id, place), now)


NEXT_SESSIONS = 12  # the schedule filtered by leader, category or place lists this many


def next_sessions(start: date, leader_id: int | None = None, category: str | None = None,
                  place: str | None = None, now: datetime | None = None) -> dict:
    """The next published sessions from ``start`` on, whatever week they fall in (one leader,
    the leaders of one category, one place), with free places and windows; ``more`` says
    that later ones were left out."""
    sessions = published_sessions(start, None, leader_id, place, category,
                                  limit=NEXT_SESSIONS + 1)
    return {**_listing(sessions[:NEXT_SESSIONS], now), "more": len(sessions) > NEXT_SESSIONS}


def _listing(sessions: list[ReceptionSession], now: datetime | None) -> dict:
    free = free_places([s.id for s in sessions])
    cal = calendar.WorkingCalendar()
    values = settings.current_values()
    now = now or calendar.now()
    windows = {s.id: booking_window(s, cal, values) for s in sessions}
    return {
        "sessions": sessions, "free": free,
        "bookable": {s.id: is_bookable(s, windows[s.id], now) for s in sessions},
        "windows": windows, "now": now, "values": values,
    }


# --- one session ----------------------------------------------------------------------------------

def session_with_leader(session_id: int) -> ReceptionSession | None:
    """One session with its leader (and the leader's portfolio) and its duty leader (值班领导;
    their portfolio is loaded only if asked for: the pages never show it)."""
    return db.session.scalar(
        select(ReceptionSession).options(
            joinedload(ReceptionSession.leader),
            joinedload(ReceptionSession.duty_leader).lazyload(Leader.portfolio))
        .where(ReceptionSession.id == session_id))


def window_of(session: ReceptionSession) -> Window:
    """One session's booking window (the working calendar read once)."""
    return booking_window(session, calendar.WorkingCalendar(), settings.current_values())


def public_session(session_id: int) -> ReceptionSession | None:
    """A session the public may see (published or cancelled, never a draft), with its leader."""
    row = session_with_leader(session_id)
    return None if row is None or row.status == "draft" else row


def session_by_id(session_id: int) -> ReceptionSession | None:
    """Through the identity map: free when the request already loaded it."""
    return db.session.get(ReceptionSession, session_id)


def place_by_id(place_id: int) -> Place | None:
    """Through the identity map: free when the booking was loaded with its place."""
    return db.session.get(Place, place_id)


def session_bookings(session_id: int) -> list[Booking]:
    """A session's bookings in reception order: those holding a place first, by place."""
    return list(db.session.scalars(
        select(Booking).options(joinedload(Booking.place))
        .where(Booking.session_id == session_id)
        .order_by(Booking.status.in_(PLACE_HOLDING).desc(), Booking.place_id, Booking.id)
    ))


def sessions_to_close(today: date) -> list[ReceptionSession]:
    """For the daily job: published sessions before today whose day is not yet closed."""
    return list(db.session.scalars(
        select(ReceptionSession).where(ReceptionSession.day < today,
                                       ReceptionSession.status == "published",
                                       ReceptionSession.closed.is_(False))))


def upcoming_bookings(session_ids: list[int]) -> list[Booking]:
    """Bookings still to come (待审核/已确认) of these sessions: cancelling a session cancels
    them, and staff must phone each visitor."""
    return list(db.session.scalars(
        select(Booking).options(joinedload(Booking.place))
        .where(Booking.session_id.in_(session_ids), Booking.status.in_(PERSON_ACTIVE))
        .order_by(Booking.session_id, Booking.place_id)))


def off_calendar(sessions: list[ReceptionSession]) -> set[int]:
    """Sessions still to be held on a day the working calendar now calls a non-working day
    (a holiday entered after the session was made): staff must cancel or move them."""
    cal = calendar.WorkingCalendar()
    return {s.id for s in sessions
            if s.status != "cancelled" and not s.closed and not cal.is_working_day(s.day)}


# --- series -------------------------------------------------------------------------------------

def series_sessions(series_id: str) -> list[ReceptionSession]:
    """Every session a weekly series made, in date order, leaders loaded."""
    return list(db.session.scalars(
        select(ReceptionSession).options(joinedload(ReceptionSession.leader))
        .where(ReceptionSession.series_id == series_id)
        .order_by(ReceptionSession.day, ReceptionSession.id)).unique())


def series_sizes(sessions: list[ReceptionSession]) -> dict[str, int]:
    """series id -> how many sessions it made, for the series among ``sessions``."""
    ids = {s.series_id for s in sessions if s.series_id}
    if not ids:
        return {}
    return dict(db.session.execute(
        select(ReceptionSession.series_id, func.count(ReceptionSession.id))
        .where(ReceptionSession.series_id.in_(ids)).group_by(ReceptionSession.series_id)).all())


def series_future(series_id: str, today: date) -> list[ReceptionSession]:
    """A series' sessions after today still to be held (not cancelled, not closed)."""
    return [s for s in series_sessions(series_id)
            if s.day > today and s.status != "cancelled" and not s.closed]


def with_bookings(session_ids: list[int]) -> set[int]:
    """Those of these sessions with any booking record (their times and places stay)."""
    if not session_ids:
        return set()
    return set(db.session.scalars(
        select(Booking.session_id).where(Booking.session_id.in_(session_ids)).distinct()))


# --- staff lists --------------------------------------------------------------------------------

def staff_sessions(today: date, past: bool = False) -> list[ReceptionSession]:
    """The staff dashboard: upcoming sessions in order, or the last 60 past ones, newest first."""
    query = select(ReceptionSession).options(joinedload(ReceptionSession.leader))
    if past:
        query = (query.where(ReceptionSession.day < today)
                 .order_by(ReceptionSession.day.desc()).limit(60))
    else:
        query = (query.where(ReceptionSession.day >= today)
                 .order_by(ReceptionSession.day, ReceptionSession.start_time).limit(200))
    return list(db.session.scalars(query).unique())


def _awaiting_call():
    return and_(Booking.cancelled_by_staff.is_(True), Booking.notified_at.is_(None))


def call_list() -> list[Booking]:
    """Bookings cancelled by staff whose visitor has not yet been told by phone."""
    return list(db.session.scalars(
        select(Booking)
        .options(joinedload(Booking.session).joinedload(ReceptionSession.leader))
        .where(_awaiting_call()).order_by(Booking.id)
    ))


def call_count() -> int:
    return db.session.scalar(select(func.count(Booking.id)).where(_awaiting_call()))


def satisfied_marks(bookings: list[Booking]) -> dict[str, list[str]]:
    """ID hash -> numbers of that person's matters evaluated 满意, for staff lists (one query)."""
    return satisfied_petitioners([b.id_hash for b in bookings])


# --- one booking --------------------------------------------------------------------------------

def booking_by_code(code: str) -> Booking | None:
    """The booking with this (canonical) code, its session, leader and place loaded."""
    return db.session.scalar(
        select(Booking).options(joinedload(Booking.session).joinedload(ReceptionSession.leader),
                                joinedload(Booking.place))
        .where(Booking.code == code)
    )


def booking_with_place(booking_id: int) -> Booking | None:
    return db.session.scalar(
        select(Booking).options(joinedload(Booking.place)).where(Booking.id == booking_id))


# --- 候补 (the waiting list) ------------------------------------------------------------------

def waiting_count(session_id: int) -> int:
    """How many wait for a place of this session (候补中)."""
    return db.session.scalar(select(func.count(Booking.id)).where(
        Booking.session_id == session_id, Booking.status == "waitlisted"))


def waiting_position(booking: Booking) -> int:
    """The entry's place in its session's waiting list, counted from 1 (oldest first)."""
    return db.session.scalar(select(func.count(Booking.id)).where(
        Booking.session_id == booking.session_id, Booking.status == "waitlisted",
        Booking.id <= booking.id))


def sessions_with_waiting() -> set[int]:
    """Sessions someone waits for a place of (the job offers any place left free)."""
    return set(db.session.scalars(
        select(Booking.session_id).where(Booking.status == "waitlisted").distinct()))
