"""Reception pages for citizens: the schedule, a session and its booking form, receipt, lookup.

Reads go through ``reception.queries``; every change runs through ``actions.perform``.
"""
from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, Response, abort, flash, request, session, url_for
from flask_login import current_user

from portal import calendar, hypermedia, limits, request_guard, settings
from portal.actions import perform, reading
from portal.errors import DomainError
from portal.extensions import limiter
from portal.identity import id_number_error, phone_error
from portal.reception import documents, lifecycle, queries, rules, services
from portal.reception.forms import AcceptForm, BookingForm, CancelForm, LookupForm
from portal.reception.models import CATEGORIES, Booking, ReceptionSession
from portal.reception.window import booking_window, cancelled_notice, window_message

public_bp = Blueprint("reception", __name__, url_prefix="/reception")

# The one receipt this browser may see without the phone again — the booking just made or
# looked up — and until when (a township's shared computer: the next person finds nothing).
RECEIPT_KEY = "receipt"
RECEIPT_MINUTES = 15
LEGACY_RECEIPTS_KEY = "receipts"  # earlier versions kept up to five codes: dropped on sight
# Forms post to an action ending in "#error-summary" (no JavaScript: the browser lands on the
# summary); the redirect after success names its own anchor, or the browser would carry that
# one over to the next page.
LANDING = "main"
WEEKS_AHEAD = 8
DESK_ROLES = ("reception", "admin")


# --- public: schedule --------------------------------------------------------------------------

def _week_choices(this_week, today) -> list[tuple[str, str]]:
    """The week picker (a plain select: no JavaScript needed): this week and WEEKS_AHEAD more."""
    found = []
    for n in range(WEEKS_AHEAD + 1):
        monday = this_week + timedelta(weeks=n)
        label = f"{monday.month}月{monday.day}日起"
        if monday.year != today.year:
            label = f"{monday.year}年{label}"
        found.append((monday.isoformat(), f"{('本周', '下周')[n]}（{label}）" if n < 2 else label))
    return found


def _filter_label(leaders, leader_id: int | None, category: str | None, place: str | None) -> str:
    """What a filtered schedule lists, in words ('刘海涛 · 受理“征地拆迁”的领导'); '' unfiltered."""
    parts = []
    if leader_id:
        parts.append(next((lead.name for lead in leaders if lead.id == leader_id), "所选领导"))
    if category:
        parts.append(f"受理“{category}”的领导")
    if place:
        parts.append(place)
    return " · ".join(parts)


@public_bp.get("/")
def schedule():
    """Two weeks from the picked one. Filtered (leader, 反映事项类别, place): that filter's next
    sessions whatever week they fall in — from the picked week on, else from today."""
    today = calendar.now().date()
    this_week = queries.current_week(today)
    last_week = this_week + timedelta(weeks=WEEKS_AHEAD)
    picked = request_guard.arg_date("week")
    week = min(max(queries.week_start(picked or this_week), this_week), last_week)
    leader_id = request_guard.arg_int("leader")
    category = request.args.get("category")
    category = category if category in CATEGORIES else None
    place = (request.args.get("place") or "").strip()[:60] or None
    leaders = queries.active_leaders()
    label = _filter_label(leaders, leader_id, category, place)
    start = max(week, today) if picked else today
    if label:
        listing = queries.next_sessions(start, leader_id, category, place)
    else:
        # Two weeks at a time: midweek, the coming Monday is one glance away.
        listing = {**queries.schedule(week, today, weeks=2), "more": False}
    return hypermedia.render(
        "reception/schedule.html", "schedule",
        week=week, start=start, picked=week.isoformat() if picked else "",
        week_choices=_week_choices(this_week, today),
        prev_week=week - timedelta(weeks=1) if week > this_week else None,
        next_week=week + timedelta(weeks=1) if week < last_week else None,
        leaders=leaders, places=queries.schedule_places(today), categories=CATEGORIES,
        leader_id=leader_id, category=category, place=place, filter_label=label, **listing,
    )


# --- public: one session and booking ---------------------------------------------------------

def _public_session(session_id: int) -> ReceptionSession:
    return queries.public_session(session_id) or abort(404)


def _waitlist(session_row: ReceptionSession, free: int, closed_message: str | None) -> dict:
    """候补 on a full session whose window is open: may one join, and what to say if not (the
    waiting list is counted only then: the page's statements do not change otherwise)."""
    if free or closed_message:
        return {"joining": False, "waitlist_refusal": None}
    refusal = services.waitlist_refusal(session_row, free, queries.waiting_count(session_row.id))
    return {"joining": refusal is None, "waitlist_refusal": refusal,
            "hold_hours": settings.get(rules.WAITLIST_HOLD.key)}


def _session_page(session_row: ReceptionSession, form: BookingForm, status: int = 200):
    window = booking_window(session_row, calendar.WorkingCalendar())
    free, total = queries.bookable_places(session_row.id)
    closed_message = window_message(session_row, window, calendar.now())
    return hypermedia.render(
        "reception/session.html", "free_places", status=status,
        s=session_row, form=form, window=window, free=free, closed_message=closed_message,
        **_waitlist(session_row, free, closed_message),
        cancelled_notice=cancelled_notice(session_row),
        total=total,
        max_party=settings.get(rules.MAX_PARTY.key),
    )


