"""The 息诉息访 reference and the rows its tests write.

The reference is the figure as computed before migration 0013: an EXISTS probe per matter into
bookings and matters, bounded by the window. The portal now reads
``eval_matter.petitioner_returned_at`` (kept by triggers); the tests check the two agree.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import and_, case, exists, func, select
from sqlalchemy.orm import aliased

from portal import calendar, privacy
from portal.demo_volume import bulk_insert
from portal.evaluation.models import Matter
from portal.extensions import db
from portal.reception.models import Booking
from portal.stats import evaluation_queries
from portal.stats.periods import Period
from portal.stats.sql import add_days, china_midnight
from tests.stats import dataset

CIPHER_TEXT = "事项"
TODAY = date(2026, 11, 18)  # the suite's fixed clock
PUBLISHED = date(2026, 7, 1)
SUMMER = Period(date(2026, 7, 1), date(2026, 9, 30))


def came_back(window: int):
    """The old definition: a booking, or another matter registered, for the same keyed hash
    from 00:00 (China) the day after publication, for ``window`` days."""
    since = china_midnight(Matter.result_published_on, 1)
    until = china_midnight(Matter.result_published_on, window + 1)
    booked = exists().where(Booking.id_hash == Matter.petitioner_id_hash,
                            Booking.created_at >= since, Booking.created_at < until)
    other = aliased(Matter)
    petitioned = exists().where(
        other.petitioner_id_hash == Matter.petitioner_id_hash, other.id != Matter.id,
        other.created_at >= since, other.created_at < until)
    return booked | petitioned


def reference_counts(period: Period, today: date, window: int) -> tuple[int, int, int]:
    """(evaluated, observed, settled) with the old EXISTS probes."""
    published = and_(Matter.result_published_on >= period.start,
                     Matter.result_published_on <= period.end)
    observed = and_(published, add_days(Matter.result_published_on, window) < today)
    count = select(func.count(Matter.id))
    return (db.session.scalar(count.where(published)), db.session.scalar(count.where(observed)),
            db.session.scalar(count.where(observed, ~came_back(window))))


def reference_came_back(window: int) -> dict[int, bool]:
    """Every published matter: did its petitioner come back within ``window`` days (old SQL)?"""
    rows = db.session.execute(select(Matter.id, case((came_back(window), 1), else_=0))
                              .where(Matter.result_published_on.is_not(None)))
    return {matter_id: bool(flag) for matter_id, flag in rows}


def column_came_back(window: int) -> dict[int, bool]:
    """The same from the trigger-kept column, the window's end computed in Python."""
    rows = db.session.execute(select(Matter.id, Matter.result_published_on,
                                     Matter.petitioner_returned_at)
                              .where(Matter.result_published_on.is_not(None)))
    return {matter_id: returned is not None and returned < midnight(published, window + 1)
            for matter_id, published, returned in rows}


def returned_at() -> dict[int, datetime | None]:
    """Every matter's stored moment, read fresh from the database."""
    return dict(db.session.execute(select(Matter.id, Matter.petitioner_returned_at)).all())


def midnight(day: date, days: int) -> datetime:
    """00:00 in China, ``days`` after ``day``."""
    return datetime.combine(day + timedelta(days=days), time(0), tzinfo=calendar.TZ)


def first_return(matter: dict, bookings: list[dict], matters: list[dict]) -> datetime | None:
    """What the column must hold, in Python, from the rows as written (dicts as below)."""
    if matter["result_published_on"] is None:
        return None
    since = midnight(matter["result_published_on"], 1)
    moments = [b["created_at"] for b in bookings if b["id_hash"] == matter["petitioner_id_hash"]]
    moments += [m["created_at"] for m in matters
                if m["petitioner_id_hash"] == matter["petitioner_id_hash"] and m["id"] != matter["id"]]
    after = [m for m in moments if m >= since]
    return min(after) if after else None


# --- rows as dicts, for the ORM (Model(**row)) or portal.demo_volume.bulk_insert ---------------

class People:
    """Petitioners by number, their ciphertexts made once."""

    def __init__(self):
        self.made: dict[int, dict] = {}
        self.cipher = privacy.encrypt(CIPHER_TEXT)
        self.phone_hash = privacy.lookup_hash("13900000000")

    def __call__(self, who: int) -> dict:
        if who not in self.made:
            self.made[who] = dataset.person(who)
        return self.made[who]


