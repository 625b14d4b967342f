"""Issue 8's acceptance: one reception day from the desk to the conclusion, as staff click it.

预约 → 审核 → 签到 (by typed code and by the receipt's QR address) → 现场登记 → 爽约 → 接谈记录
→ 交办 → 延期 → 办理进展 → 催办 → 办结, then the nightly close-past, which must agree with the day
view on who did not come, and whose 爽约 suspends the next booking.
"""
from __future__ import annotations

import re
from datetime import date, datetime, time

from sqlalchemy import func, select

from portal import audit
from portal.casework import services as casework
from portal.casework.models import HandOver, HandOverNote, ReceptionRecord
from portal.extensions import db
from portal.reception.models import Booking, Place
from tests import factories

DAY = date(2026, 11, 23)  # Monday; FIXED_NOW is Wednesday 18 November, booking open


def _status(booking_id: int) -> str:
    db.session.expire_all()
    return db.session.get(Booking, booking_id).status


def _see_other(response, to: str | None = None) -> str:
    assert response.status_code == 303, response.get_data(as_text=True)[:800]
    location = response.headers["Location"]
    if to is not None:
        assert to in location, location
    return location


def _day_rows(client, session_id: int) -> dict[str, str]:
    """The day view's rows as {booking code: the row's text}."""
    page = client.get(f"/staff/reception/sessions/{session_id}/day")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    rows = {}
    for row in re.findall(r"<tr\b.*?</tr>", html, flags=re.S):
        codes = re.findall(r"[23456789A-HJ-NP-Z]{8}", re.sub(r"<[^>]+>", " ", row))
        if codes:
            rows[codes[0]] = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row))
    return rows


def _book_three(leader, absent_number: str):
    session = factories.session(leader, day=DAY, start=time(9), end=time(10, 40), walk_ins=2)
    asked = factories.book(session, name="李明", summary="村里修路征收承包地，补偿款未足额发放。")
    scanned = factories.book(session, name="王芳")
    absent = factories.book(session, name="赵强", id_number=absent_number)
    return session, asked, scanned, absent


def test_the_whole_day(app, client, auth, clock, runner):
    leader = factories.leader()
    unit = casework.save_unit(None, "县自然资源和规划局", "department", factories.STAFF)
    db.session.commit()
    absent_number = factories.id_number(seq=77)
    for earlier in (date(2026, 9, 14), date(2026, 10, 19)):  # two 爽约 already on record
        factories.recorded_no_show(clock, absent_number, earlier)
    session, asked, scanned, absent = _book_three(leader, absent_number)
    auth.login("reception")
    for booking in (asked, scanned, absent):  # 审核
        _see_other(client.post(f"/staff/reception/bookings/{booking.id}/confirm"))
    assert {_status(b.id) for b in (asked, scanned, absent)} == {"confirmed"}

    # The day: check-in opens at the desk only on the day itself.
    clock.set(datetime(2026, 11, 23, 8, 50))
    day_url = f"/staff/reception/sessions/{session.id}/day"
    # 签到 by typing the code — as written on a slip, in lower case with a space.
    typed = f"{asked.code[:4].lower()} {asked.code[4:].lower()}"
    _see_other(client.post("/staff/reception/checkin",
                           data={"code": typed, "session_id": session.id, "next": day_url}), day_url)
    assert _status(asked.id) == "checked_in"
    # 签到 by the receipt's QR address opened on the logged-in desk tablet.
    desk = _see_other(client.get(f"/reception/bookings/{scanned.code}"),
                      f"/staff/reception/checkin/{scanned.code}")
    page = client.get(desk)
    assert page.status_code == 200 and "王芳" in page.get_data(as_text=True)
    _see_other(client.post(f"/staff/reception/checkin/{scanned.code}/check_in"))
    assert _status(scanned.id) == "checked_in"

    # 现场登记: same fields as online, queued after the booked visitors, checked in at once.
    walk_form = factories.booking_form(name="陈刚", id_checked="y", next=day_url)
    _see_other(client.post(f"/staff/reception/sessions/{session.id}/walk-ins/new",
                           data=walk_form), day_url)
    walk_in = db.session.scalar(select(Booking).where(Booking.name == "陈刚"))
    assert walk_in.status == "checked_in"
    walk_place = db.session.get(Place, walk_in.place_id)
    assert walk_place.walk_in and walk_place.number > 5

    rows = _day_rows(client, session.id)
    assert list(rows) == [asked.code, scanned.code, absent.code, walk_in.code]
    assert "已签到" in rows[asked.code] and "已确认" in rows[absent.code]
    assert "现场" in rows[walk_in.code]

    # 接谈记录 for someone not checked in is refused and writes nothing.
    refused = client.post(f"/staff/reception/bookings/{absent.id}/record",
                          data={"request": "要求解决补偿问题", "outcome": "answered",
                                "answer": "已解释"})
    assert refused.status_code in (303, 409)
    assert db.session.scalar(select(func.count(ReceptionRecord.id))) == 0

    # 接谈 → 交办, with the default deadline of 60 days.
    clock.set(datetime(2026, 11, 23, 9, 40))
    _see_other(client.post(f"/staff/reception/bookings/{asked.id}/record", data={
        "request": "要求按标准补足征地补偿款。", "instruction": "请县自然资源和规划局核实，依法处理。",
        "outcome": "handed_over", "unit_id": str(unit.id),
        "task": "核实补偿标准和发放情况，书面答复来访人。", "due_on": ""}), day_url)
    _see_other(client.post(f"/staff/reception/bookings/{walk_in.id}/record", data={
        "request": "咨询养老保险缴费年限。", "instruction": "", "outcome": "answered",
        "answer": "当场解释了缴费年限的认定办法。"}), day_url)
    handover = db.session.scalar(select(HandOver))
    assert handover.unit_id == unit.id and handover.due_on == date(2027, 1, 22)
    # A recorded visitor can no longer be marked 爽约, in the UI or in the database.
    assert "爽约" not in re.sub(r"<[^>]+>", " ", _day_rows(client, session.id)[asked.code]
                               ).split("已签到", 1)[1]
    client.post(f"/staff/reception/day/bookings/{asked.id}/no_show")
    assert _status(asked.id) == "checked_in"

    # 督办: extension, progress, a reminder, the conclusion with the reply.
    clock.set(datetime(2027, 1, 12, 10, 0))
    url = f"/staff/handovers/{handover.id}"
    _see_other(client.post(f"{url}/extend",
                           data={"extend-days": "20", "extend-reason": "需调取历年补偿档案"}))
    twice = client.post(f"{url}/extend", data={"extend-days": "5", "extend-reason": "再次延期"})
    assert twice.status_code == 409 and "不能再次延期" in twice.get_data(as_text=True)
    db.session.expire_all()
    handover = db.session.get(HandOver, handover.id)
    assert handover.extension_days == 20 and handover.due_on == date(2027, 2, 11)
    _see_other(client.post(f"{url}/notes", data={"progress-noted_on": "2027-01-12",
                                                 "progress-text": "单位已约谈来访人，正在核实档案。"}))
    _see_other(client.post(f"{url}/reminders", data={
        "reminder-noted_on": "2027-01-12", "reminder-method": "phone",
        "reminder-text": "请按延期后的期限办结。"}))
    assert db.session.scalar(select(func.count(HandOverNote.id))) == 2
    clock.set(datetime(2027, 2, 5, 16, 0))
    _see_other(client.post(f"{url}/conclude", data={
        "conclude-concluded_on": "2027-02-05",
        "conclude-reply": "已按标准补发补偿款 3.2 万元，并书面答复来访人。"}))
    again = client.post(f"{url}/conclude", data={"conclude-concluded_on": "2027-02-05",
                                                      "conclude-reply": "重复提交的答复"})
    assert again.status_code in (303, 409)
    db.session.expire_all()
    handover = db.session.get(HandOver, handover.id)
    assert handover.status == "concluded" and handover.reply.startswith("已按标准补发")
    assert handover.days_late(date(2027, 2, 5)) == 0

    actions = set(db.session.scalars(select(audit.AuditEntry.action)))
    assert {"booking.check_in", "booking.walk_in", "record.create", "handover.create",
            "handover.extend", "handover.progress", "handover.remind",
            "handover.conclude"} <= actions


