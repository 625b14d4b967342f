"""息诉息访 from ``eval_matter.petitioner_returned_at``, kept by the triggers of migration 0013:
the window's bounds to the microsecond, the window setting, publication and its corrections,
deletes, and bulk inserts in any order — each checked by hand and against the old EXISTS
computation (tests/stats/returns.py). SQLite, and PostgreSQL when TEST_DATABASE_URL is set.

Every matter here is published on Wed 1 Jul 2026 unless said otherwise: its observation starts
at 00:00 (China) on 2 Jul; a 90-day window ends before 00:00 on 30 Sep.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import delete, inspect, text

from portal import calendar, settings
from portal.evaluation.models import Matter
from portal.extensions import db
from portal.reception.models import Booking
from portal.stats import report
from tests.stats import returns

PUBLISHED = returns.PUBLISHED
TRIGGERS = {"eval_matter_returns_booking_insert", "eval_matter_returns_booking_update",
            "eval_matter_returns_booking_delete", "eval_matter_returns_matter_insert",
            "eval_matter_returns_matter_update", "eval_matter_returns_matter_delete"}
TINY = timedelta(microseconds=1)


def china(day: date, hour: int = 0, minute: int = 0, second: int = 0, micro: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute, second, micro), tzinfo=calendar.TZ)


def trigger_names() -> set[str]:
    if db.engine.dialect.name == "postgresql":
        query = "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal"
    else:
        query = "SELECT name FROM sqlite_master WHERE type = 'trigger'"
    return set(db.session.scalars(text(query)))


@pytest.fixture
def world(app) -> returns.World:
    return returns.World()


def test_the_triggers_exist_after_upgrade(app):
    """An Alembic batch operation on SQLite recreates the table without its triggers."""
    assert TRIGGERS <= trigger_names()


def test_downgrade_drops_the_triggers_and_the_column_and_upgrade_restores_them(app):
    db.session.remove()
    downgrade(revision="0012_reception_tally")
    assert not TRIGGERS & trigger_names()
    columns = {c["name"] for c in inspect(db.session.connection()).get_columns("eval_matter")}
    db.session.remove()
    assert "petitioner_returned_at" not in columns
    upgrade()
    assert TRIGGERS <= trigger_names()


def test_the_window_bounds_to_the_microsecond(world):
    world.booking(21, china(PUBLISHED, 23, 59, 59, 999999))  # the day of publication
    world.booking(22, china(PUBLISHED, 12))
    world.booking(22, china(PUBLISHED + timedelta(days=1)))  # the first moment observed
    world.booking(23, china(date(2026, 9, 29), 23, 59, 59, 999999))  # the last within 90 days
    world.booking(24, china(date(2026, 9, 30)))  # the first after 90 days
    for who in range(21, 27):
        world.matter(who, china(date(2026, 3, 1), 9))
    world.matter(25, china(date(2026, 8, 15), 10), published=None)  # a new matter, day 45
    db.session.commit()
    stored = returns.returned_at()
    assert [stored[n] for n in range(1, 8)] == [
        None, china(date(2026, 7, 2)), china(date(2026, 9, 29), 23, 59, 59, 999999),
        china(date(2026, 9, 30)), china(date(2026, 8, 15), 10), None, None]
    # Settled with 90 days: 21 (booked the day before), 24 (just after), 26 (never came back).
    assert returns.figures(90) == (6, 6, 3)
    assert returns.figures(91) == (6, 6, 2)  # 24's booking is within 91 days
    assert returns.figures(30) == (6, 6, 5)  # only 22 came back within 30 days
    assert returns.figures(140) == (6, 0, 0)  # 1 Jul + 140 days is 18 Nov: not over by yesterday
    returns.assert_agrees(world, windows=(1, 30, 90, 91, 139))


def test_changing_the_window_setting_changes_the_figure_not_the_rows(world):
    world.booking(22, china(date(2026, 7, 20)))
    world.booking(23, china(date(2026, 9, 1)))
    for who in (21, 22, 23):
        world.matter(who, china(date(2026, 3, 1), 9))
    db.session.commit()
    before = returns.returned_at()
    assert returns.figures(report.settled_window()) == (3, 3, 1)  # 90 days: only 21 settled
    assert settings.save({"stats_settled_window_days": "30"}) == {}
    db.session.commit()
    settings.forget_request_copy()
    assert returns.figures(report.settled_window()) == (3, 3, 2)  # 23 came back on day 62
    assert returns.returned_at() == before


def test_publishing_and_correcting_recompute_the_matter(world):
    for moment in (china(date(2026, 5, 1), 10), china(date(2026, 7, 5), 10),
                   china(date(2026, 6, 20), 10)):
        world.booking(31, moment)
    world.matter(31, china(date(2026, 3, 1), 9), published=None)
    db.session.commit()

    def publish(day: date | None) -> datetime | None:
        world.publish(1, day)
        db.session.commit()
        assert returns.returned_at() == world.expected()
        return returns.returned_at()[1]

    assert returns.returned_at()[1] is None
    assert publish(date(2026, 6, 1)) == china(date(2026, 6, 20), 10)
    assert publish(date(2026, 6, 25)) == china(date(2026, 7, 5), 10)
    assert publish(None) is None
    assert publish(date(2026, 4, 1)) == china(date(2026, 5, 1), 10)


def test_a_corrected_id_number_moves_a_matter_between_petitioners(world):
    """A matter's ID number may be corrected until its result is published (matters._fill)."""
    world.booking(31, china(date(2026, 5, 1), 10))
    world.matter(31, china(date(2026, 3, 1), 9), published=date(2026, 4, 1))
    world.matter(32, china(date(2026, 4, 15), 10), published=None)
    db.session.commit()
    assert returns.returned_at()[1] == china(date(2026, 5, 1), 10)
    other = db.session.get(Matter, 2)
    for who, expected in ((31, china(date(2026, 4, 15), 10)), (32, china(date(2026, 5, 1), 10))):
        other.petitioner_id_hash = world.people(who)["id_hash"]
        world.matters[1]["petitioner_id_hash"] = other.petitioner_id_hash
        db.session.commit()
        assert returns.returned_at()[1] == expected
    returns.assert_agrees(world)


