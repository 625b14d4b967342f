"""Volume for the statistics timings (``python -m bench.stats_timing --seed-bookings N``):
past reception days with bookings in every final status, walk-ins, reception records,
hand-overs (on time, late, open and overdue), ratings, and evaluated matters with hearings,
polls and follow-ups — inserted in bulk through the driver (executemany on SQLite, COPY on
PostgreSQL), every constraint and index in force.

Twenty leaders each receive on every working day going back from yesterday, 50 places a day
(45 bookable, 5 walk-in), one booking per place: 1,000,000 bookings are 20,000 sessions over
about four years (~250,000 bookings in a one-year range). Ciphertexts are made once and reused.
"""
from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select
from stdnum.cn import ric

from portal import calendar, privacy
from portal.casework.models import HandOver, HandOverRating, ReceptionRecord, Unit
from portal.demo_volume import analyze, bulk_insert, bulk_session, fix_sequences
from portal.evaluation.models import FollowUp, Hearing, Matter
from portal.evaluation.poll_records import Poll
from portal.extensions import db
from portal.reception.models import Booking, Leader, Place, ReceptionSession
from portal.vocabulary import CATEGORIES

LEADERS, UNITS, PLACES, WALK_INS, POOL = 20, 30, 45, 5, 5000
STATUSES = ("checked_in",) * 14 + ("no_show",) * 2 + ("cancelled", "declined", "expired")


def _next_id(model) -> int:
    return (db.session.scalar(select(func.max(model.id))) or 0) + 1


def _people(rng: random.Random) -> list[dict]:
    people = []
    for index in range(POOL):
        body = f"330782{date(1950, 1, 1) + timedelta(days=index * 7 % 18000):%Y%m%d}{index % 1000:03d}"
        number = body + ric.calc_check_digit(body + "0")
        phone = f"137{rng.randint(0, 99_999_999):08d}"
        people.append({"id_cipher": privacy.encrypt(number), "id_hash": privacy.lookup_hash(number),
                       "id_last4": number[-4:], "phone_cipher": privacy.encrypt(phone),
                       "phone_hash": privacy.lookup_hash(phone)})
    return people


def _working_days(last: date, count: int) -> list[date]:
    days, day = [], last
    while len(days) < count:
        if day.weekday() < 5:
            days.append(day)
        day -= timedelta(days=1)
    return days


