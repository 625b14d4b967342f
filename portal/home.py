"""The home page: composes the reception schedule with evaluation notices and results."""
from __future__ import annotations

from datetime import timedelta

from flask import Blueprint

from portal import calendar, hypermedia
from portal.evaluation import interface as evaluation
from portal.reception import queries as reception

bp = Blueprint("public", __name__)


@bp.get("/")
def home():
    today = calendar.now().date()
    week = reception.current_week(today)
    next_week = week + timedelta(weeks=1)
    schedule = reception.schedule(week, today, weeks=2)  # one set of queries for both weeks
    return hypermedia.render(
        "home.html", week=week, next_week=next_week, schedule=schedule,
        this_week=[s for s in schedule["sessions"] if s.day < next_week],
        following=[s for s in schedule["sessions"] if s.day >= next_week],
        evaluation=evaluation.latest(today), today=today,
    )
