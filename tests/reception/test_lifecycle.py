"""The reception lifecycles, walked: every transition of SESSION and BOOKING from every status,
with each role (reception, admin, evaluation, panel, anonymous) — allowed or refused, and why.

The walk is generated from the table, at a moment when the time-bound guards pass; the
expected table itself, the wording kept from before the table existed, and the guards' own
cases (the day of reception, a cancelled session, a place retaken, a closed day, the
cancellation cut-off) are written out here.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from portal import audit, calendar, events
from portal.errors import DomainError
from portal.extensions import db
from portal.reception import management, queries, services
from portal.reception.lifecycle import BOOKING, SESSION
from portal.reception.models import Booking, Place, ReceptionSession
from tests import factories
from tests.conftest import FIXED_NOW

DAY = date(2026, 11, 23)  # the factories' session day (a Monday); FIXED_NOW is the Wednesday before
ON_THE_DAY = datetime(2026, 11, 23, 9, 0, tzinfo=calendar.TZ)
STAFF = frozenset({"reception"})


@dataclass
class User:
    role: str
    id: int = 1
    username: str = "tester"


ROLES = {"reception": User("reception"), "admin": User("admin"), "evaluation": User("evaluation"),
         "panel": User("panel"), "anonymous": None}

# lifecycle, event -> sources, target, roles, audited. The table must be exactly this.
TABLE = {
    ("session", "publish"): ({"draft"}, "published", STAFF, True),
    ("session", "close"): ({"published"}, "published", STAFF, True),
    ("session", "cancel"): ({"draft", "published"}, "cancelled", STAFF, True),
    ("session", "publish_on_create"): ({"draft"}, "published", STAFF, False),
    ("booking", "confirm"): ({"pending", "declined"}, "confirmed", STAFF, True),
    ("booking", "check_in"): ({"pending", "confirmed", "no_show"}, "checked_in", STAFF, True),
    ("booking", "no_show"): ({"confirmed", "checked_in"}, "no_show", STAFF, True),
    ("booking", "decline"): ({"pending", "confirmed"}, "declined", STAFF, True),
    ("booking", "correct_attended"): ({"no_show"}, "checked_in", STAFF, True),
    ("booking", "correct_absent"): ({"checked_in"}, "no_show", STAFF, True),
    # 一人一号 covers the waiting list: the citizen (and a cancelled session) cancel entries too.
    ("booking", "cancel"): ({"pending", "confirmed", "waitlisted", "offered"}, "cancelled",
                            frozenset(), False),
    ("booking", "accept"): ({"offered"}, "pending", frozenset(), False),
    ("booking", "cancel_with_session"): ({"pending", "confirmed", "waitlisted", "offered"},
                                         "cancelled", STAFF, False),
    ("booking", "miss"): ({"confirmed"}, "no_show", STAFF, False),
    ("booking", "expire"): ({"pending"}, "expired", STAFF, False),
    ("booking", "offer"): ({"waitlisted"}, "offered", STAFF, False),
    ("booking", "lapse"): ({"waitlisted", "offered"}, "lapsed", STAFF, False),
}
LIFECYCLES = {"session": SESSION, "booking": BOOKING}
WALK = [(name, event) for name, lc in LIFECYCLES.items() for event in lc.transitions]

# Refusal wording for a wrong status that predates the table (default: 当前状态为“…”，不能…).
WRONG_STATUS = {
    ("session", "publish"): "只有未发布的场次可以发布（当前：{status}）",
    ("session", "cancel"): "本场已取消",
    ("booking", "cancel"): "该预约当前状态为“{status}”，不能取消",
}
# The walk happens when the time-bound guards pass: before the cancellation cut-off, except
# for the acts of the reception day itself.
WALK_AT = {("session", "close"): ON_THE_DAY, ("booking", "check_in"): ON_THE_DAY,
           ("booking", "no_show"): ON_THE_DAY}
# Guards that refuse in the walk by design.
PART_OF = {("session", "publish_on_create"): "只能在新建场次时一并处理",
           ("booking", "cancel_with_session"): "只能在取消本场时一并处理",
           ("booking", "miss"): "只能在结束本场时一并处理",
           ("booking", "expire"): "只能在结束本场时一并处理",
           ("booking", "offer"): "只能在释放名额时一并处理",
           ("booking", "lapse"): "只能在候补保留时间到期或结束本场时一并处理"}
# Corrections are for a closed day only; the walk's day is open (tests/reception/test_staff_fixes.py).
CLOSED_ONLY = {("booking", "correct_attended"), ("booking", "correct_absent")}
CITIZEN_ONLY = "预约只能由来访人本人凭预约码和手机号码取消"
CITIZEN_ACCEPTS = "候补名额只能由来访人本人凭预约码和手机号码确认"

SEEN: list[events.Event] = []


def _seen(event: events.Event) -> None:
    SEEN.append(event)


def expected_refusal(name: str, event: str, status: str, role: str) -> str | None:
    lc = LIFECYCLES[name]
    t = lc[event]
    if status not in t.sources:
        wording = WRONG_STATUS.get((name, event), "当前状态为“{status}”，不能" + t.label)
        return wording.format(status=lc.label(status))
    if t.roles and role not in ("reception", "admin"):
        return f"您的账号不能{t.label}"
    if (name, event) in PART_OF:
        return PART_OF[(name, event)]
    if (name, event) in CLOSED_ONLY:
        return "本场结束后才能更正；结束前请直接签到或记录爽约"
    if (name, event) == ("booking", "cancel") and role != "anonymous":
        return CITIZEN_ONLY
    if (name, event) == ("booking", "accept") and role != "anonymous":
        return CITIZEN_ACCEPTS
    return None


def test_the_table_is_the_expected_one():
    actual = {(name, t.event): (set(t.sources), t.target, t.roles, t.audited)
              for name, lc in LIFECYCLES.items() for t in lc.transitions.values()}
    assert actual == TABLE
    assert (SESSION.initial, BOOKING.initial) == ("draft", "pending")
    assert BOOKING.entries == {"pending", "waitlisted"} and SESSION.entries == {"draft"}


@pytest.fixture
def world(app):
    """A published session on DAY with a free place, for guards that look at them."""
    session = factories.session()
    place = db.session.scalar(select(Place).where(Place.session_id == session.id).limit(1))
    events.subscribe("", _seen)
    SEEN.clear()
    return session, place


def _record(name: str, status: str, session, place):
    if name == "session":
        return SimpleNamespace(id=session.id, status=status, day=DAY, closed=False)
    return SimpleNamespace(id=990, code="TESTCODE", status=status, session_id=session.id,
                           place_id=place.id, offer_expires_at=datetime(2026, 11, 20, 17, 0,
                                                                        tzinfo=calendar.TZ))


@pytest.mark.parametrize("name, event", WALK)
def test_every_transition_from_every_status_with_every_role(world, name, event):
    lc, now = LIFECYCLES[name], WALK_AT.get((name, event), FIXED_NOW)
    t = lc[event]
    for status in lc.statuses:
        for role, user in ROLES.items():
            record = _record(name, status, *world)
            want = expected_refusal(name, event, status, role)
            assert lc.refusal(record, event, user, now) == want, (status, role)
            assert lc.can(record, event, user, now) is (want is None)
            assert (t in lc.actions_for(record, user, now)) is (want is None)
            SEEN.clear()
            if want is None:
                lc.fire(record, event, user, now)
                assert record.status == t.target
                assert [(e.name, e.audited) for e in SEEN] == [(f"{name}.{event}", t.audited)]
            else:
                with pytest.raises(DomainError) as caught:
                    lc.fire(record, event, user, now)
                assert record.status == status and SEEN == []
                assert caught.value.status == (403 if want.startswith("您的账号") else 409)
    db.session.rollback()


# --- the guards' own cases --------------------------------------------------------------------------

def test_the_day_of_reception(app, clock):
    booking = factories.book(factories.session())
    reception = User("reception")
    management.change_booking(booking, "confirm", factories.STAFF, calendar.now())
    for event in ("check_in", "no_show"):
        assert BOOKING.refusal(booking, event, reception, FIXED_NOW) == "接访当天才能签到或记录爽约"
        assert BOOKING.refusal(booking, event, reception, ON_THE_DAY) is None
        assert BOOKING.refusal(booking, event, reception, datetime(2026, 11, 24, 9, 0,
                                                                   tzinfo=calendar.TZ)) is None
    session = db.session.get(ReceptionSession, booking.session_id)
    assert SESSION.refusal(session, "close", reception, FIXED_NOW) == "接访日之后才能结束本场"
    assert SESSION.refusal(session, "close", reception, ON_THE_DAY) is None
    draft = factories.session(day=date(2026, 11, 19), publish=False)
    assert SESSION.refusal(draft, "publish", reception, FIXED_NOW) is None
    assert SESSION.refusal(draft, "publish", reception,
                           datetime(2026, 11, 20, 8, 0, tzinfo=calendar.TZ)) == "已过期的场次不能发布"


def test_a_closed_day_is_not_closed_again(app, clock):
    session = factories.session()
    clock.set(ON_THE_DAY)
    management.close_session(session, factories.STAFF, calendar.now())
    assert SESSION.refusal(session, "close", User("reception"), ON_THE_DAY) == "本场已结束"


def test_nothing_happens_to_bookings_of_a_cancelled_session(app, clock):
    session = factories.session()
    declined = factories.book(session)
    management.change_booking(declined, "decline", factories.STAFF, calendar.now(), reason="不属于本场")
    management.cancel_session(session, "公务", factories.STAFF, calendar.now())
    db.session.commit()
    clock.set(ON_THE_DAY)
    reception = User("reception")
    assert BOOKING.refusal(declined, "confirm", reception, ON_THE_DAY) == "本场接访已取消"
    for status, event in (("pending", "decline"), ("confirmed", "check_in"), ("confirmed", "no_show")):
        record = SimpleNamespace(status=status, session_id=session.id, place_id=declined.place_id)
        assert BOOKING.refusal(record, event, reception, ON_THE_DAY) == "本场接访已取消"


def test_a_declined_booking_comes_back_only_to_a_free_place(app):
    session = factories.session(end=time(9, 20))  # one place
    first = factories.book(session)
    reception = User("reception")
    management.change_booking(first, "decline", factories.STAFF, calendar.now(), reason="材料不全")
    assert BOOKING.can(first, "confirm", reception, FIXED_NOW)
    factories.book(session)  # someone takes the place meanwhile
    assert BOOKING.refusal(first, "confirm", reception, FIXED_NOW) == "该号源已被他人预约，不能恢复"
    # A page that already holds the session's bookings tells the guard which places are held.
    assert BOOKING.can(first, "confirm", reception, FIXED_NOW, held_places=set())
    assert not BOOKING.can(first, "confirm", reception, FIXED_NOW, held_places={first.place_id})


def test_the_citizen_cancels_until_the_cut_off(app):
    booking = factories.book(factories.session())  # cut-off: Friday 20 Nov 17:00
    before = datetime(2026, 11, 20, 16, 59, tzinfo=calendar.TZ)
    after = datetime(2026, 11, 20, 17, 0, tzinfo=calendar.TZ)
    assert BOOKING.refusal(booking, "cancel", None, before) is None
    assert BOOKING.refusal(booking, "cancel", None, after) == (
        "已过取消截止时间（2026年11月20日 星期五 17:00）。如不能按时到场，请致电县信访局说明。")
    assert BOOKING.refusal(booking, "cancel", User("reception"), before) == CITIZEN_ONLY


# --- what the audit log reads ---------------------------------------------------------------------

def _entries() -> list[tuple[str, dict]]:
    return [(e.action, e.detail_dict) for e in db.session.scalars(
        select(audit.AuditEntry).order_by(audit.AuditEntry.id))]


def test_the_audit_log_reads_as_before(app, clock):
    leader = factories.leader()
    made, _ = management.create_sessions(management.SessionPlan(
        leader_id=leader.id, first_day=DAY, start_time=time(9), end_time=time(10),
        place="县人民来访接待中心", publish=True), factories.STAFF, calendar.now())
    session = made[0]
    assert session.status == "published"
    came, absent, gone = (factories.book(session) for _ in range(3))  # booking: not audited
    services.cancel_booking(gone, "有事", calendar.now())  # the citizen's own act: not audited
    unreviewed = factories.book(session)
    for booking in (came, absent):
        management.change_booking(booking, "confirm", factories.STAFF, calendar.now())
    clock.set(ON_THE_DAY)
    management.change_booking(came, "check_in", factories.STAFF, calendar.now())
    management.close_session(session, factories.STAFF, calendar.now())
    db.session.commit()
    assert [action for action, _ in _entries()] == [
        "leader.create", "session.create", "booking.confirm", "booking.confirm",
        "booking.check_in", "session.close"]
    entries = dict(_entries())
    assert entries["session.create"] == {"day": "2026-11-23", "published": True, "series": None}
    assert entries["session.close"] == {"no_show": 1, "expired": 1}
    assert entries["booking.check_in"] == {"code": came.code, "session": session.id}
    statuses = {b.id: b.status for b in db.session.scalars(select(Booking))}
    assert statuses == {came.id: "checked_in", absent.id: "no_show", gone.id: "cancelled",
                        unreviewed.id: "expired"}


def test_cancelling_a_session_is_one_entry_with_its_bookings_counted(app):
    session = factories.session()
    booking = factories.book(session)
    management.cancel_session(session, "领导临时公务", factories.STAFF, calendar.now())
    db.session.commit()
    assert _entries()[-1] == ("session.cancel", {"reason": "领导临时公务", "bookings_cancelled": 1})
    booking = db.session.get(Booking, booking.id)
    assert (booking.status, booking.status_reason, booking.cancelled_by_staff) == (
        "cancelled", "接访活动取消：领导临时公务", True)
    assert queries.call_list() == [booking]
