"""Hand-overs for the supervision and ledger tests, made through the services: a session, a
booking, check-in on the session's day, a reception record with the outcome 交办."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from portal.casework import services
from portal.casework.models import HandOver
from portal.extensions import db
from portal.reception import management
from tests import factories
from tests.factories import STAFF


def unit(name: str = "县住建局", kind: str = "department"):
    made = services.save_unit(None, name, kind, STAFF)
    db.session.commit()
    return made


def at(clock, day: date, hour: int = 10) -> datetime:
    clock.set(datetime.combine(day, time(hour)))
    return clock.current


def visit(clock, session_obj, name: str = "张三"):
    """A booking of ``session_obj`` checked in on its day (the clock is left on that day)."""
    # Booked inside the booking window (it opens 7 days ahead, closes the working day before).
    clock.set(datetime.combine(session_obj.day - timedelta(days=5), time(10)))
    made = factories.book(session_obj, name=name)
    now = at(clock, session_obj.day)
    management.change_booking(made, "check_in", STAFF, now)
    db.session.commit()
    return made


def handover(clock, unit_obj, session_obj=None, *, name: str = "张三",
             task: str = "核实补偿款发放情况并答复来访人", due_on: date | None = None):
    """A visit to ``session_obj`` handed over to ``unit_obj`` on the session's day."""
    session_obj = session_obj or factories.session()
    booking = visit(clock, session_obj, name)
    record = services.save_record(
        booking, services.RecordInput(request="补偿款未足额发放", instruction="请住建局核实",
                                      outcome="handed_over"),
        services.HandOverInput(unit_obj.id, task, due_on), STAFF, clock.current)
    db.session.commit()
    return db.session.scalars(select(HandOver).filter_by(record_id=record.id)).one()


def answered(clock, session_obj, name: str = "李四"):
    """A visit answered on the spot: a record, no hand-over."""
    booking = visit(clock, session_obj, name)
    record = services.save_record(
        booking, services.RecordInput(request="咨询社保缴费年限", instruction="",
                                      outcome="answered", answer="已当场解释政策"),
        None, STAFF, clock.current)
    db.session.commit()
    return record
