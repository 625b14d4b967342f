"""Volume for benchmarks (``flask --app wsgi demo seed --bookings N``): years of past reception
days, in bulk.

A million bookings must take minutes, so rows go in by ``bulk_insert`` in chunks, with ids
assigned here (no ORM unit of work, no RETURNING round trips): COPY on PostgreSQL, the driver's
executemany on SQLite (with a larger page cache, as random booking codes land all over their
index), values converted by the columns' own SQLAlchemy types. PostgreSQL's sequences are moved
past the assigned ids at the end. What stays real:

- every constraint and index of the schema is in force while the rows go in (nothing dropped);
- ciphertexts are real Fernet tokens under DATA_KEY, made once for a pool of people and texts
  and reused (encrypting every row would dominate the time). A person's ID cipher, keyed hash
  and last four digits belong together, so the pool is a set of returning visitors;
- the 50 visitors of one session are 50 different people (one place per person per session),
  and every volume booking is in the past (checked in, 爽约, cancelled or declined), so 一人一号
  (one active booking per ID hash) holds by construction;
- a fifth of the visits have a reception record, a third of those a hand-over to a unit, most
  concluded, some still open and overdue, so the supervision list and the day view have
  realistic data.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select, text
from stdnum.cn import ric

from portal import calendar, privacy
from portal.casework.lifecycle import HANDOVER
from portal.casework.models import HandOver, ReceptionRecord, Unit
from portal.extensions import db
from portal.reception.lifecycle import BOOKING, SESSION
from portal.reception.models import Booking, Leader, Place, ReceptionSession
from portal.reception.services import CODE_ALPHABET, CODE_LENGTH

PER_SESSION = 50  # places of a volume session: 08:00–16:20, ten minutes each
SESSIONS_PER_CHUNK = 200  # 10,000 places and bookings per INSERT batch and commit
POOL_SIZE = 5000  # distinct returning visitors (their ciphertexts are made once)
CENTRE = "县人民来访接待中心"
REQUEST = "要求核实补偿标准并足额发放补偿款。"
INSTRUCTION = "请责任单位依法依规调查核实，十五日内书面答复信访人。"
ANSWER = "已当面说明政策依据，信访人表示理解。"
REPLY = "经调查核实，已按标准补发补偿款，并书面答复信访人。"
SUMMARY = "村里修路征收我家承包地，补偿款至今未足额发放，要求核实补偿标准。"
# A volume booking's code is one character longer than a real one: it can never collide with
# a code the portal hands out, and stays within the column (String(12)).
VOLUME_CODE_LENGTH = CODE_LENGTH + 1
_CODE_SPACE = len(CODE_ALPHABET) ** VOLUME_CODE_LENGTH
_CODE_MIX = 1_000_000_007  # prime, coprime to the code space: id -> code is a bijection


@dataclass
class Person:
    name: str
    id_cipher: str
    id_hash: str
    id_last4: str
    phone_cipher: str
    phone_hash: str


@dataclass
class CipherPool:
    """Ciphertexts made once and shared by many rows."""

    people: list[Person]
    texts: dict[str, str] = field(default_factory=dict)

    @classmethod
    def make(cls, rng: random.Random, size: int) -> CipherPool:
        from portal.demo import GIVEN, SURNAMES

        people = []
        for index in range(size):
            birth = date(1950, 1, 1) + timedelta(days=index * 7 % 18000)
            # 330782: never the prefix the benchmark's own citizens use (110105).
            body = f"330782{birth:%Y%m%d}{index % 1000:03d}"
            id_number = body + ric.calc_check_digit(body + "0")
            phone = f"13{index % 10}{rng.randint(0, 99_999_999):08d}"
            people.append(Person(
                rng.choice(SURNAMES) + rng.choice(GIVEN), privacy.encrypt(id_number),
                privacy.lookup_hash(id_number), id_number[-4:], privacy.encrypt(phone),
                privacy.lookup_hash(phone)))
        texts = {name: privacy.encrypt(value) for name, value in (
            ("summary", SUMMARY), ("request", REQUEST), ("instruction", INSTRUCTION),
            ("answer", ANSWER), ("reply", REPLY))}
        return cls(people, texts)


def volume_code(booking_id: int) -> str:
    """A unique code per booking id that still looks random (a bijection of the id)."""
    value = booking_id * _CODE_MIX % _CODE_SPACE
    chars = []
    for _ in range(VOLUME_CODE_LENGTH):
        value, digit = divmod(value, len(CODE_ALPHABET))
        chars.append(CODE_ALPHABET[digit])
    return "".join(chars)


class IdCounter:
    """Primary keys handed out here: one MAX(id) per table, then counting."""

    def __init__(self, *models):
        self.next = {m: (db.session.scalar(select(func.max(m.id))) or 0) + 1 for m in models}

    def take(self, model) -> int:
        value = self.next[model]
        self.next[model] = value + 1
        return value


def bulk_insert(model, rows: list[dict]) -> None:
    """Insert ``rows`` (dicts with the same keys) into ``model``'s table, bypassing per-row
    statement compilation; each value goes through its column type's bind processor, so what
    is stored is exactly what the ORM would store."""
    if not rows:
        return
    table, dialect = model.__table__, db.engine.dialect
    names = list(rows[0])
    processors = [table.c[n].type.dialect_impl(dialect).bind_processor(dialect) for n in names]
    values = [tuple(v if p is None or v is None else p(v)
                    for p, v in zip(processors, row.values(), strict=True)) for row in rows]
    raw = db.session.connection().connection.driver_connection
    columns = ", ".join(names)
    cursor = raw.cursor()
    try:
        if dialect.name == "postgresql":
            with cursor.copy(f"COPY {table.name} ({columns}) FROM STDIN") as copy:
                for row in values:
                    copy.write_row(row)
        else:
            marks = ", ".join("?" for _ in names)
            cursor.executemany(f"INSERT INTO {table.name} ({columns}) VALUES ({marks})", values)
    finally:
        cursor.close()


def bulk_session() -> None:
    """SQLite: a page cache large enough for the indexes being filled (this connection only)."""
    if db.engine.dialect.name == "sqlite":
        db.session.execute(text("PRAGMA cache_size = -262144"))  # 256 MiB


def bulk_write(*tables) -> None:
    """Insert each (model, rows) pair in bulk, in the order given (parents before children)."""
    bulk_session()
    for model, rows in tables:
        bulk_insert(model, rows)


def analyze() -> None:
    """PostgreSQL: fresh planner statistics after a bulk load. Autovacuum would gather them a
    while later; until then the planner guesses ten rows a table and walks whole tables."""
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("ANALYZE"))


def fix_sequences(*models) -> None:
    """PostgreSQL: move each id sequence past the ids assigned here (SQLite needs nothing)."""
    if db.engine.dialect.name != "postgresql":
        return
    for model in models:
        table = model.__tablename__
        db.session.execute(text(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
            f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"))


@dataclass
class _Batch:
    sessions: list[dict] = field(default_factory=list)
    places: list[dict] = field(default_factory=list)
    bookings: list[dict] = field(default_factory=list)
    records: list[dict] = field(default_factory=list)
    handovers: list[dict] = field(default_factory=list)

    def write(self) -> None:
        bulk_write((ReceptionSession, self.sessions), (Place, self.places),
                   (Booking, self.bookings), (ReceptionRecord, self.records),
                   (HandOver, self.handovers))


@dataclass
class _Volume:
    rng: random.Random
    now: datetime
    pool: CipherPool
    leaders: list[tuple[int, list[str]]]
    unit_ids: list[int]
    staff_id: int | None
    ids: IdCounter
    made: int = 0
    day: date = field(default_factory=date.today)
    slot: int = 0  # sessions already on ``day``

    def next_day(self) -> date:
        """Working days backwards, one session per leader a day."""
        if self.slot >= len(self.leaders):
            self.slot = 0
            self.day -= timedelta(days=1)
            while self.day.weekday() >= 5:
                self.day -= timedelta(days=1)
        self.slot += 1
        return self.day


def seed_volume(rng: random.Random, count: int, now: datetime) -> str:
    """``count`` past bookings in sessions of 50 places, with records and hand-overs."""
    leaders = [(row.id, row.categories) for row in
               db.session.scalars(select(Leader).order_by(Leader.id))]
    if not leaders or count <= 0:
        return ""
    from portal.accounts.models import User

    volume = _Volume(
        rng, now, CipherPool.make(rng, min(POOL_SIZE, max(PER_SESSION, count))), leaders,
        list(db.session.scalars(select(Unit.id).order_by(Unit.id))),
        db.session.scalar(select(User.id).where(User.role == "reception").order_by(User.id)),
        IdCounter(ReceptionSession, Place, Booking, ReceptionRecord, HandOver))
    # Start a month back, below the demo county's own recent reception days.
    volume.day = calendar.now().date() - timedelta(days=30)
    volume.slot = len(leaders)  # so the first session moves to a working day before it
    records = handovers = 0
    while volume.made < count:
        batch = _Batch()
        for _ in range(SESSIONS_PER_CHUNK):
            if volume.made >= count:
                break
            _session(volume, batch, min(PER_SESSION, count - volume.made))
        batch.write()
        records += len(batch.records)
        handovers += len(batch.handovers)
        db.session.commit()
    fix_sequences(ReceptionSession, Place, Booking, ReceptionRecord, HandOver)
    db.session.commit()
    return (f"{volume.made} extra bookings for benchmarks ({records} reception records, "
            f"{handovers} hand-overs)")


def _session(volume: _Volume, batch: _Batch, bookings: int) -> None:
    day = volume.next_day()
    leader_id, categories = volume.leaders[volume.slot - 1]
    session_id = volume.ids.take(ReceptionSession)
    batch.sessions.append(SESSION.history(
        "published", id=session_id, leader_id=leader_id, duty_leader_id=leader_id, day=day,
        start_time=time(8, 0), end_time=time(16, 20), place=CENTRE, mode="fixed", theme="",
        slot_minutes=10, cancel_reason="", closed=True, walk_in_places=0, series_id=None,
        created_at=volume.now))
    # A session's visitors: consecutive people of the pool, so 50 different ones.
    first_person = volume.rng.randrange(len(volume.pool.people))
    for number in range(1, PER_SESSION + 1):
        place_id = volume.ids.take(Place)
        minutes = (number - 1) * 10
        batch.places.append({"id": place_id, "session_id": session_id, "number": number,
                             "start_time": time(8 + minutes // 60, minutes % 60),
                             "walk_in": False})
        if number <= bookings:
            person = volume.pool.people[(first_person + number) % len(volume.pool.people)]
            _booking(volume, batch, session_id, place_id, day, person,
                     categories[number % len(categories)])


def _booking(volume: _Volume, batch: _Batch, session_id: int, place_id: int, day: date,
             person: Person, category: str) -> None:
    booking_id = volume.ids.take(Booking)
    index = volume.made
    volume.made += 1
    # Mostly seen (签到); some 爽约, cancelled by the citizen or declined by staff.
    status, reason = {0: ("no_show", ""), 1: ("no_show", ""),
                      2: ("cancelled", "个人原因，改日再约"),
                      3: ("declined", "所反映事项已进入诉讼程序，请依法通过司法途径解决")
                      }.get(index % 25, ("checked_in", ""))
    at = calendar.local(day, time(8)) - timedelta(days=7)
    batch.bookings.append(BOOKING.history(
        status, id=booking_id, code=volume_code(booking_id), session_id=session_id,
        place_id=place_id, name=person.name, id_cipher=person.id_cipher, id_hash=person.id_hash,
        id_last4=person.id_last4, phone_cipher=person.phone_cipher,
        phone_hash=person.phone_hash, category=category,
        summary_cipher=volume.pool.texts["summary"], party_size=1, related_matter_no="",
        status_reason=reason, cancelled_by_staff=False, notified_at=None,
        offer_expires_at=None, created_at=at, updated_at=at))
    if status == "checked_in" and index % 5 == 0:
        _record(volume, batch, booking_id, day, handed_over=index % 15 == 0)


def _record(volume: _Volume, batch: _Batch, booking_id: int, day: date,
            handed_over: bool) -> None:
    texts, record_id = volume.pool.texts, volume.ids.take(ReceptionRecord)
    at = calendar.local(day, time(12))
    batch.records.append({
        "id": record_id, "booking_id": booking_id, "booking_status": "checked_in",
        "request_cipher": texts["request"], "instruction_cipher": texts["instruction"],
        "outcome": "handed_over" if handed_over else "answered", "channel": "",
        "answer_cipher": texts["answer"], "recorded_by_id": volume.staff_id,
        "recorded_at": at, "updated_at": at})
    if not handed_over or not volume.unit_ids:
        return
    handover_id = volume.ids.take(HandOver)
    due = day + timedelta(days=15)
    # One in twenty is still open (overdue by now); the others were concluded in time.
    still_open = handover_id % 20 == 0
    batch.handovers.append(HANDOVER.history(
        "open" if still_open else "concluded", id=handover_id, record_id=record_id,
        unit_id=volume.unit_ids[handover_id % len(volume.unit_ids)],
        task_cipher=texts["instruction"], handed_on=day, first_due_on=due, due_on=due,
        extension_days=None, extended_on=None, extension_reason="",
        concluded_on=None if still_open else day + timedelta(days=10),
        reply_cipher=None if still_open else texts["reply"], created_by_id=volume.staff_id,
        created_at=at))