def test_close_past_and_the_day_view_agree_on_no_shows(app, client, auth, clock, runner):
    leader = factories.leader()
    absent_number = factories.id_number(seq=78)
    for earlier in (date(2026, 9, 14), date(2026, 10, 19)):
        factories.recorded_no_show(clock, absent_number, earlier)
    session = factories.session(leader, day=DAY, start=time(9), end=time(10, 40), walk_ins=1)
    came = factories.book(session, name="李明")
    marked = factories.book(session, name="王芳")  # staff mark 爽约 on the day
    absent = factories.book(session, name="赵强", id_number=absent_number)  # left to the night
    unreviewed = factories.book(session, name="孙丽")  # never reviewed: expires, not 爽约
    later = factories.session(leader, day=date(2026, 12, 7))
    auth.login("reception")
    for booking in (came, marked, absent):
        _see_other(client.post(f"/staff/reception/bookings/{booking.id}/confirm"))

    clock.set(datetime(2026, 11, 23, 9, 0))
    day_url = f"/staff/reception/sessions/{session.id}/day"
    _see_other(client.post("/staff/reception/checkin", data={"code": came.code, "next": day_url}))
    _see_other(client.post(f"/staff/reception/day/bookings/{marked.id}/no_show"))

    clock.set(datetime(2026, 11, 24, 2, 0))  # the nightly job
    result = runner.invoke(args=["reception", "close-past"])
    assert result.exit_code == 0, result.output
    no_shows = set(db.session.scalars(select(Booking.code).where(
        Booking.session_id == session.id, Booking.status == "no_show")))
    assert no_shows == {marked.code, absent.code}
    rows = _day_rows(client, session.id)
    shown = {code for code, text in rows.items() if "爽约" in text.split(code, 1)[1]
             and "更正为爽约" not in text}
    assert shown == no_shows
    assert "已过期" in rows[unreviewed.code] and "已签到" in rows[came.code]

    # The third 爽约 in 90 days suspends the next booking.
    clock.set(datetime(2026, 11, 30, 9, 0))
    refused = client.post(f"/reception/sessions/{later.id}",
                          data=factories.booking_form(id_number=absent_number))
    assert refused.status_code in (409, 422)
    assert "暂停预约" in refused.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Booking.id)).where(
        Booking.session_id == later.id)) == 0


def test_a_walk_in_is_never_a_no_show(app, client, auth, clock):
    session = factories.session(day=DAY, walk_ins=1)
    clock.set(datetime(2026, 11, 23, 9, 0))
    walk_in = factories.walk_in(session, name="陈刚")
    auth.login("reception")
    rows = _day_rows(client, session.id)
    assert "爽约" not in rows[walk_in.code]
    refused = client.post(f"/staff/reception/day/bookings/{walk_in.id}/no_show")
    assert refused.status_code in (303, 409)
    assert _status(walk_in.id) == "checked_in"
