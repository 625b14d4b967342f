"""In-process helpers for the write benchmark, run as ``python -m bench.prepare`` in a subprocess
whose environment points DATABASE_URL at the benchmark database.

``setup UNCAPPED_ATTEMPTS RACE_PLACES``: creates, through the reception services, one session of
RACE_PLACES places for the race and enough sessions of MAX_PLACES places for the uncapped run,
on a day open for booking now; prints JSON. ``count ID...``: prints the places held per session
as JSON. ``targets``: the pages the read cases measure — a session open for booking, the busiest
past session (its day view), the latest published result — as JSON.
"""
from __future__ import annotations

import json
import math
import sys
from datetime import time

from sqlalchemy import func, select

from portal import calendar, create_app, settings
from portal.evaluation.models import Hearing
from portal.extensions import db
from portal.reception import management, services
from portal.reception.models import PLACE_HOLDING, Booking, Leader, Place, ReceptionSession

ACTOR = "benchmark"


def _open_session() -> ReceptionSession:
    now = calendar.now()
    cal = calendar.WorkingCalendar()
    values = settings.current_values()
    upcoming = db.session.scalars(
        select(ReceptionSession).where(ReceptionSession.status == "published",
                                       ReceptionSession.day >= now.date())
        .order_by(ReceptionSession.day)).all()
    for row in upcoming:
        if services.booking_window(row, cal, values).state(now) == "open":
            return row
    raise SystemExit("no session open for booking: did `flask demo seed` run?")


def _sessions(leader_id: int, day, count: int, places: int) -> list[int]:
    """count sessions of ``places`` places each (from 08:00, 10-minute places)."""
    ids = []
    minutes = places * 10
    end = time(8 + minutes // 60, minutes % 60)
    for _ in range(count):
        made, _skipped = management.create_sessions(management.SessionPlan(
            leader_id=leader_id, first_day=day, start_time=time(8, 0), end_time=end,
            place="县人民来访接待中心", slot_minutes=10, publish=True), ACTOR, calendar.now())
        ids.append(made[0].id)
    db.session.commit()
    return ids


def setup(uncapped_attempts: int, race_places: int) -> dict:
    template = _open_session()
    leader = template.leader_id
    race_places = max(1, min(race_places, management.MAX_PLACES))
    capped = _sessions(leader, template.day, 1, race_places)[0]
    per_session = management.MAX_PLACES
    uncapped = _sessions(leader, template.day,
                         max(1, math.ceil(uncapped_attempts / per_session)), per_session)
    category = db.session.get(Leader, leader).categories[0]
    return {"day": template.day.isoformat(), "category": category, "capped": capped,
            "capacity": race_places, "uncapped": uncapped}


def count(session_ids: list[int]) -> dict:
    held = dict(db.session.execute(
        select(Booking.session_id, func.count(Booking.id))
        .where(Booking.session_id.in_(session_ids), Booking.status.in_(PLACE_HOLDING))
        .group_by(Booking.session_id)).all())
    places = dict(db.session.execute(
        select(Place.session_id, func.count(Place.id))
        .where(Place.session_id.in_(session_ids)).group_by(Place.session_id)).all())
    return {str(s): {"held": held.get(s, 0), "places": places.get(s, 0)} for s in session_ids}


def targets() -> dict:
    busiest = db.session.execute(
        select(Booking.session_id).group_by(Booking.session_id)
        .order_by(func.count(Booking.id).desc(), Booking.session_id.desc()).limit(1)).scalar()
    result = db.session.scalar(
        select(Hearing.id).where(Hearing.result_published_at.is_not(None))
        .order_by(Hearing.result_published_at.desc(), Hearing.id.desc()).limit(1))
    return {"open_session": _open_session().id, "day_session": busiest, "result": result}


def main(argv: list[str]) -> None:
    app = create_app()
    with app.app_context():
        if argv[0] == "setup":
            result = setup(int(argv[1]), int(argv[2]))
        elif argv[0] == "targets":
            result = targets()
        elif argv[0] == "count":
            result = count([int(a) for a in argv[1:]])
        else:
            raise SystemExit(f"unknown command {argv[0]!r}")
        db.session.remove()
        db.engine.dispose()
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1:])
