"""Small builders for test data. They go through the services where a rule is involved."""
from __future__ import annotations

import itertools
import random
from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from portal import calendar, privacy
from portal.extensions import db
from portal.reception import management, services
from portal.reception.lifecycle import StaffActor
from portal.reception.models import Booking, Place, ReceptionSession

_rng = random.Random(20261118)
# Acts with reception's powers without a login; the audit log shows "测试".
STAFF = StaffActor("测试")
_unique = itertools.count(1)


def id_number(birth: date | None = None, region: str = "330781", seq: int | None = None) -> str:
    """A valid 18-digit resident ID number (check digit computed).

    The same ``seq`` (and birth) gives the same number; with neither, every call is unique.
    """
    from stdnum.cn import ric

    if seq is None:
        n = next(_unique)
        birth = birth or date(1950, 1, 1) + timedelta(days=n % 20000)
        seq = n % 1000
    birth = birth or date(1970, 5, 17)
    body = f"{region}{birth:%Y%m%d}{seq:03d}"
    return body + ric.calc_check_digit(body + "0")


def phone(n: int | None = None) -> str:
    return f"138{(n if n is not None else _rng.randint(0, 99_999_999)):08d}"


def leader(name: str = "刘海涛", categories=("征地拆迁", "土地权属", "城乡建设")):
    made = management.save_leader(None, name, "副县长", list(categories), STAFF)
    db.session.commit()
    return made


def session(leader_obj=None, day: date = date(2026, 11, 23), start=time(9, 0), end=time(10, 0),
            slot=20, publish=True, place="县人民来访接待中心", walk_ins: int = 0,
            duty_leader=None) -> ReceptionSession:
    """A session (by default Monday 23 Nov 2026, 3 places, open for booking at FIXED_NOW);
    ``walk_ins`` walk-in places (现场登记) after those."""
    leader_obj = leader_obj or leader()
    made, _ = management.create_sessions(management.SessionPlan(
        leader_id=leader_obj.id, first_day=day, start_time=start, end_time=end, place=place,
        slot_minutes=slot, publish=publish, walk_in_places=walk_ins,
        duty_leader_id=duty_leader.id if duty_leader else None), STAFF, calendar.now())
    db.session.commit()
    return made[0]


def booking_request(**overrides) -> services.BookingRequest:
    values = dict(name="张三", id_number=id_number(), phone=phone(), category="征地拆迁",
                  summary="村里修路征收我家承包地，补偿款未足额发放。", party_size=1,
                  related_matter_no="")
    values.update(overrides)
    return services.BookingRequest(**values)


def book(session_obj, **overrides):
    made = services.create_booking(session_obj.id, booking_request(**overrides), calendar.now())
    db.session.commit()
    return made


def walk_in(session_obj, actor=STAFF, **overrides):
    """A walk-in registered at the desk on the session's day (checked in at once)."""
    made = services.create_booking(session_obj.id, booking_request(**overrides), calendar.now(),
                                   walk_in=True, actor=actor)
    db.session.commit()
    return made


def booking_form(**overrides) -> dict:
    """Form data for POST /reception/sessions/<id>."""
    req = booking_request()
    data = dict(name=req.name, id_number=req.id_number, phone=req.phone, category=req.category,
                summary=req.summary, party_size="1", related_matter_no="", consent="y")
    data.update(overrides)
    return data


def recorded_no_show(clock, number: str, day: date):
    """A past booking of ``number`` on ``day`` that ended as 爽约 (inserted as history)."""
    saved = clock.current
    clock.set(datetime.combine(day - timedelta(days=1), time(9)))  # created before that day
    made = session(day=day)
    clock.set(saved)
    booking = Booking(**{  # recorded history: insert as the day's outcome
        "code": services._new_code(), "session_id": made.id,
        "place_id": db.session.scalar(select(Place.id).where(
            Place.session_id == made.id).limit(1)),
        "name": "张三", "id_cipher": privacy.encrypt(number), "id_hash": privacy.lookup_hash(number),
        "id_last4": number[-4:], "phone_cipher": privacy.encrypt("13800000000"),
        "phone_hash": privacy.lookup_hash("13800000000"), "category": "征地拆迁",
        "summary_cipher": privacy.encrypt("事项"), "party_size": 1, "status": "no_show",
        "created_at": calendar.now(), "updated_at": calendar.now()})
    db.session.add(booking)
    db.session.commit()


def join(session_obj, **overrides):
    """A waiting-list entry (候补) of a full session."""
    made = services.join_waitlist(session_obj.id, booking_request(**overrides), calendar.now())
    db.session.commit()
    return made


def full_session(places: int = 3, **fields) -> tuple[ReceptionSession, list[Booking]]:
    """A session whose ``places`` bookable places are all booked (20-minute places from 9:00)."""
    end = (datetime(2000, 1, 1, 9) + timedelta(minutes=20 * places)).time()
    made = session(end=end, **fields)
    return made, [book(made, phone=phone()) for _ in range(places)]
