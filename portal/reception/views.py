"""Reception pages for citizens: the schedule, a session and its booking form, receipt, lookup."""
from __future__ import annotations

from datetime import date, timedelta

from flask import Blueprint, Response, abort, flash, request, session, url_for
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from portal import calendar, hypermedia, request_guard, settings
from portal.errors import DomainError, apply_to_form
from portal.extensions import db, limiter
from portal.forms import choices
from portal.reception import documents, rules, services
from portal.reception.forms import (
    BookingForm,
    CancelForm,
    LookupForm,
)
from portal.reception.models import (
    CATEGORIES,
    Booking,
    Leader,
    ReceptionSession,
)

public_bp = Blueprint("reception", __name__, url_prefix="/reception")

RECEIPTS_KEY = "receipts"  # booking codes this browser may see without re-entering the phone


# --- public: schedule --------------------------------------------------------------------------

def schedule_context(week: date, today: date, leader_id: int | None = None,
                     place: str | None = None, weeks: int = 1) -> dict:
    """Sessions of ``weeks`` weeks that can still be attended, with free places and windows."""
    start = max(week, today)
    end = week + timedelta(days=7 * weeks - 1)
    sessions = services.published_sessions(start, end, leader_id, place)
    free = services.free_places([s.id for s in sessions])
    cal = calendar.WorkingCalendar()
    values = settings.current_values()
    now = calendar.now()
    windows = {s.id: services.booking_window(s, cal, values) for s in sessions}
    return {
        "sessions": sessions, "free": free,
        "bookable": {s.id: services.is_bookable(s, windows[s.id], now) for s in sessions},
        "windows": windows, "now": now, "values": values,
    }


@public_bp.get("/")
def schedule():
    today = calendar.now().date()
    # At the weekend the current week is over: start from the coming one.
    this_week = services.week_start(today + timedelta(days=2 if today.weekday() >= 5 else 0))
    week = services.week_start(request_guard.arg_date("week") or this_week)
    week = min(max(week, this_week), this_week + timedelta(weeks=8))
    leader_id = request_guard.arg_int("leader")
    place = (request.args.get("place") or "").strip()[:60] or None
    leaders = db.session.scalars(select(Leader).where(Leader.active.is_(True))
                                 .order_by(Leader.id)).all()
    places = db.session.scalars(
        select(ReceptionSession.place).where(ReceptionSession.status == "published",
                                             ReceptionSession.day >= today)
        .distinct().order_by(ReceptionSession.place)).all()
    return hypermedia.render(
        "reception/schedule.html", "schedule",
        week=week, this_week=this_week, prev_week=week - timedelta(weeks=1) if week > this_week
        else None, next_week=week + timedelta(weeks=1) if week < this_week + timedelta(weeks=8)
        else None, leaders=leaders, places=places, leader_id=leader_id, place=place,
        # Two weeks at a time: midweek, the coming Monday is one glance away.
        **schedule_context(week, today, leader_id, place, weeks=2),
    )


# --- public: one session and booking ---------------------------------------------------------

def _public_session(session_id: int) -> ReceptionSession:
    session_row = db.session.scalar(
        select(ReceptionSession).options(joinedload(ReceptionSession.leader))
        .where(ReceptionSession.id == session_id)
    )
    if session_row is None or session_row.status == "draft":
        abort(404)
    return session_row


def _session_page(session_row: ReceptionSession, form: BookingForm, status: int = 200):
    now = calendar.now()
    window = services.booking_window(session_row, calendar.WorkingCalendar())
    free = services.free_places([session_row.id])[session_row.id]
    return hypermedia.render(
        "reception/session.html", "free_places", status=status,
        s=session_row, form=form, free=free, window=window,
        closed_message=services.window_message(session_row, window, now),
        total=services.total_places([session_row.id])[session_row.id],
        max_party=settings.get(rules.MAX_PARTY.key),
    )


def _booking_form(session_row: ReceptionSession) -> BookingForm:
    form = BookingForm()
    form.category.choices = choices([("", "请选择")] + [
        (c, c) for c in CATEGORIES if c in session_row.leader.categories])
    return form


@public_bp.route("/sessions/<int:session_id>", methods=["GET", "POST"])
# Generous: a township service point may book for many villagers from one address.
@limiter.limit("60 per hour", methods=["POST"])
def session_detail(session_id: int):
    session_row = _public_session(session_id)
    form = _booking_form(session_row)
    if request.method == "GET":
        return _session_page(session_row, form)
    req = services.BookingRequest(
        name=form.name.data or "", id_number=form.id_number.data or "",
        phone=form.phone.data or "", category=form.category.data or "",
        summary=form.summary.data or "", party_size=form.party_size.data or 0,
        related_matter_no=form.related_matter_no.data or "")
    if form.validate_on_submit():
        try:
            booking = services.create_booking(session_row.id, req, calendar.now())
        except DomainError as error:
            db.session.rollback()
            session_row = _public_session(session_id)  # the rollback expired it
            apply_to_form(form, error)
        else:
            db.session.commit()
            _remember_receipt(booking.code)
            return hypermedia.see_other(url_for("reception.receipt", code=booking.code, new=1))
    else:
        # Show every problem at once, not only those WTForms found first.
        problems = services.field_problems(req, session_row.leader, calendar.now().date())
        apply_to_form(form, DomainError({k: v for k, v in problems.items()
                                         if not getattr(form, k).errors}))
    return _session_page(session_row, form, status=422)


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
        message = services.id_number_error(value, calendar.now().date()) if value else None
    else:
        message = services.phone_error(value) if value else None
    return hypermedia.render("reception/_field_error.html", field=field, message=message)


# --- public: receipt, lookup, cancel ------------------------------------------------------------

def _remember_receipt(code: str) -> None:
    codes = [c for c in session.get(RECEIPTS_KEY, []) if c != code]
    session[RECEIPTS_KEY] = (codes + [code])[-5:]


def _authorised_booking(code: str) -> Booking | None:
    code = services.normalise_code(code)
    if code not in session.get(RECEIPTS_KEY, []):
        return None
    return services.load_booking(code)


def _receipt_page(booking: Booking, cancel_form: CancelForm, status: int = 200,
                  is_new: str | None = None):
    url = documents.lookup_url(booking.code)
    return hypermedia.render(
        "reception/receipt.html", status=status, b=booking, s=booking.session, is_new=is_new,
        can_cancel=services.can_cancel(booking, calendar.now()), cancel_form=cancel_form,
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
    booking = _authorised_booking(code)
    if booking is None:
        abort(404)
    return Response(
        documents.booking_ics(booking, documents.lookup_url(booking.code)),
        mimetype="text/calendar",
        headers={"Content-Disposition": f'attachment; filename="jiefang-{booking.code}.ics"'},
    )


@public_bp.post("/bookings/<code>/cancel")
@limiter.limit("20 per hour")
def cancel(code: str):
    booking = _authorised_booking(code)
    if booking is None:
        abort(404)
    form = CancelForm()
    if form.validate_on_submit():
        try:
            services.cancel_booking(booking, form.reason.data, calendar.now())
        except DomainError as error:
            db.session.rollback()
            apply_to_form(form, error)
        else:
            db.session.commit()
            flash("预约已取消，名额已释放。")
            return hypermedia.see_other(url_for("reception.receipt", code=booking.code))
    return _receipt_page(_authorised_booking(code), form, status=422)


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
