"""The reception day at the desk, after check-in: the day view of a session, the reception
record of each visit (with its hand-over), the printable day list (接访登记表).

Reads go through ``casework.day_queries``; every change runs through ``actions.perform`` (the
check-in and 爽约 buttons call reception's own ``management.change_booking``, the record
``casework.services.save_record``). Which buttons a row shows is asked of the booking lifecycle
by the template (``open_actions``), which also knows that a recorded visitor is no 爽约.
"""
from __future__ import annotations

from flask import Blueprint, Response, abort, flash, request, url_for
from flask_login import current_user

from portal import calendar, hypermedia
from portal.actions import perform
from portal.casework import day_queries, services
from portal.casework.forms import RecordForm
from portal.reception import management
from portal.reception.models import Booking

bp = Blueprint("casework_day", __name__, url_prefix="/staff/reception")
# The status changes the day view offers (the session page keeps review and corrections).
DAY_ACTIONS = ("check_in", "no_show")
DAY_CHANGED = "day-changed"  # htmx event: the counts at the top reload themselves


def _day_url(session_id: int) -> str:
    return url_for("casework_day.day", session_id=session_id)


def _day_context(session_id: int) -> dict:
    session_row = day_queries.day_session(session_id) or abort(404)
    bookings = day_queries.day_bookings(session_id)
    records = day_queries.session_records(session_id)
    return {"s": session_row, "bookings": bookings, "records": records,
            "counts": day_queries.day_counts(session_row, bookings, records),
            "received": {b.id for b in bookings if day_queries.received(b)}}


def _day_page(session_id: int, revealed: dict[int, str]) -> Response:
    return hypermedia.render("casework/day.html", revealed=revealed, row_error=None,
                             day_actions=DAY_ACTIONS, **_day_context(session_id))


@bp.get("/sessions/<int:session_id>/day")
def day(session_id: int):
    return _day_page(session_id, {})


@bp.get("/sessions/<int:session_id>/day/counts")
def day_counts(session_id: int):
    """The figures at the top of the day view (its block for htmx, else the page)."""
    if not hypermedia.is_fragment_request():
        return hypermedia.see_other(_day_url(session_id))
    context = _day_context(session_id)
    return hypermedia.render("casework/day.html", "counts", s=context["s"],
                             counts=context["counts"])


@bp.get("/sessions/<int:session_id>/day/print")
def day_print(session_id: int):
    return hypermedia.render("casework/day_print.html", now=calendar.now(),
                             **_day_context(session_id))


# --- one row: 签到 / 爽约, reveal the ID number ----------------------------------------------------

def _visitor(booking_id: int) -> Booking:
    return day_queries.day_booking(booking_id) or abort(404)


def _row(booking: Booking, error_message: str | None, revealed: str | None = None,
         changed: bool = False) -> Response:
    """htmx: the re-rendered row; otherwise a message and 303 back to the day view."""
    if hypermedia.is_fragment_request():
        response = hypermedia.render(
            "casework/_day_row.html", b=booking, row_error=error_message,
            revealed={booking.id: revealed} if revealed else {},
            records=day_queries.booking_records(booking.id), day_actions=DAY_ACTIONS,
            received={booking.id} if day_queries.received(booking) else set())
        if changed:
            response.headers["HX-Trigger"] = DAY_CHANGED
        return response
    if error_message:
        flash(error_message, "error")
    else:
        flash(f"{booking.place.number} 号 {booking.name} 现为“{booking.status_label}”")
    return hypermedia.see_other(_day_url(booking.session_id))


@bp.post("/day/bookings/<int:booking_id>/<any(check_in, no_show):action>")
def day_action(booking_id: int, action: str):
    booking = _visitor(booking_id)
    return perform(
        lambda: management.change_booking(booking, action, current_user, calendar.now()),
        success=lambda _: _row(booking, None, changed=True),
        # The rollback expired the booking: draw the row from a fresh load.
        failure=lambda error: _row(_visitor(booking_id), error.message))


@bp.post("/day/bookings/<int:booking_id>/reveal")
def reveal_id(booking_id: int):
    """The full ID number, to compare with the card: an audited act (booking.reveal_id)."""
    booking = _visitor(booking_id)

    def shown(number: str) -> Response:
        if hypermedia.is_fragment_request():
            return _row(booking, None, revealed=number)
        return _day_page(booking.session_id, {booking.id: number})

    return perform(lambda: management.reveal_id_number(booking, current_user), success=shown,
                   back=_day_url(booking.session_id))


# --- the reception record ------------------------------------------------------------------------

def _record_form(record, handover) -> RecordForm:
    """The form as opened: the saved record, or a new one with the default deadline."""
    form = RecordForm(formdata=None, obj=record)
    form.record_id.data = str(record.id) if record else ""
    if handover is None:
        form.due_on.data = services.default_due_on(calendar.now().date())
    return form


def _inputs(form: RecordForm) -> tuple[services.RecordInput, services.HandOverInput]:
    record = services.RecordInput(
        request=form.request.data or "", instruction=form.instruction.data or "",
        outcome=form.outcome.data or "", channel=form.channel.data or "",
        answer=form.answer.data or "")
    return record, services.HandOverInput(form.chosen_unit, form.task.data or "",
                                          form.due_on.data)


def _saved(created: bool, form: RecordForm, units: dict[int, str]):
    def message(record) -> str:
        done = "接谈记录已保存" if created else "接谈记录已更正"
        if record.outcome == "handed_over" and form.chosen_unit in units:
            due = form.due_on.data or services.default_due_on(calendar.now().date())
            return f"{done}，已交办{units[form.chosen_unit]}，办理期限 {calendar.format_date(due)}"
        return done

    return message


@bp.route("/bookings/<int:booking_id>/record", methods=["GET", "POST"])
def record(booking_id: int):
    booking = day_queries.visit(booking_id) or abort(404)
    if not day_queries.received(booking):
        return hypermedia.render("casework/record_refused.html", b=booking, status=409,
                                 message="只能为已签到的来访人填写接谈记录")
    units = day_queries.active_units()
    saved, saved_handover = day_queries.record_of(booking_id)
    form = _record_form(saved, saved_handover) if request.method == "GET" else RecordForm()
    form.set_units(units)

    def page(status: int, shown: RecordForm = form, reload: bool = False) -> Response:
        # After a rollback every loaded row is expired: the page then reads them afresh.
        visitor, (record_row, handover) = booking, (saved, saved_handover)
        if reload:
            visitor, (record_row, handover) = (day_queries.visit(booking_id),
                                               day_queries.record_of(booking_id))
        return hypermedia.render("casework/record.html", b=visitor, form=shown,
                                 record=record_row, handover=handover, status=status)

    if not form.validate_on_submit():
        return page(422 if request.method == "POST" else 200)
    if form.record_id.data != (str(saved.id) if saved else ""):
        fresh = _record_form(saved, saved_handover)
        fresh.set_units(units)
        fresh.form_errors.append("该来访人的接谈记录已经保存过（重复提交，或他人刚刚保存）。"
                                 "下面是已保存的内容；如需更正，请修改后再保存。")
        return page(409, fresh)
    record_input, handover_input = _inputs(form)
    return perform(
        lambda: services.save_record(booking, record_input, handover_input, current_user,
                                     calendar.now()),
        success=lambda _: hypermedia.see_other(_day_url(booking.session_id)),
        done=_saved(saved is None, form, {u.id: u.name for u in units}), form=form,
        failure=lambda error: page(error.status, reload=True))