class Seeder:
    def __init__(self, bookings: int, rng: random.Random):
        self.rng, self.now = rng, calendar.now()
        self.people = _people(rng)
        self.cipher = privacy.encrypt("批量数据")
        self.leaders = self._leaders()
        self.units = self._units()
        self.ids = {m: _next_id(m) for m in (ReceptionSession, Place, Booking, ReceptionRecord,
                                             HandOver, HandOverRating)}
        per_day = len(self.leaders)
        self.days = _working_days(self.now.date() - timedelta(days=1),
                                  -(-bookings // ((PLACES + WALK_INS) * per_day)))

    def _leaders(self) -> list[int]:
        made = [Leader(name=f"领导{i:02d}", post="副县长") for i in range(LEADERS)]
        db.session.add_all(made)
        db.session.flush()
        return [leader.id for leader in made]

    def _units(self) -> list[int]:
        made = [Unit(name=f"责任单位{i:02d}", kind="department") for i in range(UNITS)]
        db.session.add_all(made)
        db.session.flush()
        return [unit.id for unit in made]

    def take(self, model) -> int:
        value = self.ids[model]
        self.ids[model] = value + 1
        return value

    def run(self) -> None:
        bulk_session()
        for index, day in enumerate(self.days):
            self.day(day, index)
            if index % 20 == 19:
                db.session.commit()
        db.session.commit()

    def day(self, day: date, index: int) -> None:
        rows = {m: [] for m in (ReceptionSession, Place, Booking, ReceptionRecord, HandOver,
                                HandOverRating)}
        moment = datetime.combine(day - timedelta(days=3), time(9), tzinfo=calendar.TZ)
        for slot, leader_id in enumerate(self.leaders):
            session_id = self.take(ReceptionSession)
            rows[ReceptionSession].append(dict(
                id=session_id, leader_id=leader_id, duty_leader_id=leader_id, day=day,
                start_time=time(8), end_time=time(16, 20), place="县人民来访接待中心", mode="fixed",
                theme="", slot_minutes=10, status="published", cancel_reason="", closed=True,
                walk_in_places=WALK_INS, created_at=moment))
            for number in range(PLACES + WALK_INS):
                self.place(rows, session_id, number, day, moment, (index * LEADERS + slot) * 50)
        for model, made in rows.items():
            bulk_insert(model, made)

    def place(self, rows, session_id: int, number: int, day: date, moment, base: int) -> None:
        place_id, walk_in = self.take(Place), number >= PLACES
        rows[Place].append(dict(id=place_id, session_id=session_id, number=number + 1,
                                start_time=time(8 + number // 6, number % 6 * 10), walk_in=walk_in))
        status = "checked_in" if walk_in else self.rng.choice(STATUSES)
        booking_id = self.take(Booking)
        rows[Booking].append(dict(
            id=booking_id, code=f"V{booking_id:010d}", session_id=session_id, place_id=place_id,
            name="张三", **self.people[(base + number) % POOL], category=self.rng.choice(CATEGORIES),
            summary_cipher=self.cipher, party_size=1 + (number % 7 == 0), related_matter_no="",
            status=status, status_reason="", cancelled_by_staff=False, created_at=moment,
            updated_at=moment))
        if status == "checked_in" and self.rng.random() < 0.2:
            self.record(rows, booking_id, day)

    def record(self, rows, booking_id: int, day: date) -> None:
        record_id = self.take(ReceptionRecord)
        at = datetime.combine(day, time(11), tzinfo=calendar.TZ)
        handed = self.rng.random() < 1 / 3
        rows[ReceptionRecord].append(dict(
            id=record_id, booking_id=booking_id, booking_status="checked_in",
            request_cipher=self.cipher, instruction_cipher=self.cipher,
            outcome="handed_over" if handed else "answered", channel="", answer_cipher=self.cipher,
            recorded_at=at, updated_at=at))
        if handed:
            self.handover(rows, record_id, day, at)

    def handover(self, rows, record_id: int, day: date, at: datetime) -> None:
        handover_id, due = self.take(HandOver), day + timedelta(days=60)
        done = day + timedelta(days=self.rng.randint(10, 75))
        concluded = done < self.now.date() and self.rng.random() < 0.9
        rows[HandOver].append(dict(
            id=handover_id, record_id=record_id, unit_id=self.rng.choice(self.units),
            task_cipher=self.cipher, handed_on=day, first_due_on=due, due_on=due,
            extension_days=None, extended_on=None, extension_reason="",
            status="concluded" if concluded else "open", concluded_on=done if concluded else None,
            reply_cipher=self.cipher if concluded else None, created_at=at))
        if concluded and self.rng.random() < 0.5:
            rows[HandOverRating].append(dict(
                id=self.take(HandOverRating), handover_id=handover_id, handover_status="concluded",
                rating=self.rng.choice(("satisfied", "satisfied", "basically_satisfied",
                                        "unsatisfied")), comment_cipher=self.cipher,
                rated_at=datetime.combine(done + timedelta(days=2), time(10), tzinfo=calendar.TZ)))


def seed_matters(count: int, people: list[dict], rng: random.Random) -> None:
    """Evaluated matters, each with a hearing, a closed poll and, for 不满意, a follow-up."""
    now, cipher = calendar.now(), privacy.encrypt("批量数据")
    ids = {m: _next_id(m) for m in (Matter, Hearing, Poll, FollowUp)}
    for start in range(0, count, 5000):
        rows = {m: [] for m in ids}
        for n in range(start, min(count, start + 5000)):
            matter_id, hearing_id, poll_id = ids[Matter] + n, ids[Hearing] + n, ids[Poll] + n
            day = now.date() - timedelta(days=3 + n % 1400)
            result = "satisfied" if rng.random() < 0.7 else "unsatisfied"
            p = people[n % len(people)]
            moment = datetime.combine(day - timedelta(days=40), time(9), tzinfo=calendar.TZ)
            rows[Matter].append(dict(
                id=matter_id, number=f"V-{matter_id}", number_key=f"V{matter_id}", title="征地补偿",
                category="征地拆迁", unit="县住建局", level="county", summary="概要",
                petitioner_name="王五", petitioner_id_cipher=p["id_cipher"],
                petitioner_id_hash=p["id_hash"], petitioner_id_last4=p["id_last4"],
                petitioner_phone_cipher=cipher, petitioner_address_cipher=cipher,
                opinion_cipher=cipher, opinion_date=day - timedelta(days=60),
                status="satisfied" if result == "satisfied" else "follow_up", result=result,
                result_published_on=day, created_at=moment, updated_at=moment))
            rows[Hearing].append(dict(
                id=hearing_id, matter_id=matter_id, level="county", day=day, start_time=time(9),
                place="会议室", status="published", cancel_reason="", notice_party="",
                notice_title="", notice_summary="", created_at=moment))
            rows[Poll].append(dict(
                id=poll_id, hearing_id=hearing_id, mode="paper", secret=True, allow_abstain=False,
                pass_rule="half", status="closed", panel_size=5, present_count=5, quorum=4,
                opened_at=moment, valid_count=5, manyi_count=4 if result == "satisfied" else 1,
                bumanyi_count=1 if result == "satisfied" else 4, abstain_count=0, result=result,
                correction_reason=""))
            if result == "unsatisfied":
                done = datetime.combine(day + timedelta(days=20), time(10), tzinfo=calendar.TZ)
                rows[FollowUp].append(dict(
                    id=ids[FollowUp] + n, matter_id=matter_id, unit="县住建局", task="重新办理",
                    deadline=day + timedelta(days=30), status="done", done_at=done,
                    done_note="", created_at=moment))
        for model, made in rows.items():
            bulk_insert(model, made)
        db.session.commit()


def seed(bookings: int, matters: int, seed: int = 13) -> None:
    rng = random.Random(seed)
    seeder = Seeder(bookings, rng)
    seeder.run()
    seed_matters(matters, seeder.people, rng)
    fix_sequences(ReceptionSession, Place, Booking, ReceptionRecord, HandOver, HandOverRating,
                  Matter, Hearing, Poll, FollowUp, Leader, Unit)
    db.session.commit()
    analyze()  # as after the demo seed: the planner's statistics of the loaded tables
    db.session.commit()
