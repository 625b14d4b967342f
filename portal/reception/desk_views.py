"""The reception desk on the day (a tablet at the desk): check in by booking code — typed, or
the receipt's QR address opened on a logged-in desk device (``views.receipt`` sends it here) —
one booking's desk page, walk-in registration (现场登记), the session's walk-in places and its
duty leader (值班领导, changeable after bookings too; the session page and the day view both
show its small form: ``duty_leader_form``, a template global).

Reads go through ``reception.queries``; every change runs through ``actions.perform``.
"""
from __future__ import annotations

from flask import Blueprint, Response, abort, flash, request, url_for
from flask_login import current_user

from portal import calendar, hypermedia
from portal.accounts.sessions import safe_next_path
from portal.actions import perform
from portal.errors import DomainError
from portal.forms import EmptyForm
from portal.reception import desk, lifecycle, management, queries, services
from portal.reception.forms import (
    CheckInForm,
    DutyLeaderForm,
    ReasonForm,
    WalkInForm,
    WalkInPlacesForm,
)

desk_bp = Blueprint("reception_desk", __name__, url_prefix="/staff/reception")


def _next(raw: str | None, default: str) -> str:
    """Where to go after a desk act: the safe local ``next`` the page passed, or ``default``."""
    return safe_next_path(raw) or default


# --- check-in by code ---------------------------------------------------------------------------

@desk_bp.get("/checkin")
def checkin_desk():
    """The desk's code box (a day view may carry its own; this one checks today's code)."""
    form = CheckInForm(formdata=None, session_id=request.args.get("session_id", type=int))
    return hypermedia.render("reception/staff/desk_checkin.html", form=form, message=None)


def _checkin_refused(form: CheckInForm, error: DomainError) -> Response:
    """htmx: the message as a fragment, with the refusal's status; otherwise flash and 303."""
    if hypermedia.is_fragment_request():
        return hypermedia.render("reception/staff/desk_checkin.html", "checkin_result",
                                 form=form, message=error.message, status=error.status)
    flash(error.message, "error")
    return hypermedia.see_other(_next(form.next.data, url_for("reception_desk.checkin_desk")))


@desk_bp.post("/checkin")
def check_in_code():
    form = CheckInForm()
    if not form.validate_on_submit():
        return _checkin_refused(form, DomainError({"code": "请填写预约码（8 位）"}))
    back = safe_next_path(form.next.data)
    return perform(
        lambda: desk.check_in_by_code(form.code.data, form.session_id.data, current_user,
                                      calendar.now()),
        success=lambda b: hypermedia.see_other(
            back or url_for("reception_desk.checkin_page", code=b.code)),
        done=lambda b: f"预约码 {b.code}（{b.name}）已签到",
        failure=lambda error: _checkin_refused(form, error))


# --- one booking at the desk --------------------------------------------------------------------

def _desk_page(code: str, revealed: str | None = None) -> Response:
    booking = queries.booking_by_code(services.normalise_code(code))
    if booking is None:
        form = CheckInForm(formdata=None, code=services.normalise_code(code))
        return hypermedia.render("reception/staff/desk_checkin.html", form=form,
                                 message="未找到该预约码", status=404)
    return hypermedia.render(
        "reception/staff/desk_booking.html", b=booking, s=booking.session, revealed=revealed,
        marks=queries.satisfied_marks([booking]), reasoned=lifecycle.REASONED,
        action_form=EmptyForm(), reason_form=ReasonForm())


@desk_bp.get("/checkin/<code>")
def checkin_page(code: str):
    return _desk_page(code)


def _desk_booking(code: str):
    return queries.booking_by_code(services.normalise_code(code)) or abort(404)


@desk_bp.post("/checkin/<code>/<any(confirm, decline, check_in, no_show, correct_attended, "
              "correct_absent):action>")
def booking_act(code: str, action: str):
    """A button of the desk page; back to it, with what happened or why not."""
    booking = _desk_booking(code)
    page = url_for("reception_desk.checkin_page", code=booking.code)
    reasoned = action in lifecycle.REASONED
    form = ReasonForm() if reasoned else EmptyForm()
    if not form.validate_on_submit():
        flash("请填写原因", "error")
        return hypermedia.see_other(page)
    return perform(
        lambda: management.change_booking(booking, action, current_user, calendar.now(),
                                          reason=form.reason.data if reasoned else ""),
        success=lambda _: hypermedia.see_other(page),
        done=lambda _: f"预约码 {booking.code}（{booking.name}）现为“{booking.status_label}”",
        back=page)


