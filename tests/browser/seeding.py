"""Data the end-to-end flows need that the demo cannot give at any hour: made through the
portal's own services (never raw SQL), in a subprocess against the live server's database.

Run as ``python -m tests.browser.seeding <what>`` with the live server's environment; prints
one JSON object. The demo does the same for its past steps: a service called with a ``now``
in the past (a notice published days ago, a booking made while the window was open).

- ``hearing``: an accepted matter whose hearing is today (China time), panel of seven
  (panel1..panel7, panel1 chairs), notice published six days ago — as the rules require
  (notice at least 3 full days ahead; attendance and the poll only on the hearing day).
- ``full_session``: a published session open for booking now with a single place, taken.
- ``desk_visitor``: a pending booking on the latest working day up to today (not closed), so
  the desk can check it in (check-in is allowed on the day and after, until the day closes).
"""
from __future__ import annotations

import json
import sys
from datetime import date, datetime, time, timedelta

from stdnum.cn import ric


def id_number(birth: str, seq: int) -> str:
    body = "110105" + birth + f"{seq:03d}"
    return body + ric.calc_check_digit(body + "0")


def _user(username: str):
    from sqlalchemy import select

    from portal.accounts.models import User
    from portal.extensions import db
    return db.session.scalar(select(User).where(User.username == username))


def _request(leader, seq: int, name: str):
    from portal.reception.services import BookingRequest
    number = id_number("19650302", seq)
    return BookingRequest(name=name, id_number=number, phone="137" + number[-9:-1],
                          category=leader.categories[0],
                          summary="村道硬化工程拖欠工人工资，请求协调解决。", party_size=1)


def _leader():
    from sqlalchemy import select

    from portal.extensions import db
    from portal.reception.models import Leader
    return db.session.scalars(select(Leader).where(Leader.active).order_by(Leader.id)).first()


def _session(day: date, start: time, end: time, now: datetime):
    from portal.reception import management
    plan = management.SessionPlan(leader_id=_leader().id, first_day=day, start_time=start,
                                  end_time=end, place="县人民来访接待中心二楼", slot_minutes=20,
                                  publish=True)
    made, _ = management.create_sessions(plan, _user("jiedai"), now)
    return made[0]


def full_session() -> dict:
    """A one-place session open for booking now, its place taken by someone else."""
    from portal import calendar
    from portal.reception import services
    from portal.reception.window import booking_window
    now = calendar.now()
    cal = calendar.WorkingCalendar()
    day = now.date() + timedelta(days=2)
    while not (cal.is_working_day(day) and booking_window(_fake(day), cal).state(now) == "open"):
        day += timedelta(days=1)
    session = _session(day, time(16, 0), time(16, 20), now)
    services.create_booking(session.id, _request(_leader(), 1, "李桂兰"), now)
    return {"session_id": session.id, "day": day.isoformat()}


def _fake(day: date):
    from portal.reception.models import ReceptionSession
    return ReceptionSession(day=day)


def desk_visitor() -> dict:
    """A pending booking on the latest working day up to today, booked while it was open."""
    from portal import calendar
    from portal.reception import services
    from portal.reception.window import booking_window
    cal = calendar.WorkingCalendar()
    day = calendar.now().date()
    while not cal.is_working_day(day):
        day -= timedelta(days=1)
    opened = booking_window(_fake(day), cal).opens_at + timedelta(hours=9)
    session = _session(day, time(8, 30), time(9, 30), opened)
    request = _request(_leader(), 2, "周德明")
    booking = services.create_booking(session.id, request, opened)
    return {"session_id": session.id, "code": booking.code, "phone": request.phone,
            "day": day.isoformat()}


def hearing() -> dict:
    """A hearing today with a panel of seven, its notice published six days ago."""
    from portal import calendar
    from portal.evaluation import applications, hearings, matters, panels, queries
    from portal.evaluation.codes import CONDITIONS
    from portal.evaluation.models import Evaluator
    from portal.extensions import db
    clerk = _user("pingjia")
    today = calendar.now().date()
    past = calendar.local(today - timedelta(days=6), time(15, 0))
    matter = matters.save_matter(None, matters.MatterData(
        number="XF-E2E-0007", title="青石镇村道硬化工程拖欠工资", category="征地拆迁",
        unit="县交通运输局", level="county",
        summary="信访人反映村道硬化工程完工后施工方拖欠工人工资，对交通运输局的处理意见不满意。",
        petitioner_name="陈永福", petitioner_id=id_number("19580812", 3), phone="13700001111",
        address="青石镇石桥村二组 7 号", opinion_date=today - timedelta(days=40),
        handling_opinion="经调查核实，已责令施工方限期支付，并书面答复信访人。"),
        clerk, past - timedelta(days=3))
    application = applications.submit_application(
        matter, matter.unit, (past - timedelta(days=2)).date(), "信访人对处理意见仍不满意。",
        clerk, past - timedelta(days=2))
    for code in CONDITIONS:
        applications.record_condition(application, code, True, "已核对材料", clerk,
                                      past - timedelta(days=2))
    applications.accept_application(application, clerk, past - timedelta(days=2))
    made = hearings.create_hearing(matter, hearings.HearingData(
        today, time(9, 30), "县人民来访接待中心三楼会议室", "county"), clerk, past)
    members = [db.session.scalar(db.select(Evaluator).where(Evaluator.user_id == _user(
        f"panel{i}").id)) for i in range(1, 8)]
    made = queries.load_hearing(made.id)
    conflict = panels.set_panel(made, [e.id for e in members], members[0].id, clerk, past)
    assert conflict is None, conflict
    hearings.publish_notice(made, clerk, past)
    return {"hearing_id": made.id, "title": matter.title,
            "members": [e.name for e in members]}


def main(what: str) -> None:
    from portal import create_app
    from portal.extensions import db
    app = create_app()
    with app.app_context():
        made = {"hearing": hearing, "full_session": full_session,
                "desk_visitor": desk_visitor}[what]()
        db.session.commit()
    print(json.dumps(made, ensure_ascii=False))


if __name__ == "__main__":
    main(sys.argv[1])