def test_deletes_recompute_the_matters_that_held_the_moment(world):
    """The portal deletes neither bookings nor matters; an operator might."""
    world.booking(31, china(date(2026, 5, 1), 10))
    world.booking(31, china(date(2026, 6, 20), 10))
    world.matter(31, china(date(2026, 3, 1), 9), published=date(2026, 4, 1))
    world.matter(31, china(date(2026, 4, 20), 10), published=None)
    world.matter(31, china(date(2026, 3, 2), 9), published=date(2026, 5, 5))
    db.session.commit()
    assert returns.returned_at() == {1: china(date(2026, 4, 20), 10), 2: None,
                                     3: china(date(2026, 6, 20), 10)}
    db.session.execute(delete(Matter).where(Matter.id == 2))
    db.session.execute(delete(Booking).where(Booking.id == 1000))
    db.session.commit()
    assert returns.returned_at() == {1: china(date(2026, 6, 20), 10), 3: china(date(2026, 6, 20), 10)}
    db.session.execute(delete(Booking))
    db.session.commit()
    assert returns.returned_at() == {1: None, 3: None}


def test_bulk_inserts_in_any_order(world):
    """portal.demo_volume.bulk_insert: executemany on SQLite, COPY on PostgreSQL."""
    world.matters_in_bulk([(41, china(date(2026, 3, 1), 9), PUBLISHED),
                           (42, china(date(2026, 3, 1), 9), PUBLISHED)])
    world.bookings_in_bulk([(41, china(date(2026, 8, 20), 10)), (41, china(date(2026, 7, 10), 10)),
                            (41, china(date(2026, 6, 30), 10)), (41, china(date(2026, 7, 3), 10)),
                            (42, china(date(2026, 9, 3), 10))])
    assert returns.returned_at() == {1: china(date(2026, 7, 3), 10), 2: china(date(2026, 9, 3), 10)}
    world.booking(41, china(PUBLISHED + timedelta(days=1)) + TINY, bulk=True)
    # In one statement: a published matter, and later and earlier new matters of its petitioner.
    world.matters_in_bulk([(42, china(date(2026, 7, 20), 10), None),
                           (43, china(date(2026, 3, 1), 9), PUBLISHED),
                           (43, china(date(2026, 7, 20), 10), None),
                           (42, china(date(2026, 7, 5), 10), None),
                           (43, china(date(2026, 7, 8), 10), date(2026, 7, 7))])
    db.session.commit()
    assert returns.returned_at() == {
        1: china(date(2026, 7, 2)) + TINY, 2: china(date(2026, 7, 5), 10), 3: None, 4: china(
            date(2026, 7, 8), 10), 5: None, 6: None, 7: china(date(2026, 7, 20), 10)}
    returns.assert_agrees(world)
