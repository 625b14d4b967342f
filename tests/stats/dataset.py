"""A small county whose every figure is computed by hand (see the test modules' comments).

Rows are inserted directly as the history they stand for (statuses as the day ended), like
``tests.factories.recorded_no_show``: the figures are about what happened, not how.
Today is the suite's FIXED_NOW, Wednesday 18 November 2026.
"""
from __future__ import annotations

import itertools
from datetime import date, datetime, time, timedelta

from portal import calendar, privacy
from portal.casework.models import HandOver, HandOverRating, ReceptionRecord, Unit
from portal.evaluation.models import Application, FollowUp, Hearing, Matter
from portal.evaluation.poll_records import Poll
from portal.extensions import db
from portal.reception.models import Booking, Leader, Place, ReceptionSession
from tests import factories

_codes = itertools.count(1)
# A leader and a unit whose names a spreadsheet would take for formulas.
FORMULA_LEADER = '=HYPERLINK("x")'
FORMULA_UNIT = "@SUM(1+1)"


def at(day: date, hour: int = 10, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=calendar.TZ)


def person(seq: int) -> dict:
    number = factories.id_number(birth=date(1960, 1, 1) + timedelta(days=seq), seq=seq % 1000)
    return {"id_cipher": privacy.encrypt(number), "id_hash": privacy.lookup_hash(number),
            "id_last4": number[-4:]}


def leader(name: str) -> Leader:
    made = Leader(name=name, post="副县长")
    db.session.add(made)
    db.session.flush()
    return made


def session(leader_obj: Leader, day: date, places: int, walk_ins: int = 0,
            status: str = "published") -> tuple[ReceptionSession, list[Place]]:
    made = ReceptionSession(leader_id=leader_obj.id, duty_leader_id=leader_obj.id, day=day,
                            start_time=time(9), end_time=time(12), place="县人民来访接待中心",
                            status=status, walk_in_places=walk_ins,
                            created_at=at(day - timedelta(days=10)))
    db.session.add(made)
    db.session.flush()
    made_places = [Place(session_id=made.id, number=n + 1, start_time=time(9, n),
                         walk_in=n >= places) for n in range(places + walk_ins)]
    db.session.add_all(made_places)
    db.session.flush()
    return made, made_places


def booking(place: Place, status: str, *, party: int = 1, category: str = "征地拆迁",
            who: int | None = None, created: datetime | None = None) -> Booking:
    n = next(_codes)
    phone = f"139{n:08d}"
    made = Booking(code=f"S{n:07d}", session_id=place.session_id, place_id=place.id,
                   name="张三", **person(who if who is not None else 500 + n),
                   phone_cipher=privacy.encrypt(phone), phone_hash=privacy.lookup_hash(phone),
                   category=category, summary_cipher=privacy.encrypt("事项"), party_size=party,
                   status=status, created_at=created or at(date(2026, 10, 1)),
                   updated_at=created or at(date(2026, 10, 1)))
    db.session.add(made)
    db.session.flush()
    return made


def unit(name: str) -> Unit:
    made = Unit(name=name, kind="department")
    db.session.add(made)
    db.session.flush()
    return made


def handover(b: Booking, unit_obj: Unit, handed: date, due: date, *, concluded: date | None = None,
             first_due: date | None = None) -> HandOver:
    record = ReceptionRecord(booking_id=b.id, request_cipher=privacy.encrypt("诉求"),
                             instruction_cipher=privacy.encrypt("批示"), outcome="handed_over",
                             answer_cipher=privacy.encrypt(""), recorded_at=at(handed),
                             updated_at=at(handed))
    db.session.add(record)
    db.session.flush()
    extended = first_due is not None and first_due != due
    made = HandOver(record_id=record.id, unit_id=unit_obj.id, task_cipher=privacy.encrypt("任务"),
                    handed_on=handed, first_due_on=first_due or due, due_on=due,
                    extension_days=(due - first_due).days if extended else None,
                    extended_on=handed + timedelta(days=1) if extended else None,
                    extension_reason="情况复杂" if extended else "",
                    status="concluded" if concluded else "open", concluded_on=concluded,
                    reply_cipher=privacy.encrypt("答复") if concluded else None,
                    created_at=at(handed))
    db.session.add(made)
    db.session.flush()
    return made


