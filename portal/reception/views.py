"""Reception pages for citizens: the schedule, a session and its booking form, receipt, lookup.

Reads go through ``reception.queries``; every change runs through ``actions.perform``.
"""
from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, Response, abort, request, session, url_for

from portal import calendar, hypermedia, request_guard, settings
from portal.actions import perform
from portal.errors import DomainError, apply_to_form
from portal.extensions import limiter
from portal.forms import choices
from portal.identity import id_number_error, phone_error
from portal.reception import documents, lifecycle, queries, rules, services
from portal.reception.forms import BookingForm, CancelForm, LookupForm
from portal.reception.models import CATEGORIES, Booking, ReceptionSession
from portal.reception.window import booking_window, cancelled_notice, window_message

public_bp = Blueprint("reception", __name__, url_prefix="/reception")

RECEIPTS_KEY = "receipts"  # booking codes this browser may see without re-entering the phone
WEEKS_AHEAD = 8


# --- public: schedule --------------------------------------------------------------------------

@public_bp.get("/")
def schedule():
    today = calendar.now().date()
    this_week = queries.current_week(today)
    week = queries.week_start(request_guard.arg_date("week") or this_week)
    week = min(max(week, this_week), this_week + timedelta(weeks=WEEKS_AHEAD))
    leader_id = request_guard.arg_int("leader")
    place = (request.args.get("place") or "").strip()[:60] or None
    return hypermedia.render(
        "reception/schedule.html", "schedule",
        week=week, this_week=this_week,
        prev_week=week - timedelta(weeks=1) if week > this_week else None,
        next_week=week + timedelta(weeks=1) if week < this_week + timedelta(weeks=WEEKS_AHEAD)
        else None,
        leaders=queries.active_leaders(), places=queries.schedule_places(today),
        leader_id=leader_id, place=place,
        # Two weeks at a time: midweek, the coming Monday is one glance away.
        **queries.schedule(week, today, leader_id, place, weeks=2),
    )


# --- public: one session and booking ---------------------------------------------------------

def _public_session(session_id: int) -> ReceptionSession:
    return queries.public_session(session_id) or abort(404)


def _session_page(session_row: ReceptionSession, form: BookingForm, status: int = 200):
    window = booking_window(session_row, calendar.WorkingCalendar())
    return hypermedia.render(
        "reception/session.html", "free_places", status=status,
        s=session_row, form=form, window=window,
        free=queries.free_places([session_row.id])[session_row.id],
        closed_message=window_message(session_row, window, calendar.now()),
        cancelled_notice=cancelled_notice(session_row),
        total=queries.total_places([session_row.id])[session_row.id],
        max_party=settings.get(rules.MAX_PARTY.key),
    )


def _booking_form(session_row: ReceptionSession) -> BookingForm:
    form = BookingForm()
    form.category.choices = choices([("", "请选择")] + [
        (c, c) for c in CATEGORIES if c in session_row.leader.categories])
    return form


def _booking_request(form: BookingForm) -> services.BookingRequest:
    return services.BookingRequest(
        name=form.name.data or "", id_number=form.id_number.data or "",
        phone=form.phone.data or "", category=form.category.data or "",
        summary=form.summary.data or "", party_size=form.party_size.data or 0,
        related_matter_no=form.related_matter_no.data or "")


def _booked(booking: Booking) -> Response:
    _remember_receipt(booking.code)
    return hypermedia.see_other(url_for("reception.receipt", code=booking.code, new=1))


@public_bp.route("/sessions/<int:session_id>", methods=["GET", "POST"])
# Generous: a township service point may book for many villagers from one address.
@limiter.limit("60 per hour", methods=["POST"])
def session_detail(session_id: int):
    session_row = _public_session(session_id)
    form = _booking_form(session_row)
    if request.method == "GET":
        return _session_page(session_row, form)
    req = _booking_request(form)
    if not form.validate_on_submit():
        # Show every problem at once, not only those WTForms found first.
        problems = services.field_problems(req, session_row.leader, calendar.now().date())
        apply_to_form(form, DomainError({k: v for k, v in problems.items()
                                         if not getattr(form, k).errors}))
        return _session_page(session_row, form, status=422)
    return perform(
        # Called through the module: tests replace services.create_booking.
        lambda: services.create_booking(session_row.id, req, calendar.now()),
        success=_booked, form=form,
        # The rollback expired the session: load it again for the page.
        failure=lambda _error: _session_page(_public_session(session_id), form, status=422))


