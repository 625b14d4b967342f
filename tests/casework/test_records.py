"""The reception record (接谈记录) and its hand-over (交办), through the record page: every
field error (422, nothing written, what was typed kept), the refusal for someone not checked in
(409, in the page and in the database), double submits, corrections, encryption at rest."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import IntegrityError

from portal import audit, calendar
from portal.casework.models import HandOver, ReceptionRecord
from portal.extensions import db
from portal.reception.models import Booking, ReceptionSession
from tests.casework.test_day import (
    MONDAY,
    audit_actions,
    check_in,
    confirmed,
    day_session,
    day_url,
    handed_over,
    on_the_day,
    status_of,
    unit,
)

HX = {"HX-Request": "true"}
REQUEST = "村里修路征收我家承包地，补偿款未足额发放。"
DUE = MONDAY + timedelta(days=60)  # the default period (setting handover_days)


@pytest.fixture
def visit(client, auth, clock):
    """A visitor checked in on the day, reception staff logged in, two units to choose from."""
    session = day_session()
    booking = confirmed(session)
    on_the_day(clock)
    check_in(booking)
    unit("县住建局")
    unit("城关镇", "township")
    auth.login()
    return booking


def record_url(booking) -> str:
    return f"/staff/reception/bookings/{booking.id}/record"


def form(**overrides) -> dict:
    data = {"record_id": "", "request": REQUEST, "instruction": "请住建局核实后答复",
            "outcome": "answered", "channel": "", "answer": "补偿标准已当面解释",
            "unit_id": "0", "task": "", "due_on": ""}
    data.update(overrides)
    return data


def unit_id(name: str) -> str:
    from portal.casework.models import Unit

    return str(db.session.scalar(select(Unit.id).where(Unit.name == name)))


def written() -> tuple[int, int, int]:
    """Records, hand-overs and audit entries of casework in the database."""
    entries = db.session.scalar(select(func.count(audit.AuditEntry.id)).where(
        audit.AuditEntry.action.like("record.%") | audit.AuditEntry.action.like("handover.%")))
    return (db.session.scalar(select(func.count(ReceptionRecord.id))),
            db.session.scalar(select(func.count(HandOver.id))), entries)


# --- the page ------------------------------------------------------------------------------------

def test_the_form_shows_the_visitor_and_the_hand_over_fields(client, visit):
    page = client.get(record_url(visit))
    assert page.status_code == 200
    text_ = page.text
    assert visit.name in text_ and visit.masked_id in text_ and visit.category in text_
    assert "补偿款未足额发放" in text_  # the booking's 事项简述
    for label in ("来访诉求", "领导批示", "处理结果", "当场答复", "交办", "引导其他途径",
                  "不予受理", "途径", "答复内容", "交办（处理结果为“交办”时填写）", "责任单位",
                  "交办事项", "办理期限"):
        assert label in text_, label
    # Units grouped 县直部门 / 镇乡; the default deadline filled in.
    assert '<optgroup label="县直部门">' in text_ and '<optgroup label="镇乡">' in text_
    assert f'value="{DUE.isoformat()}"' in text_
    assert "<script" not in text_.split("<main", 1)[1]


def test_an_answered_record_is_saved_and_the_day_view_links_to_it(client, visit):
    response = client.post(record_url(visit), data=form())
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/staff/reception/sessions/{visit.session_id}/day")
    day = client.get(response.headers["Location"]).text
    assert "接谈记录已保存" in day and "接谈记录：当场答复" in day
    assert written() == (1, 0, 1) and audit_actions()[-1] == "record.create"
    record = db.session.scalar(select(ReceptionRecord))
    assert (record.request, record.outcome, record.answer) == (REQUEST, "answered",
                                                               "补偿标准已当面解释")


CASES = {
    "empty request": ({"request": "  "}, "request", "请填写来访诉求"),
    "no outcome": ({"outcome": ""}, "outcome", "请选择处理结果"),
    "unknown outcome": ({"outcome": "lost"}, "outcome", "请选择处理结果"),
    "redirected without channel": ({"outcome": "redirected", "channel": ""}, "channel",
                                   "请选择引导的途径"),
    "not accepted without reason": ({"outcome": "not_accepted", "answer": ""}, "answer",
                                    "请填写不予受理的理由"),
    "answered without answer": ({"answer": " "}, "answer", "请填写当场答复的内容"),
    "request too long": ({"request": "诉" * 2001}, "request", "来访诉求最多 2000 字"),
    "instruction too long": ({"instruction": "批" * 1001}, "instruction", "领导批示最多 1000 字"),
    "answer too long": ({"answer": "答" * 1001}, "answer", "最多 1000 字"),
    "hand-over without unit": ({"outcome": "handed_over", "task": "核实补偿款"}, "unit_id",
                               "请选择责任单位"),
    "hand-over without task": ({"outcome": "handed_over", "unit_id": "UNIT", "task": ""},
                               "task", "请填写交办事项"),
    "task too long": ({"outcome": "handed_over", "unit_id": "UNIT", "task": "办" * 1001},
                      "task", "最多 1000 字"),
    "deadline past the limit": ({"outcome": "handed_over", "unit_id": "UNIT", "task": "核实",
                                 "due_on": (DUE + timedelta(days=1)).isoformat()}, "due_on",
                                "办理期限应在交办之日后"),
    "deadline before today": ({"outcome": "handed_over", "unit_id": "UNIT", "task": "核实补偿",
                               "due_on": (MONDAY - timedelta(days=1)).isoformat()}, "due_on",
                              "办理期限应在交办之日后"),
    "deadline today": ({"outcome": "handed_over", "unit_id": "UNIT", "task": "核实补偿",
                        "due_on": MONDAY.isoformat()}, "due_on", "办理期限应在交办之日后"),
    "deadline not a date": ({"outcome": "handed_over", "unit_id": "UNIT", "task": "核实补偿",
                             "due_on": "2027-02-30"}, "due_on", "日期格式不正确"),
    "deadline far away": ({"outcome": "handed_over", "unit_id": "UNIT", "task": "核实补偿",
                           "due_on": "9999-12-31"}, "due_on", "日期应在"),
    "unit not a number": ({"outcome": "handed_over", "unit_id": "x", "task": "核实补偿"},
                          "unit_id", ""),
    "unit unknown": ({"outcome": "handed_over", "unit_id": "99999", "task": "核实补偿"},
                     "unit_id", "请选择责任单位"),
}


@pytest.mark.parametrize("case", CASES)
def test_every_field_error_is_422_and_writes_nothing(client, visit, case):
    changes, field, message = CASES[case]
    changes = {k: unit_id("县住建局") if v == "UNIT" else v for k, v in changes.items()}
    before = written()
    for headers in ({}, HX):
        response = client.post(record_url(visit), data=form(**changes), headers=headers)
        assert response.status_code == 422, (case, response.status_code)
        assert message in response.text, case
        # The message sits on its field, and the summary links to it.
        assert f'href="#{field}"' in response.text, case
        assert written() == before, case
    # What was typed is kept.
    kept = changes.get("request", REQUEST).strip() or "请住建局核实后答复"
    assert kept[:50] in response.text


def test_a_visitor_not_checked_in_gets_no_record(client, auth, clock):
    session = day_session()
    booking = confirmed(session)
    auth.login()
    page = client.get(record_url(booking))
    assert page.status_code == 409 and "只能为已签到的来访人填写接谈记录" in page.text
    refused = client.post(record_url(booking), data=form())
    assert refused.status_code == 409 and "只能为已签到的来访人填写接谈记录" in refused.text
    assert written() == (0, 0, 0)
    assert client.get("/staff/reception/bookings/99999/record").status_code == 404
    # The day view offers no record link for him.
    on_the_day(clock)
    assert "填写接谈记录" not in client.get(day_url(session)).text


def test_the_database_refuses_a_record_without_check_in(app, clock):
    session = day_session()
    booking = confirmed(session)
    now = calendar.now()
    for status in ("checked_in", "confirmed"):
        with pytest.raises(IntegrityError):
            with db.session.begin_nested():
                db.session.add(ReceptionRecord(
                    booking_id=booking.id, booking_status=status, request_cipher="x",
                    instruction_cipher="x", outcome="answered", channel="", answer_cipher="x",
                    recorded_at=now, updated_at=now))
        db.session.rollback()
    assert written()[0] == 0


def test_the_database_keeps_a_recorded_visitor_checked_in(client, visit):
    assert client.post(record_url(visit), data=form()).status_code == 303
    with pytest.raises(IntegrityError):
        with db.session.begin_nested():
            db.session.execute(update(Booking).where(Booking.id == visit.id)
                               .values(status="no_show"))
    db.session.rollback()
    assert status_of(visit) == "checked_in"


def test_a_recorded_visitor_is_no_longer_offered_no_show(client, visit):
    row_url = f"/staff/reception/day/bookings/{visit.id}/no_show"
    day = f"/staff/reception/sessions/{visit.session_id}/day"
    assert row_url in client.get(day).text  # before the record
    assert client.post(record_url(visit), data=form()).status_code == 303
    assert row_url not in client.get(day).text
    refused = client.post(row_url, headers=HX)
    assert "已有接谈记录" in refused.text and status_of(visit) == "checked_in"


def test_a_double_submit_of_a_new_record_writes_one(client, visit):
    first = client.post(record_url(visit), data=form())
    assert first.status_code == 303
    second = client.post(record_url(visit), data=form(answer="另一次提交的答复"))
    assert second.status_code == 409 and "已经保存过" in second.text
    assert "补偿标准已当面解释" in second.text  # the saved record is shown, not the resubmission
    assert written() == (1, 0, 1)
    assert db.session.scalar(select(ReceptionRecord.answer_cipher)) is not None
    assert db.session.scalar(select(ReceptionRecord)).answer == "补偿标准已当面解释"


def test_hand_over_with_the_default_deadline(client, visit):
    response = client.post(record_url(visit), data=form(
        outcome="handed_over", answer="", unit_id=unit_id("城关镇"), task="核实征地补偿款发放"))
    assert response.status_code == 303
    day = client.get(response.headers["Location"]).text
    assert f"已交办城关镇，办理期限 {calendar.format_date(DUE)}" in day
    handover = db.session.scalar(select(HandOver))
    assert (handover.handed_on, handover.first_due_on, handover.due_on) == (MONDAY, DUE, DUE)
    assert handover.task == "核实征地补偿款发放" and handover.status == "open"
    assert audit_actions()[-2:] == ["record.create", "handover.create"]
    # The record page now shows the hand-over read-only, with the supervision page's address.
    page = client.get(record_url(visit)).text
    assert "已交办" in page and "核实征地补偿款发放" in page
    assert f"/staff/handovers/{handover.id}" in page
    assert 'name="task"' not in page and 'name="unit_id"' not in page


def test_hand_over_with_an_earlier_deadline(client, visit):
    due = MONDAY + timedelta(days=15)
    assert client.post(record_url(visit), data=form(
        outcome="handed_over", unit_id=unit_id("县住建局"), task="核实",
        due_on=due.isoformat())).status_code == 303
    assert db.session.scalar(select(HandOver.due_on)) == due


def test_correcting_a_record_keeps_one_row_and_is_audited(client, visit):
    assert client.post(record_url(visit), data=form()).status_code == 303
    record_id = db.session.scalar(select(ReceptionRecord.id))
    page = client.get(record_url(visit)).text
    assert f'name="record_id" type="hidden" value="{record_id}"' in page
    assert "补偿标准已当面解释" in page and "保存更正" in page
    corrected = client.post(record_url(visit), data=form(
        record_id=str(record_id), outcome="redirected", channel="litigation",
        answer="属于涉法涉诉事项，已告知向人民法院起诉"))
    assert corrected.status_code == 303
    assert "接谈记录已更正" in client.get(corrected.headers["Location"]).text
    assert written() == (1, 0, 2) and audit_actions()[-1] == "record.update"
    db.session.expire_all()
    record = db.session.scalar(select(ReceptionRecord))
    assert (record.outcome, record.channel) == ("redirected", "litigation")
    assert record.outcome_label == "引导其他途径（诉讼）"


def test_a_handed_over_record_cannot_change_its_outcome(client, visit):
    handed_over(visit, unit("县人社局"))
    record_id = str(db.session.scalar(select(ReceptionRecord.id)))
    refused = client.post(record_url(visit), data=form(record_id=record_id))
    assert refused.status_code == 422 and "本案已交办" in refused.text
    kept = client.post(record_url(visit), data=form(record_id=record_id, outcome="handed_over",
                                                    request="补偿款未足额发放（更正）"))
    assert kept.status_code == 303
    assert written()[:2] == (1, 1)
    assert db.session.scalar(select(ReceptionRecord)).request == "补偿款未足额发放（更正）"


def test_texts_are_encrypted_at_rest(client, visit):
    client.post(record_url(visit), data=form(
        outcome="handed_over", instruction="请城关镇限期核实", answer="",
        unit_id=unit_id("城关镇"), task="核实征地补偿款发放情况"))
    raw = db.session.execute(text(
        "SELECT request_cipher, instruction_cipher, answer_cipher FROM reception_record")).one()
    task = db.session.execute(text("SELECT task_cipher FROM handover")).scalar_one()
    stored = " ".join(raw) + task
    for plain in (REQUEST, "补偿款", "请城关镇限期核实", "核实征地补偿款发放情况"):
        assert plain not in stored
    assert db.session.scalar(select(ReceptionRecord)).request == REQUEST


def test_a_closed_day_still_takes_its_records(client, visit, clock):
    """Records are often written up after the session: closing the day does not stop them."""
    from portal.reception import management
    from tests.factories import STAFF

    management.close_session(db.session.get(ReceptionSession, visit.session_id), STAFF,
                             calendar.now())
    db.session.commit()
    clock.set(clock.current + timedelta(days=1))
    assert client.post(record_url(visit), data=form()).status_code == 303
    assert written()[0] == 1