def rating(h: HandOver, choice: str, moment: datetime) -> None:
    db.session.add(HandOverRating(handover_id=h.id, rating=choice,
                                  comment_cipher=privacy.encrypt(""), rated_at=moment))
    db.session.flush()


def matter(seq: int, *, who: int, published: date | None = None, result: str | None = None,
           created: date = date(2026, 3, 1), status: str = "registered") -> Matter:
    p = person(who)
    made = Matter(number=f"M-{seq}", number_key=f"M{seq}", title="征地补偿", category="征地拆迁",
                  unit="县住建局", level="county", summary="概要", petitioner_name="王五",
                  petitioner_id_cipher=p["id_cipher"], petitioner_id_hash=p["id_hash"],
                  petitioner_id_last4=p["id_last4"],
                  petitioner_phone_cipher=privacy.encrypt("13900000000"),
                  petitioner_address_cipher=privacy.encrypt("某村"),
                  opinion_cipher=privacy.encrypt("意见"), opinion_date=date(2026, 2, 1),
                  status=status, result=result, result_published_on=published,
                  created_at=at(created), updated_at=at(created))
    db.session.add(made)
    db.session.flush()
    return made


def application(m: Matter, applied: date, status: str = "pending",
                decided: datetime | None = None) -> None:
    db.session.add(Application(matter_id=m.id, unit="县住建局", applied_on=applied, reason="申请",
                               status=status, decided_at=decided, created_at=at(applied)))
    db.session.flush()


def hearing(m: Matter, day: date, status: str, polls: list[tuple[str, str | None]]) -> Hearing:
    """``polls``: (status, result) in order; a superseded one first if any."""
    made = Hearing(matter_id=m.id, level="county", day=day, start_time=time(9), place="会议室",
                   status=status, created_at=at(day - timedelta(days=10)))
    db.session.add(made)
    db.session.flush()
    for poll_status, result in polls:
        counts = ({"valid_count": 5, "manyi_count": 5 if result == "satisfied" else 0,
                   "bumanyi_count": 0 if result == "satisfied" else 5, "abstain_count": 0}
                  if result else {})
        db.session.add(Poll(hearing_id=made.id, mode="paper", pass_rule="half",
                            status=poll_status, panel_size=5, present_count=5, quorum=4,
                            opened_at=at(day), result=result, **counts))
        db.session.flush()
    return made


def followup(m: Matter, done: datetime | None) -> None:
    db.session.add(FollowUp(matter_id=m.id, unit="县住建局", task="重新办理", deadline=date(2026, 12, 1),
                            status="done" if done else "open", done_at=done,
                            created_at=at(date(2026, 11, 12))))
    db.session.flush()


# --- the county --------------------------------------------------------------------------------

D = date


def reception_world() -> dict:
    """Sessions, places and bookings (the figures are in test_figures.py)."""
    l1, l2 = leader("刘海涛"), leader(FORMULA_LEADER)
    a, a_places = session(l1, D(2026, 11, 2), places=3, walk_ins=2)
    a1 = booking(a_places[0], "checked_in", party=2)
    booking(a_places[1], "no_show")
    booking(a_places[2], "cancelled")
    a3 = booking(a_places[2], "checked_in")
    aw = booking(a_places[3], "checked_in", party=3)
    _b, b_places = session(l2, D(2026, 11, 10), places=2)
    booking(b_places[0], "declined", category="土地权属")
    booking(b_places[1], "expired", category="土地权属")
    _c, c_places = session(l1, D(2026, 11, 12), places=2, status="cancelled")
    booking(c_places[0], "cancelled")
    _d, d_places = session(l1, D(2026, 11, 20), places=1)
    booking(d_places[0], "confirmed")
    _e, e_places = session(l2, D(2026, 11, 18), places=1)
    booking(e_places[0], "confirmed")
    _p, p_places = session(l1, D(2026, 10, 26), places=2)
    p1, p2 = booking(p_places[0], "checked_in"), booking(p_places[1], "checked_in")
    # Across the new year: Tue 30 Dec 2025, Fri 2 Jan 2026, Mon 5 Jan 2026.
    for day in (D(2025, 12, 30), D(2026, 1, 2), D(2026, 1, 5)):
        _y, y_places = session(l1, day, places=1)
        booking(y_places[0], "checked_in")
    db.session.commit()
    return {"leaders": (l1, l2), "visits": (a1, a3, aw, p1, p2)}