def _booking_form(session_row: ReceptionSession) -> BookingForm:
    return BookingForm().for_leader(session_row.leader)


def _booked(booking: Booking) -> Response:
    remember_receipt(booking.code)
    return _to_receipt(booking.code, new=1)


@public_bp.route("/sessions/<int:session_id>", methods=["GET", "POST"])
# Generous: a township service point may book for many villagers from one address.
@limiter.limit("60 per hour", methods=["POST"])
@limits.per_id_number
def session_detail(session_id: int):
    if request.method == "GET":
        session_row = _public_session(session_id)
        return _session_page(session_row, _booking_form(session_row))
    return _book(session_id, "create_booking")


@public_bp.post("/sessions/<int:session_id>/waitlist")
@limiter.limit("60 per hour")
@limits.per_id_number
def join_waitlist(session_id: int):
    """加入候补: the booking form's fields and rules, on a full session."""
    return _book(session_id, "join_waitlist")


def _book(session_id: int, service: str) -> Response:
    """Check the form in a read phase (SQLite: no write lock while many citizens' forms are
    checked and refused ones re-rendered), then write through ``perform``, which takes the
    lock and reads again, in its own transaction, everything the rules decide on."""
    with reading():
        session_row = _public_session(session_id)
        form = _booking_form(session_row)
        req = form.booking_request()
        if not form.validate_with_rules(session_row.leader, calendar.now().date()):
            return _session_page(session_row, form, status=422)
    return perform(
        # services.create_booking or .join_waitlist, looked up at call time: tests replace them.
        lambda: getattr(services, service)(session_id, req, calendar.now()),
        success=_booked, form=form,
        # Rendered after the rollback, from a fresh load (perform renders it in a read phase).
        failure=lambda _error: _session_page(_public_session(session_id), form, status=422))


@public_bp.get("/sessions/<int:session_id>/places")
def free_places(session_id: int):
    """The live 剩余名额 fragment the session page polls."""
    session_row = _public_session(session_id)
    return _session_page(session_row, _booking_form(session_row))


@public_bp.get("/validate/<any(id_number, phone):field>")
def validate_field(field: str):
    """Inline validation of one field's format (never reveals whether a booking exists)."""
    # Bounded as typed, checked once canonical: '１３８ ００１３-８０００' is a valid phone.
    value = request.args.get(field, "")[:100]
    if field == "id_number":
        message = id_number_error(value, calendar.now().date()) if value else None
    else:
        message = phone_error(value) if value else None
    return hypermedia.render("reception/_field_error.html", field=field, message=message)


# --- public: receipt, lookup, cancel ------------------------------------------------------------

def remember_receipt(code: str) -> None:
    until = calendar.now() + timedelta(minutes=RECEIPT_MINUTES)
    session.pop(LEGACY_RECEIPTS_KEY, None)
    session[RECEIPT_KEY] = {"code": code, "until": int(until.timestamp())}


def _remembered_code() -> str | None:
    kept = session.get(RECEIPT_KEY)
    if kept is None:
        return None
    if kept.get("until", 0) <= calendar.now().timestamp():
        session.pop(RECEIPT_KEY)
        return None
    return kept.get("code")


def authorised_booking(code: str) -> Booking | None:
    code = services.normalise_code(code)
    if not code or code != _remembered_code():
        return None
    return queries.booking_by_code(code)


def _to_receipt(code: str, **args) -> Response:
    return hypermedia.see_other(url_for("reception.receipt", code=code, _anchor=LANDING, **args))


def _phone_needed(code: str, error: str | None = None, status: int = 200) -> Response:
    """The lookup form, code filled in: a receipt this browser does not remember needs the
    phone number (and says nothing about whether the booking exists)."""
    form = LookupForm(formdata=None, code=services.normalise_code(code))
    if error:
        form.form_errors.append(error)
    return hypermedia.render("reception/lookup.html", form=form, need_phone=True, status=status)


def _receipt_page(booking: Booking, cancel_form: CancelForm | None = None, status: int = 200,
                  is_new: str | None = None, printable: bool = False,
                  accept_form: AcceptForm | None = None):
    url = documents.lookup_url(booking.code)
    now = calendar.now()
    return hypermedia.render(
        "reception/receipt.html", status=status, b=booking, s=booking.session, is_new=is_new,
        printable=printable,
        place_label=documents.place_label(booking.place.number) if booking.place else None,
        can_cancel=services.can_cancel(booking, now), cancel_form=cancel_form or CancelForm(),
        upcoming=lifecycle.is_upcoming(booking), awaits_review=lifecycle.awaits_review(booking),
        # 候补: the place in the waiting list, or the offer and whether it may still be taken.
        waiting_position=queries.waiting_position(booking) if lifecycle.is_waiting(booking)
        else None,
        offered=lifecycle.is_offered(booking),
        can_accept=lifecycle.BOOKING.can(booking, "accept", None, now),
        accept_form=accept_form or AcceptForm(),
        event_stands=documents.event_stands(booking), remember_minutes=RECEIPT_MINUTES,
        qr_svg=documents.qr_svg(url), lookup_url=url,
    )


