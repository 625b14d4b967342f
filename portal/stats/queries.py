"""The staff figures of reception, hand-overs and citizens' ratings: SQL aggregates only.

Each function is one statement whatever the data volume: ``count``/``sum(case ...)`` grouped
by a key (the period, a leader, a week, a category, a unit), never a loop over rows. The
comparison with the previous period comes from the same statement (grouped by period, or one
set of sums per period). Rates are derived afterwards from the counts (``tables``).

Definitions (README, "Statistics and transparency"):

- a session is *held* when it is published (not cancelled) and its day is in the period and
  not after today; only held sessions' places and bookings count;
- *places offered*: the bookable (not walk-in) places of held sessions;
- *bookings*: bookings that got a bookable place (waiting-list entries never offered one are
  not bookings), whatever became of them; *taken*: those still holding their place (every
  status but cancelled and declined), so fill rate = taken / places offered;
- *cancelled*: online bookings cancelled (by the citizen; a cancelled session is not held);
- *attended*: online bookings checked in; *no-show*: 爽约; no-show rate = no-show /
  (attended + no-show);
- *walk-ins*: visitors registered at the desk (walk-in places), checked in;
- *people received*: the party sizes of everyone checked in, walk-ins included.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import (
    and_,
    case,
    func,
    literal_column,
    or_,
    select,
    text,
)

from portal.casework.models import HandOver, HandOverRating, ReceptionRecord, Unit
from portal.extensions import db
from portal.reception.models import Booking, Leader, ReceptionSession
from portal.stats import (
    indexes,  # noqa: F401 - the indexes these statements need
    tally,
)
from portal.stats import statuses as st
from portal.stats.periods import Period
from portal.stats.sql import month_key, week_index
from portal.stats.tally import ReceptionTally

S, B, T = ReceptionSession, Booking, ReceptionTally
SESSION_MEASURES = ("sessions", "places")
BOOKING_MEASURES = tally.BOOKING_MEASURES  # bookings, taken, cancelled, attended, no_show, ...
RECEPTION_MEASURES = SESSION_MEASURES + BOOKING_MEASURES
HANDOVER_MEASURES = ("opened", "concluded", "on_time")
RATING_MEASURES = (*st.RATING_CHOICES, "rated")
KEY = literal_column("k")  # GROUP BY the key's alias: PostgreSQL would not match two copies
# of an expression holding bound parameters


def prepare() -> None:
    """Before the figures, in the request's transaction. PostgreSQL would JIT-compile these
    statements (their estimated cost passes ``jit_above_cost``), which takes longer than
    running them: measured 3.5 s instead of 0.7 s for the evaluation summary at 100,000
    matters. ``SET LOCAL`` ends with the transaction."""
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("SET LOCAL jit = off"))


def count_if(condition):
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _within(column, first: date, last: date):
    return and_(column >= first, column <= last)


def held(first: date, last: date, today: date):
    """Sessions held on the days ``first``..``last`` (none after today)."""
    return and_(S.status == st.SESSION_PUBLISHED, _within(S.day, first, min(last, today)))


def _sums_by(key_of, where, measures=tally.MEASURES):
    """The tally's sums for the held sessions (``where``) grouped by ``key_of()``: an
    expression on the session, or the tally's category. Read from ``reception_tally`` (rows
    per session and category, kept by the database), never from the bookings or places."""
    return (select(key_of().label("k"),
                   *[func.coalesce(func.sum(T.__table__.c[m]), 0).label(m) for m in measures])
            .select_from(T).join(S, S.id == T.session_id).where(where).group_by(KEY))


def _reception_by(key_of, where) -> select:
    """Sessions, and the tally's sums (places and bookings), grouped by ``key_of()`` (an
    expression on ReceptionSession): two grouped subqueries joined on the key (a key with
    sessions but nothing in the tally keeps its zeros)."""
    sessions = (select(key_of().label("k"), func.count(S.id).label("sessions"))
                .where(where).group_by(KEY).subquery("held_sessions"))
    sums = _sums_by(key_of, where).subquery("held_sums")
    return (select(sessions.c.k, sessions.c.sessions,
                   *[func.coalesce(sums.c[m], 0).label(m) for m in tally.MEASURES])
            .select_from(sessions).outerjoin(sums, sums.c.k == sessions.c.k))


def _figures(row, measures) -> dict[str, int]:
    return {m: int(row[m] or 0) for m in measures}


def reception_summary(period: Period, today: date) -> dict[str, dict[str, int]]:
    """{"current": figures, "previous": figures} — one statement for both periods."""
    previous = period.previous()
    stmt = _reception_by(lambda: case((S.day >= period.start, "current"), else_="previous"),
                         held(previous.start, period.end, today))
    found = {row["k"]: _figures(row, RECEPTION_MEASURES)
             for row in db.session.execute(stmt).mappings()}
    empty = dict.fromkeys(RECEPTION_MEASURES, 0)
    return {name: found.get(name, empty) for name in ("current", "previous")}


def reception_by_leader(period: Period, today: date) -> list[tuple[str, dict[str, int]]]:
    sub = _reception_by(lambda: S.leader_id, held(period.start, period.end, today)).subquery()
    stmt = (select(Leader.name, sub).join(sub, sub.c.k == Leader.id)
            .order_by(sub.c.bookings.desc(), Leader.name, Leader.id))
    return [(row["name"], _figures(row, RECEPTION_MEASURES))
            for row in db.session.execute(stmt).mappings()]


def reception_by_week(period: Period, today: date) -> dict[int, dict[str, int]]:
    """Week index (``Period.weeks``) -> figures; weeks without a held session are absent."""
    stmt = _reception_by(lambda: week_index(S.day, period.origin),
                         held(period.start, period.end, today))
    return {int(row["k"]): _figures(row, RECEPTION_MEASURES)
            for row in db.session.execute(stmt).mappings()}


def reception_by_month(first: date, last: date, today: date) -> dict[int, dict[str, int]]:
    """``year * 12 + month - 1`` -> figures (the public page's months)."""
    stmt = _reception_by(lambda: month_key(S.day), held(first, last, today))
    return {int(row["k"]): _figures(row, RECEPTION_MEASURES)
            for row in db.session.execute(stmt).mappings()}


def bookings_by_category(period: Period, today: date) -> list[tuple[str, dict[str, int]]]:
    sub = _sums_by(lambda: T.category, and_(held(period.start, period.end, today),
                                            T.category != tally.SESSION_ROW),
                   BOOKING_MEASURES).subquery()
    stmt = select(sub).order_by(sub.c.bookings.desc(), sub.c.k)
    return [(row["k"], _figures(row, BOOKING_MEASURES))
            for row in db.session.execute(stmt).mappings()]


# --- hand-overs (交办) ---------------------------------------------------------------------------

def _handover_sums(period: Period, suffix: str = "") -> list:
    concluded = and_(HandOver.status == st.HANDOVER_CONCLUDED,
                     _within(HandOver.concluded_on, period.start, period.end))
    return [
        count_if(_within(HandOver.handed_on, period.start, period.end)).label("opened" + suffix),
        count_if(concluded).label("concluded" + suffix),
        # On time: concluded on or before the deadline in force (an extension moves it).
        count_if(and_(concluded, HandOver.concluded_on <= HandOver.due_on))
        .label("on_time" + suffix),
    ]


def _overdue_now(today: date):
    return and_(HandOver.status == st.HANDOVER_OPEN, HandOver.due_on < today)


def _handover_rows(period: Period, today: date):
    return or_(_within(HandOver.handed_on, period.start, period.end),
               _within(HandOver.concluded_on, period.start, period.end), _overdue_now(today))


def handover_summary(period: Period, today: date) -> dict[str, dict[str, int]]:
    """Opened, concluded, concluded on time in this period and the previous one; overdue now
    (open past the deadline in force today, whatever the period)."""
    previous = period.previous()
    both = Period(previous.start, period.end)
    stmt = select(*_handover_sums(period), *_handover_sums(previous, "_prev"),
                  count_if(_overdue_now(today)).label("overdue")).where(
        _handover_rows(both, today))
    row = db.session.execute(stmt).mappings().one()
    current = {**_figures(row, HANDOVER_MEASURES), "overdue": int(row["overdue"] or 0)}
    earlier = {m: int(row[m + "_prev"] or 0) for m in HANDOVER_MEASURES}
    return {"current": current, "previous": earlier}


def handovers_by_unit(period: Period, today: date) -> list[tuple[str, dict[str, int]]]:
    stmt = (select(Unit.name, *_handover_sums(period),
                   count_if(_overdue_now(today)).label("overdue"))
            .join(Unit, Unit.id == HandOver.unit_id).where(_handover_rows(period, today))
            .group_by(Unit.id, Unit.name).order_by(Unit.name, Unit.id))
    return [(row["name"], _figures(row, (*HANDOVER_MEASURES, "overdue")))
            for row in db.session.execute(stmt).mappings()]


def handovers_by_month(first: date, last: date) -> dict[int, dict[str, int]]:
    """Concluded and concluded on time, by the month of conclusion (the public page)."""
    period = Period(first, last)
    stmt = (select(month_key(HandOver.concluded_on).label("k"), *_handover_sums(period)[1:])
            .where(HandOver.status == st.HANDOVER_CONCLUDED,
                   _within(HandOver.concluded_on, first, last))
            .group_by(KEY))
    return {int(row["k"]): _figures(row, ("concluded", "on_time"))
            for row in db.session.execute(stmt).mappings()}


# --- citizens' ratings of handled cases --------------------------------------------------------

def _rating_sums(period: Period, suffix: str = "") -> list:
    start, end = period.utc_bounds()
    inside = and_(HandOverRating.rated_at >= start, HandOverRating.rated_at < end)
    return [*[count_if(and_(inside, HandOverRating.rating == choice)).label(choice + suffix)
              for choice in st.RATING_CHOICES],
            count_if(inside).label("rated" + suffix)]


def _rated_in(period: Period):
    start, end = period.utc_bounds()
    return and_(HandOverRating.rated_at >= start, HandOverRating.rated_at < end)


def rating_summary(period: Period) -> dict[str, dict[str, int]]:
    previous = period.previous()
    stmt = select(*_rating_sums(period), *_rating_sums(previous, "_prev")).where(
        _rated_in(Period(previous.start, period.end)))
    row = db.session.execute(stmt).mappings().one()
    return {"current": _figures(row, RATING_MEASURES),
            "previous": {m: int(row[m + "_prev"] or 0) for m in RATING_MEASURES}}


def ratings_by_unit(period: Period) -> list[tuple[str, dict[str, int]]]:
    stmt = (select(Unit.name, *_rating_sums(period))
            .select_from(HandOverRating)
            .join(HandOver, HandOver.id == HandOverRating.handover_id)
            .join(Unit, Unit.id == HandOver.unit_id).where(_rated_in(period))
            .group_by(Unit.id, Unit.name).order_by(Unit.name, Unit.id))
    return [(row["name"], _figures(row, RATING_MEASURES))
            for row in db.session.execute(stmt).mappings()]


def ratings_by_leader(period: Period) -> list[tuple[str, dict[str, int]]]:
    """By the leader who received the visitor (the session's receiving leader)."""
    stmt = (select(Leader.name, *_rating_sums(period))
            .select_from(HandOverRating)
            .join(HandOver, HandOver.id == HandOverRating.handover_id)
            .join(ReceptionRecord, ReceptionRecord.id == HandOver.record_id)
            .join(B, B.id == ReceptionRecord.booking_id)
            .join(S, S.id == B.session_id).join(Leader, Leader.id == S.leader_id)
            .where(_rated_in(period))
            .group_by(Leader.id, Leader.name).order_by(Leader.name, Leader.id))
    return [(row["name"], _figures(row, RATING_MEASURES))
            for row in db.session.execute(stmt).mappings()]