@public_bp.get("/sessions/<int:session_id>/places")
def free_places(session_id: int):
    """The live 剩余名额 fragment the session page polls."""
    session_row = _public_session(session_id)
    return _session_page(session_row, _booking_form(session_row))


@public_bp.get("/validate/<any(id_number, phone):field>")
def validate_field(field: str):
    """Inline validation of one field's format (never reveals whether a booking exists)."""
    value = request.args.get(field, "")[:40]
    if field == "id_number":
        message = id_number_error(value, calendar.now().date()) if value else None
    else:
        message = phone_error(value) if value else None
    return hypermedia.render("reception/_field_error.html", field=field, message=message)


# --- public: receipt, lookup, cancel ------------------------------------------------------------

def _remember_receipt(code: str) -> None:
    codes = [c for c in session.get(RECEIPTS_KEY, []) if c != code]
    session[RECEIPTS_KEY] = (codes + [code])[-5:]


def _authorised_booking(code: str) -> Booking | None:
    code = services.normalise_code(code)
    if code not in session.get(RECEIPTS_KEY, []):
        return None
    return queries.booking_by_code(code)


def _receipt_page(booking: Booking, cancel_form: CancelForm, status: int = 200,
                  is_new: str | None = None):
    url = documents.lookup_url(booking.code)
    return hypermedia.render(
        "reception/receipt.html", status=status, b=booking, s=booking.session, is_new=is_new,
        can_cancel=services.can_cancel(booking, calendar.now()), cancel_form=cancel_form,
        upcoming=lifecycle.is_upcoming(booking), awaits_review=lifecycle.awaits_review(booking),
        qr_svg=documents.qr_svg(url), lookup_url=url,
    )


@public_bp.get("/bookings/<code>")
def receipt(code: str):
    booking = _authorised_booking(code)
    if booking is None:
        form = LookupForm(code=services.normalise_code(code))
        return hypermedia.render("reception/lookup.html", form=form, need_phone=True)
    return _receipt_page(booking, CancelForm(), is_new=request.args.get("new"))


@public_bp.get("/bookings/<code>.ics")
def receipt_ics(code: str):
    booking = _authorised_booking(code) or abort(404)
    return Response(
        documents.booking_ics(booking, documents.lookup_url(booking.code)),
        mimetype="text/calendar",
        headers={"Content-Disposition": f'attachment; filename="jiefang-{booking.code}.ics"'},
    )


@public_bp.post("/bookings/<code>/cancel")
@limiter.limit("20 per hour")
def cancel(code: str):
    booking = _authorised_booking(code) or abort(404)
    form = CancelForm()
    code = booking.code

    def refused(_error: DomainError | None = None):
        # Drawn from a fresh load: a rollback expires the booking.
        return _receipt_page(_authorised_booking(code), form, status=422)

    if not form.validate_on_submit():
        return refused()
    return perform(
        lambda: services.cancel_booking(booking, form.reason.data, calendar.now()),
        success=lambda _: hypermedia.see_other(url_for("reception.receipt", code=code)),
        done="预约已取消，名额已释放。", form=form, failure=refused)


@public_bp.route("/lookup", methods=["GET", "POST"])
@limiter.limit("20 per 10 minutes", methods=["POST"])
def lookup():
    form = LookupForm()
    if request.method == "GET":
        form.code.data = services.normalise_code(request.args.get("code", ""))
        return hypermedia.render("reception/lookup.html", form=form, need_phone=False)
    if form.validate_on_submit():
        booking = services.find_booking(form.code.data, form.phone.data)
        if booking is not None:
            _remember_receipt(booking.code)
            return hypermedia.see_other(url_for("reception.receipt", code=booking.code))
        form.form_errors.append("预约码或手机号码不正确，请核对后重试")
    return hypermedia.render("reception/lookup.html", form=form, need_phone=False, status=422)