def _to_desk(code: str | None) -> Response | None:
    """On a logged-in reception (or admin) device the receipt's QR address opens the desk's
    check-in page for that code; everyone else gets the citizen's page (None)."""
    code = services.normalise_code(code or "")
    if not code or not current_user.is_authenticated or current_user.role not in DESK_ROLES:
        return None
    return hypermedia.see_other(url_for("reception_desk.checkin_page", code=code))


@public_bp.get("/bookings/<code>")
def receipt(code: str):
    if (desk := _to_desk(code)) is not None:
        return desk
    booking = authorised_booking(code)
    if booking is None:
        return _phone_needed(code)
    return _receipt_page(booking, CancelForm(), is_new=request.args.get("new"))


@public_bp.get("/bookings/<code>/print")
def receipt_print(code: str):
    """The receipt ready to print (or to save as a screenshot): no JavaScript needed."""
    booking = authorised_booking(code)
    if booking is None:
        return _phone_needed(code)
    return _receipt_page(booking, CancelForm(), printable=True)


@public_bp.get("/bookings/<code>.ics")
def receipt_ics(code: str):
    booking = authorised_booking(code)
    if booking is None or booking.place is None:  # a waiting entry has no time yet
        abort(404)
    return Response(
        documents.booking_ics(booking, documents.lookup_url(booking.code)),
        mimetype="text/calendar",
        headers={"Content-Disposition": f'attachment; filename="jiefang-{booking.code}.ics"'},
    )


@public_bp.post("/forget")
def forget_receipt():
    """退出: this browser forgets the receipt it kept."""
    session.pop(RECEIPT_KEY, None)
    session.pop(LEGACY_RECEIPTS_KEY, None)
    flash("已退出，本机不再保存您的预约回执。再次查看需要预约码和手机号码。")
    return hypermedia.see_other(url_for("reception.lookup"))


WRONG_PHONE = "手机号码与预约时填写的不一致，请核对后重新输入"


def _citizen_act(code: str, form, form_key: str, act, done) -> Response:
    """Cancel, or confirm a 候补 offer: the phone number is asked again even on a receipt this
    browser remembers, and checked against the booking as the lookup does."""
    valid = form.validate_on_submit()
    booking = services.find_booking(code, form.phone.data or "")
    if booking is None:
        if form.phone.data and not form.phone.errors:
            form.phone.errors.append(phone_error(form.phone.data) or WRONG_PHONE)
        shown = authorised_booking(code)
        if shown is None:  # nothing shown to someone who has neither code and phone nor receipt
            return _phone_needed(code, "预约码或手机号码不正确，请核对后重试", status=422)
        return _receipt_page(shown, status=422, **{form_key: form})
    code = booking.code
    remember_receipt(code)

    def refused(_error: DomainError | None = None):
        # Drawn from a fresh load: a rollback expires the booking.
        return _receipt_page(queries.booking_by_code(code), status=422, **{form_key: form})

    if not valid:
        return refused()
    return perform(lambda: act(booking), success=lambda _: _to_receipt(code), done=done,
                   form=form, failure=refused)


@public_bp.post("/bookings/<code>/cancel")
@limiter.limit("20 per hour")
@limits.per_booking_code
def cancel(code: str):
    form = CancelForm()
    return _citizen_act(
        code, form, "cancel_form",
        lambda booking: services.cancel_booking(booking, form.reason.data, calendar.now()),
        lambda freed: "预约已取消，名额已释放。" if freed else "已退出候补名单。")


@public_bp.post("/bookings/<code>/accept")
@limiter.limit("20 per hour")
@limits.per_booking_code
def accept(code: str):
    """确认候补名额: the place held for this waiting-list entry becomes a booking (待审核)."""
    form = AcceptForm()
    return _citizen_act(
        code, form, "accept_form",
        lambda booking: services.accept_offer(booking, form.phone.data, calendar.now()),
        "已确认候补名额，预约已提交，请等待工作人员审核。")


@public_bp.route("/lookup", methods=["GET", "POST"])
@limiter.limit("20 per 10 minutes", methods=["POST"])
@limits.per_booking_code
def lookup():
    form = LookupForm()
    # The receipt's QR code encodes this address (documents.lookup_url).
    if request.method == "GET" and (desk := _to_desk(request.args.get("code"))) is not None:
        return desk
    if request.method == "GET":
        form.code.data = services.normalise_code(request.args.get("code", ""))
        return hypermedia.render("reception/lookup.html", form=form, need_phone=False)
    if form.validate_on_submit():
        booking = services.find_booking(form.code.data, form.phone.data)
        if booking is not None:
            remember_receipt(booking.code)
            return _to_receipt(booking.code)
        form.form_errors.append("预约码或手机号码不正确，请核对后重试")
    return hypermedia.render("reception/lookup.html", form=form, need_phone=False, status=422)
