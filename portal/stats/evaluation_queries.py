"""The staff figures of third-party evaluation, and its public monthly figures: SQL aggregates.

Definitions (README, "Statistics and transparency"):

- *applications*: applications made (applied on) in the period; *accepted*: applications
  accepted (decided) in the period;
- *hearings held*: hearings on a day of the period whose vote was taken (their current poll is
  closed); 满意 / 不满意: those polls' results; 满意 rate = 满意 / hearings held;
- *follow-ups concluded*: follow-up tasks of 不满意 matters marked done in the period;
- 息诉息访: of the matters whose result was published in the period, those whose observation
  window (the setting, counted from the day after publication) is over by yesterday are
  *observed*; an observed matter is *settled* when its petitioner (by keyed ID hash) made no
  booking (of any kind) and no new matter was registered for them within the window;
  息诉息访率 = settled / observed. (Read from ``eval_matter.petitioner_returned_at``, the
  first such booking or matter from the day after publication on, which triggers keep.)
"""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import and_, func, or_, select, true

from portal.evaluation.interface import Application, FollowUp, Hearing, Matter, Poll
from portal.extensions import db
from portal.stats import statuses as st
from portal.stats.periods import Period
from portal.stats.queries import KEY, count_if
from portal.stats.sql import china_midnight, month_key

EVALUATION_MEASURES = ("applications", "accepted", "held", "satisfied", "unsatisfied",
                       "followups_done", "evaluated", "observed", "settled")


def _scalar(stmt):
    return func.coalesce(stmt.scalar_subquery(), 0)


def _applications(period: Period):
    return _scalar(select(func.count(Application.id)).where(
        Application.applied_on >= period.start, Application.applied_on <= period.end))


def _accepted(period: Period):
    start, end = period.utc_bounds()
    return _scalar(select(func.count(Application.id)).where(
        Application.status == st.APPLICATION_ACCEPTED, Application.decided_at >= start,
        Application.decided_at < end))


def _held_polls(first: date, last: date):
    """Hearings of ``first``..``last`` joined to their closed (current) poll."""
    return (select().select_from(Hearing).join(Poll, and_(
        Poll.hearing_id == Hearing.id, Poll.status == st.POLL_CLOSED))
        .where(Hearing.day >= first, Hearing.day <= last))


def _hearings(period: Period):
    """held, 满意, 不满意: one walk over the period's hearings (a one-row subquery)."""
    return _held_polls(period.start, period.end).add_columns(
        func.count(Hearing.id).label("held"),
        count_if(Poll.result == st.RESULT_SATISFIED).label("satisfied"),
        count_if(Poll.result == st.RESULT_UNSATISFIED).label("unsatisfied")).subquery()


def _followups_done(period: Period):
    start, end = period.utc_bounds()
    return _scalar(select(func.count(FollowUp.id)).where(
        FollowUp.status == st.FOLLOWUP_DONE, FollowUp.done_at >= start, FollowUp.done_at < end))


def _stayed(window: int):
    """The petitioner of ``Matter`` neither booked nor had a new matter registered within the
    window: from 00:00 (China) the day after the result was published, for ``window`` days.
    ``petitioner_returned_at`` is the first such moment from that 00:00 on, with no end (kept
    by database triggers, migration 0013), so any window is read from it."""
    returned = Matter.petitioner_returned_at
    return or_(returned.is_(None), returned >= china_midnight(Matter.result_published_on,
                                                              window + 1))


def _settled(period: Period, today: date, window: int):
    """evaluated, observed, settled: one walk over the (result_published_on,
    petitioner_returned_at) index (a one-row subquery). Observed: the window is over by
    yesterday, published + window < today, i.e. published before today - window."""
    observed = Matter.result_published_on < today - timedelta(days=window)
    # count(*), not count(id): PostgreSQL's index holds no id, and would read the table.
    return (select(func.count().label("evaluated"), count_if(observed).label("observed"),
                   count_if(and_(observed, _stayed(window))).label("settled"))
            .where(Matter.result_published_on >= period.start,
                   Matter.result_published_on <= period.end).subquery())


def _evaluation_figures(period: Period, today: date, window: int, suffix: str):
    """The period's labelled columns, and the one-row subqueries they read."""
    hearings, matters = _hearings(period), _settled(period, today, window)
    values = [_applications(period), _accepted(period),
              hearings.c.held, hearings.c.satisfied, hearings.c.unsatisfied,
              _followups_done(period), matters.c.evaluated, matters.c.observed,
              matters.c.settled]
    columns = [value.label(name + suffix)
               for name, value in zip(EVALUATION_MEASURES, values, strict=True)]
    return columns, [hearings, matters]


def evaluation_summary(period: Period, today: date, window: int) -> dict[str, dict[str, int]]:
    """Both periods' figures in one statement: scalar subqueries, and one-row subqueries
    (aggregates without GROUP BY) joined on true."""
    columns, rows = _evaluation_figures(period, today, window, "")
    previous, previous_rows = _evaluation_figures(period.previous(), today, window, "_prev")
    first, *others = rows + previous_rows
    joined = first
    for other in others:
        joined = joined.join(other, true())
    row = db.session.execute(select(*columns, *previous).select_from(joined)).mappings().one()
    return {"current": {m: int(row[m] or 0) for m in EVALUATION_MEASURES},
            "previous": {m: int(row[m + "_prev"] or 0) for m in EVALUATION_MEASURES}}


def published_evaluations_by_month(first: date, last: date) -> dict[int, dict[str, int]]:
    """Hearings whose result is published, by the month of the hearing: held, 满意, 不满意."""
    stmt = (_held_polls(first, last)
            .add_columns(month_key(Hearing.day).label("k"), func.count(Hearing.id).label("held"),
                         count_if(Poll.result == st.RESULT_SATISFIED).label("satisfied"),
                         count_if(Poll.result == st.RESULT_UNSATISFIED).label("unsatisfied"))
            .where(Hearing.status == st.HEARING_PUBLISHED).group_by(KEY))
    return {int(row["k"]): {m: int(row[m] or 0) for m in ("held", "satisfied", "unsatisfied")}
            for row in db.session.execute(stmt).mappings()}