def booking_row(people: People, place, booking_id: int, who: int, moment: datetime) -> dict:
    """A cancelled online booking (no uniqueness rule but its code binds it) made at ``moment``."""
    p = people(who)
    return dict(id=booking_id, code=f"R{booking_id:08d}", session_id=place.session_id,
                place_id=place.id, name="张三", id_cipher=p["id_cipher"], id_hash=p["id_hash"],
                id_last4=p["id_last4"], phone_cipher=people.cipher, phone_hash=people.phone_hash,
                category="征地拆迁", summary_cipher=people.cipher, party_size=1, related_matter_no="",
                status="cancelled", status_reason="", cancelled_by_staff=False, created_at=moment,
                updated_at=moment)


def matter_row(people: People, matter_id: int, who: int, created: datetime,
               published: date | None) -> dict:
    p = people(who)
    return dict(id=matter_id, number=f"R-{matter_id}", number_key=f"R{matter_id}", title="征地补偿",
                category="征地拆迁", unit="县住建局", level="county", summary="概要",
                petitioner_name="王五", petitioner_id_cipher=p["id_cipher"],
                petitioner_id_hash=p["id_hash"], petitioner_id_last4=p["id_last4"],
                petitioner_phone_cipher=people.cipher, petitioner_address_cipher=people.cipher,
                opinion_cipher=people.cipher, opinion_date=date(2025, 1, 1),
                status="satisfied" if published else "registered",
                result="satisfied" if published else None, result_published_on=published,
                created_at=created, updated_at=created)


def reception_place():
    """One past session with one place, for bookings that need somewhere to point."""
    leader_obj = dataset.leader("陈立")
    _session, places = dataset.session(leader_obj, date(2026, 3, 2), places=1)
    return places[0]


# --- a world of rows the tests add to, by the ORM or in bulk ------------------------------------

class World:
    """Explicit ids throughout (bulk inserts assign their own; PostgreSQL's sequences are not
    moved), a place for the bookings to point at."""

    def __init__(self):
        self.people = People()
        self.place = reception_place()
        self.bookings: list[dict] = []
        self.matters: list[dict] = []

    def booking(self, who: int, moment: datetime, *, bulk: bool = False) -> dict:
        return self.bookings_in_bulk([(who, moment)])[0] if bulk else self._orm(
            Booking, self.bookings, booking_row(
                self.people, self.place, 1000 + len(self.bookings), who, moment))

    def bookings_in_bulk(self, made: list[tuple[int, datetime]]) -> list[dict]:
        rows = [booking_row(self.people, self.place, 1000 + len(self.bookings) + n, who,
                                    moment) for n, (who, moment) in enumerate(made)]
        bulk_insert(Booking, rows)
        self.bookings += rows
        return rows

    def matter(self, who: int, created: datetime, published: date | None = PUBLISHED) -> dict:
        return self._orm(Matter, self.matters, matter_row(
            self.people, 1 + len(self.matters), who, created, published))

    def matters_in_bulk(self, made: list[tuple[int, datetime, date | None]]) -> list[dict]:
        rows = [matter_row(self.people, 1 + len(self.matters) + n, who, created, published)
                for n, (who, created, published) in enumerate(made)]
        bulk_insert(Matter, rows)
        self.matters += rows
        return rows

    @staticmethod
    def _orm(model, kept: list[dict], row: dict) -> dict:
        db.session.add(model(**row))
        db.session.flush()
        kept.append(row)
        return row

    def publish(self, matter_id: int, day: date | None) -> None:
        """As evaluation.results.publish_result sets it (an UPDATE through the ORM)."""
        db.session.get(Matter, matter_id).result_published_on = day
        db.session.flush()
        self.matters[matter_id - 1]["result_published_on"] = day

    def expected(self) -> dict[int, datetime | None]:
        return {m["id"]: first_return(m, self.bookings, self.matters) for m in self.matters}


def figures(window: int, period: Period = SUMMER) -> tuple[int, int, int]:
    found = evaluation_queries.evaluation_summary(period, TODAY, window)["current"]
    return found["evaluated"], found["observed"], found["settled"]


def assert_agrees(world: World, windows=(7, 30, 90, 91, 365), periods=(SUMMER,)) -> None:
    """The column holds what Python computes from the rows, and every window's figure and
    per-matter verdict is the old EXISTS computation's."""
    assert returned_at() == world.expected()
    for window in windows:
        assert column_came_back(window) == reference_came_back(window), window
        for period in periods:
            assert figures(window, period) == reference_counts(period, TODAY, window), (
                window, period)