def casework_world(visits) -> None:
    a1, a3, aw, p1, p2 = visits
    u1, u2 = unit("县住建局"), unit(FORMULA_UNIT)
    handover(a1, u1, D(2026, 11, 2), D(2026, 11, 20))  # H1 open, not yet due
    h2 = handover(a3, u1, D(2026, 11, 2), D(2026, 11, 10), concluded=D(2026, 11, 9))
    h3 = handover(aw, u2, D(2026, 11, 2), D(2026, 11, 12), concluded=D(2026, 11, 12),
                  first_due=D(2026, 11, 5))  # on time thanks to the extension
    h4 = handover(p1, u2, D(2026, 10, 26), D(2026, 11, 3), concluded=D(2026, 11, 5))  # late
    handover(p2, u1, D(2026, 10, 26), D(2026, 11, 1))  # H5 open and overdue now
    rating(h2, "satisfied", at(D(2026, 11, 10)))
    rating(h3, "basically_satisfied", at(D(2026, 11, 15), 23, 30))  # 15:30 UTC the same day
    rating(h4, "unsatisfied", at(D(2026, 11, 16), 0, 30))  # still the 15th in UTC
    db.session.commit()


def evaluation_world() -> None:
    m1 = matter(1, who=1, published=D(2026, 11, 10), result="satisfied", status="satisfied")
    m2 = matter(2, who=2, status="follow_up", result="unsatisfied")
    m3 = matter(3, who=3, status="applied")
    m4 = matter(4, who=4, status="noticed")
    application(m1, D(2026, 11, 3), "accepted", at(D(2026, 11, 4)))
    application(m2, D(2026, 10, 28), "accepted", at(D(2026, 11, 2), 9))
    application(m3, D(2026, 11, 5))
    hearing(m1, D(2026, 11, 10), "published", [("closed", "satisfied")])
    hearing(m2, D(2026, 11, 12), "noticed", [("closed", "unsatisfied")])
    hearing(m4, D(2026, 11, 13), "noticed", [("superseded", "satisfied"), ("open", None)])
    followup(m2, at(D(2026, 11, 14)))
    followup(m2, None)
    db.session.commit()


def settled_world() -> None:
    """Results published in July–September 2026 (today 18 Nov 2026)."""
    matter(11, who=11, published=D(2026, 7, 1), result="satisfied", status="satisfied")  # S1
    matter(12, who=12, published=D(2026, 7, 2), result="satisfied", status="satisfied")  # S2
    matter(13, who=13, published=D(2026, 7, 3), result="unsatisfied", status="closed")  # S3
    matter(14, who=14, published=D(2026, 9, 1), result="satisfied", status="satisfied")  # S4
    matter(15, who=15, published=D(2026, 7, 4), result="satisfied", status="satisfied")  # S5
    matter(16, who=13, created=D(2026, 7, 10))  # S3's petitioner petitions again
    leader_obj = leader("陈立")
    _s, places = session(leader_obj, D(2026, 8, 10), places=3)
    booking(places[0], "checked_in", who=12, created=at(D(2026, 8, 1)))  # S2 books again
    booking(places[1], "checked_in", who=15, created=at(D(2026, 7, 4), 15))  # S5: the same day
    _s2, places2 = session(leader_obj, D(2026, 10, 12), places=1)
    booking(places2[0], "checked_in", who=15, created=at(D(2026, 10, 5)))  # S5: day 93
    db.session.commit()


def county() -> None:
    made = reception_world()
    casework_world(made["visits"])
    evaluation_world()