@desk_bp.post("/checkin/<code>/reveal")
def reveal(code: str):
    """The full ID number, to compare with the card (audited: management.reveal_id_number)."""
    booking = _desk_booking(code)
    booking_code = booking.code
    return perform(lambda: management.reveal_id_number(booking, current_user),
                   success=lambda number: _desk_page(booking_code, revealed=number),
                   back=url_for("reception_desk.checkin_page", code=booking_code))


# --- walk-ins -------------------------------------------------------------------------------------

def _walk_in_page(session_id: int, form: WalkInForm, status: int = 200) -> Response:
    session_row = queries.session_with_leader(session_id) or abort(404)
    return hypermedia.render(
        "reception/staff/desk_walk_in.html", s=session_row, form=form, status=status,
        refusal=services.walk_in_refusal(session_row, calendar.now().date()),
        **queries.place_counts(session_id))


def _walked_in(booking) -> str:
    number = queries.booking_with_place(booking.id).place.number
    return f"现场登记成功：预约码 {booking.code}（{booking.name}），第 {number} 号，已签到"


@desk_bp.route("/sessions/<int:session_id>/walk-ins/new", methods=["GET", "POST"])
def walk_in(session_id: int):
    """现场登记: the online booking's fields and rules (services.create_booking, walk_in=True);
    the visitor gets a walk-in place and is checked in at once."""
    session_row = queries.session_with_leader(session_id) or abort(404)
    form = WalkInForm().for_leader(session_row.leader)
    if request.method == "GET":
        form.next.data = safe_next_path(request.args.get("next")) or ""
        return _walk_in_page(session_id, form)
    if not form.validate_with_rules(session_row.leader, calendar.now().date()):
        return _walk_in_page(session_id, form, status=422)
    back = safe_next_path(form.next.data)
    return perform(
        lambda: services.create_booking(session_id, form.booking_request(), calendar.now(),
                                        walk_in=True, actor=current_user),
        success=lambda b: hypermedia.see_other(
            back or url_for("reception_desk.checkin_page", code=b.code)),
        done=_walked_in,
        form=form, failure=lambda error: _walk_in_page(session_id, form, status=error.status))


@desk_bp.post("/sessions/<int:session_id>/walk-in-places")
def walk_in_places(session_id: int):
    session_row = queries.session_by_id(session_id) or abort(404)
    form = WalkInPlacesForm()
    back = _next(form.next.data, url_for("reception_staff.session_view", session_id=session_id))
    if not form.validate_on_submit():
        flash(next(iter(form.errors.values()))[0], "error")
        return hypermedia.see_other(back)
    return perform(
        lambda: desk.set_walk_in_places(session_row, form.places.data, current_user,
                                        calendar.now()),
        success=lambda _: hypermedia.see_other(back),
        done=lambda n: f"现场登记名额已调整为 {n} 个", back=back)


# --- the duty leader --------------------------------------------------------------------------------

@desk_bp.app_context_processor
def _duty_leader_form_global():
    return {"duty_leader_form": duty_leader_form}


def duty_leader_form(session_row) -> DutyLeaderForm | None:
    """The small 更换值班领导 form of a session (its current duty leader chosen), for the
    templates; None when the session can no longer be edited (cancelled, or its day closed).
    The templates write its CSRF token and ``next`` themselves."""
    if lifecycle.edit_refusal(session_row) is not None:
        return None
    form = DutyLeaderForm(formdata=None, duty_leader_id=session_row.duty_leader_id)
    return form.with_leaders(queries.active_leaders(), queries.leader(session_row.duty_leader_id))


@desk_bp.post("/sessions/<int:session_id>/duty-leader")
def duty_leader(session_id: int):
    session_row = queries.session_by_id(session_id) or abort(404)
    form = DutyLeaderForm()
    back = _next(form.next.data, url_for("reception_staff.session_view", session_id=session_id))
    if not form.validate_on_submit():  # missing, or not an id at all (CSRF is checked before)
        flash("请选择在任的值班领导", "error")
        return hypermedia.see_other(back)
    was = session_row.duty_leader_id
    return perform(
        lambda: desk.set_duty_leader(session_row, form.duty_leader_id.data, current_user,
                                     calendar.now()),
        success=lambda _: hypermedia.see_other(back),
        done=lambda leader: (f"值班领导已改为 {leader.name}" if leader.id != was
                             else f"值班领导仍为 {leader.name}，未作更改"),
        back=back)
