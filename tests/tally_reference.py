"""The reception tally recomputed in Python from the places and the bookings — independent
of the SQL the triggers run — and an autouse check that the stored tally agrees with it after
every test of the directories whose conftest imports ``tally_agrees`` (reception, casework,
statistics: every way a booking is made or changes)."""
from __future__ import annotations

from collections import defaultdict

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.reception.models import PLACE_HOLDING, Booking, Place
from portal.stats.tally import MEASURES, SESSION_ROW, ReceptionTally


def _contribution(status: str, walk_in: bool, party_size: int) -> dict[str, int]:
    online = not walk_in
    return {"bookings": int(online), "taken": int(online and status in PLACE_HOLDING),
            "cancelled": int(online and status == "cancelled"),
            "attended": int(online and status == "checked_in"),
            "no_show": int(online and status == "no_show"),
            "walk_ins": int(walk_in and status == "checked_in"),
            "people": party_size if status == "checked_in" else 0}


def expected() -> dict[tuple[int, str], dict[str, int]]:
    walk_in = dict(db.session.execute(select(Place.id, Place.walk_in)).all())
    sums: dict = defaultdict(lambda: dict.fromkeys(MEASURES, 0))
    for session_id, walk in db.session.execute(select(Place.session_id, Place.walk_in)):
        sums[(session_id, SESSION_ROW)]["places"] += not walk  # bookable places
    rows = db.session.execute(select(Booking.session_id, Booking.category, Booking.place_id,
                                     Booking.status, Booking.party_size))
    for session_id, category, place_id, status, party_size in rows:
        if place_id is None:  # waiting, never offered a place: not a booking
            continue
        key = sums[(session_id, category)]
        for measure, value in _contribution(status, walk_in[place_id], party_size).items():
            key[measure] += value
    return {key: value for key, value in sums.items() if any(value.values())}


def stored() -> dict[tuple[int, str], dict[str, int]]:
    found = {(row.session_id, row.category): {m: getattr(row, m) for m in MEASURES}
             for row in db.session.scalars(select(ReceptionTally))}
    return {key: value for key, value in found.items() if any(value.values())}


def assert_agrees() -> None:
    assert stored() == expected()


@pytest.fixture(autouse=True)
def tally_agrees(request):
    """After the test (before its app goes away), what the triggers kept equals the recount."""
    if "app" not in request.fixturenames:
        yield
        return
    request.getfixturevalue("app")
    yield
    db.session.rollback()
    assert_agrees()
