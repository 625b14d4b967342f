"""The trigger-kept ``eval_matter.petitioner_returned_at`` against the old EXISTS computation
(tests/stats/returns.py) on random data written every way the portal writes, and under real
concurrency: bookings and new matters of one petitioner from several connections at once while
the matter's result is published. SQLite, and PostgreSQL when TEST_DATABASE_URL is set."""
from __future__ import annotations

import random
import time
from datetime import date, datetime, timedelta

import pytest

from portal import calendar
from portal.evaluation.models import Matter
from portal.extensions import db
from portal.reception.models import Booking
from portal.stats.periods import Period
from tests import processes
from tests.stats import returns

FIRST, LAST = date(2026, 4, 1), date(2026, 11, 17)
PERIODS = (returns.SUMMER, Period(date(2026, 5, 1), date(2026, 10, 31)))
HOLD = 0.2  # seconds each concurrent job keeps its transaction open after writing


@pytest.fixture
def world(app) -> returns.World:
    return returns.World()


def random_moment(rng: random.Random, publications: list[date]) -> datetime:
    """Half anywhere, half on a window's edge: 00:00 (China) some days after a publication,
    give or take a microsecond."""
    if rng.random() < 0.5:
        seconds = rng.randrange((LAST - FIRST).days * 86400)
        moment = datetime.combine(FIRST, datetime.min.time(), tzinfo=calendar.TZ)
        return moment + timedelta(seconds=seconds, microseconds=rng.randrange(1_000_000))
    day = rng.choice(publications) + timedelta(days=rng.choice((0, 1, 2, 7, 30, 31, 90, 91, 92)))
    return returns.midnight(day, 0) + timedelta(microseconds=rng.choice((-1, 0, 1)))


def plan(rng: random.Random) -> tuple[list[tuple], list[int]]:
    """Inserts in random order, and which matters are inserted unpublished, published later."""
    publications = [FIRST + timedelta(days=rng.randrange(200)) for _ in range(12)]
    events: list[tuple] = []
    for _ in range(40):
        published = rng.choice(publications) if rng.random() < 0.7 else None
        events.append(("matter", (rng.randrange(10), random_moment(rng, publications), published)))
    events += [("booking", (rng.randrange(10), random_moment(rng, publications)))
               for _ in range(250)]
    rng.shuffle(events)
    later = [n for n, e in enumerate(e for e in events if e[0] == "matter") if rng.random() < 0.3]
    return events, later


def write(world: returns.World, rng: random.Random, events: list[tuple], later: list[int]) -> None:
    """Runs of one kind, each either one ORM insert a row or one bulk statement."""
    publish_later: dict[int, date | None] = {}
    while events:
        kind = events[0][0]
        size = next((n for n, e in enumerate(events) if e[0] != kind), len(events))
        take = min(size, rng.randint(1, 25))
        run, events = events[:take], events[take:]
        rows = [e[1] for e in run]
        if kind == "matter":
            first = len(world.matters)
            for n, (who, created, published) in enumerate(rows):
                if first + n in later:
                    publish_later[first + n + 1] = published
                    rows[n] = (who, created, None)
            if rng.random() < 0.5:
                world.matters_in_bulk(rows)
            else:
                for row in rows:
                    world.matter(*row)
        elif rng.random() < 0.5:
            world.bookings_in_bulk(rows)
        else:
            for row in rows:
                world.booking(*row)
        if rng.random() < 0.3:
            db.session.commit()
    for matter_id in rng.sample(sorted(publish_later), len(publish_later)):
        world.publish(matter_id, publish_later[matter_id])
    db.session.commit()


@pytest.mark.parametrize("seed", [13, 2026, 7])
def test_the_column_agrees_with_the_reference_on_a_random_dataset(world, seed):
    rng = random.Random(seed)
    events, later = plan(rng)
    write(world, rng, events, later)
    assert sum(1 for m in world.matters if m["result_published_on"]) > 15
    assert sum(1 for v in world.expected().values() if v) > 5
    returns.assert_agrees(world, windows=(7, 30, 90, 91, 180), periods=PERIODS)


# --- concurrency ---------------------------------------------------------------------------------

def insert_job(model, row: dict):
    def job():
        db.session.add(model(**row))
        db.session.flush()
        time.sleep(HOLD)  # the transaction stays open: the others' overlap it
    return job


def publish_job(matter_id: int, day: date):
    def job():
        db.session.get(Matter, matter_id).result_published_on = day
        db.session.flush()
        time.sleep(HOLD)
    return job


def concurrent_round(app, tmp_path, world: returns.World, who: int, publish: int | None) -> None:
    """Six bookings (some before the observation starts) and two new matters of ``who`` from
    separate processes at once; and the publication of matter ``publish`` if given."""
    rng = random.Random(who)
    start = returns.midnight(returns.PUBLISHED, 1)
    moments = [start - timedelta(hours=1), start, start + timedelta(days=40)] + [
        start + timedelta(days=rng.randrange(1, 120), seconds=rng.randrange(86400)) for _ in range(3)]
    bookings = [returns.booking_row(world.people, world.place, 1000 + len(world.bookings) + n, who,
                                    moment) for n, moment in enumerate(moments)]
    matters = [returns.matter_row(world.people, 1 + len(world.matters) + n, who, created, published)
               for n, (created, published) in enumerate((
                   (start + timedelta(days=rng.randrange(1, 120)), None),
                   (start - timedelta(days=1), returns.PUBLISHED)))]
    jobs = [(f"booking {row['id']}", insert_job(Booking, row)) for row in bookings]
    jobs += [(f"matter {row['id']}", insert_job(Matter, row)) for row in matters]
    if publish:
        jobs.append(("publish", publish_job(publish, returns.PUBLISHED)))
    outcomes = processes.at_once(app, tmp_path, jobs)
    assert [o[1] for o in outcomes] == ["ok"] * len(jobs), outcomes
    world.bookings += bookings
    world.matters += matters
    if publish:
        world.matters[publish - 1]["result_published_on"] = returns.PUBLISHED


def test_concurrent_writers_of_one_petitioner(app, world, tmp_path):
    """Round one: the matter is published while its petitioner's bookings and new matters
    arrive. Round two: an already published matter, and a published one arriving among them.
    Each trigger sees only committed rows and its own; the column must still be exact."""
    first = world.matter(71, returns.midnight(date(2026, 3, 1), 0), published=None)
    world.matter(72, returns.midnight(date(2026, 3, 1), 0))
    db.session.commit()
    concurrent_round(app, tmp_path, world, 71, publish=first["id"])
    concurrent_round(app, tmp_path, world, 72, publish=None)
    assert returns.returned_at()[first["id"]] is not None
    returns.assert_agrees(world, windows=(30, 90, 180))
