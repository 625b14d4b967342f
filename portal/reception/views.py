"""Reception pages: the public schedule, booking, receipt, lookup; and the staff side."""
from __future__ import annotations

from datetime import date, timedelta

from flask import Blueprint, Response, abort, flash, request, session, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from portal import calendar, hypermedia, settings
from portal.access import role_required
from portal.errors import DomainError, apply_to_form
from portal.extensions import db, limiter
from portal.forms import EmptyForm, choices
from portal.reception import documents, management, rules, services
from portal.reception.forms import (
    BookingForm,
    LeaderForm,
    LookupForm,
    ReasonForm,
    SessionForm,
)
from portal.reception.models import (
    CATEGORIES,
    Booking,
    Leader,
    ReceptionSession,
)

public_bp = Blueprint("reception", __name__, url_prefix="/reception")
staff_bp = Blueprint("reception_staff", __name__, url_prefix="/staff/reception")

RECEIPTS_KEY = "receipts"  # booking codes this browser may see without re-entering the phone


# --- public: schedule --------------------------------------------------------------------------

def _parse_day(raw: str | None) -> date | None:
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


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
    week = services.week_start(_parse_day(request.args.get("week")) or this_week)
    week = min(max(week, this_week), this_week + timedelta(weeks=8))
    leader_id = request.args.get("leader", type=int)
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


def _receipt_page(booking: Booking, cancel_form: ReasonForm, status: int = 200,
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
    return _receipt_page(booking, ReasonForm(), is_new=request.args.get("new"))


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
    form = ReasonForm()
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


# --- staff -------------------------------------------------------------------------------------

STAFF = ("reception",)


@staff_bp.get("/")
@role_required(*STAFF)
def dashboard():
    today = calendar.now().date()
    show = request.args.get("show", "upcoming")
    query = (select(ReceptionSession).options(joinedload(ReceptionSession.leader))
             .order_by(ReceptionSession.day, ReceptionSession.start_time))
    if show == "past":
        query = query.where(ReceptionSession.day < today).order_by(None).order_by(
            ReceptionSession.day.desc()).limit(60)
    else:
        query = query.where(ReceptionSession.day >= today).limit(200)
    sessions = list(db.session.scalars(query).unique())
    ids = [s.id for s in sessions]
    return hypermedia.render(
        "reception/staff/dashboard.html", sessions=sessions, show=show,
        free=services.free_places(ids), totals=services.total_places(ids),
        calls=len(management.call_list()), today=today,
        warning=calendar.unknown_year_warning(today),
    )


@staff_bp.get("/leaders")
@role_required(*STAFF)
def leaders():
    rows = db.session.scalars(select(Leader).order_by(Leader.active.desc(), Leader.id)).all()
    return hypermedia.render("reception/staff/leaders.html", leaders=rows, action_form=EmptyForm())


@staff_bp.route("/leaders/new", methods=["GET", "POST"])
@staff_bp.route("/leaders/<int:leader_id>", methods=["GET", "POST"])
@role_required(*STAFF)
def leader_edit(leader_id: int | None = None):
    leader = db.get_or_404(Leader, leader_id) if leader_id else None
    form = LeaderForm(obj=leader)
    if request.method == "GET" and leader:
        form.categories.data = leader.categories
    if form.validate_on_submit():
        try:
            management.save_leader(leader, form.name.data, form.post.data,
                                   form.categories.data, current_user)
        except DomainError as error:
            db.session.rollback()
            apply_to_form(form, error)
        else:
            db.session.commit()
            flash("接访领导信息已保存")
            return hypermedia.see_other(url_for("reception_staff.leaders"))
    return hypermedia.render("reception/staff/leader_form.html", form=form, leader=leader,
                             status=422 if request.method == "POST" else 200)


@staff_bp.post("/leaders/<int:leader_id>/<any(activate, deactivate):action>")
@role_required(*STAFF)
def leader_active(leader_id: int, action: str):
    leader = db.get_or_404(Leader, leader_id)
    management.set_leader_active(leader, action == "activate", current_user)
    db.session.commit()
    flash(f"{leader.name} 已{'恢复' if action == 'activate' else '停用'}")
    return hypermedia.see_other(url_for("reception_staff.leaders"))


def _session_form(obj=None) -> SessionForm:
    form = SessionForm(obj=obj)
    form.leader_id.choices = choices([(0, "请选择")] + [
        (lead.id, f"{lead.name}（{lead.post}）")
        for lead in db.session.scalars(select(Leader).where(Leader.active.is_(True))
                                       .order_by(Leader.id))])
    return form


def _plan(form: SessionForm) -> management.SessionPlan:
    return management.SessionPlan(
        leader_id=form.leader_id.data, first_day=form.first_day.data,
        start_time=form.start_time.data, end_time=form.end_time.data, place=form.place.data,
        mode=form.mode.data, theme=form.theme.data or "", slot_minutes=form.slot_minutes.data,
        weeks=form.weeks.data or 1, publish=form.publish.data)


@staff_bp.route("/sessions/new", methods=["GET", "POST"])
@role_required(*STAFF)
def session_new():
    form = _session_form()
    if request.method == "GET":
        form.first_day.data = calendar.now().date() + timedelta(days=7)
    if form.validate_on_submit():
        try:
            made, skipped = management.create_sessions(_plan(form), current_user, calendar.now())
        except DomainError as error:
            db.session.rollback()
            apply_to_form(form, error)
        else:
            db.session.commit()
            message = f"已生成 {len(made)} 场接访"
            if skipped:
                message += "；以下日期不是工作日，已跳过：" + "、".join(
                    calendar.format_date(d) for d in skipped)
            flash(message)
            return hypermedia.see_other(url_for("reception_staff.dashboard"))
    return hypermedia.render("reception/staff/session_form.html", form=form, s=None,
                             status=422 if request.method == "POST" else 200)


@staff_bp.route("/sessions/<int:session_id>/edit", methods=["GET", "POST"])
@role_required(*STAFF)
def session_edit(session_id: int):
    session_row = db.get_or_404(ReceptionSession, session_id)
    form = _session_form(obj=session_row)
    if request.method == "GET":
        form.first_day.data = session_row.day
    if form.validate_on_submit():
        try:
            management.update_session(session_row, _plan(form), current_user, calendar.now())
        except DomainError as error:
            db.session.rollback()
            apply_to_form(form, error)
        else:
            db.session.commit()
            flash("场次已修改")
            return hypermedia.see_other(url_for("reception_staff.session_view", session_id=session_id))
    return hypermedia.render("reception/staff/session_form.html", form=form, s=session_row,
                             status=422 if request.method == "POST" else 200)


def _staff_session(session_id: int) -> ReceptionSession:
    row = db.session.scalar(
        select(ReceptionSession).options(joinedload(ReceptionSession.leader))
        .where(ReceptionSession.id == session_id))
    if row is None:
        abort(404)
    return row


def _staff_session_page(session_id: int, revealed: dict[int, str]):
    session_row = _staff_session(session_id)
    return hypermedia.render(
        "reception/staff/session.html", s=session_row,
        bookings=management.session_bookings(session_id),
        free=services.free_places([session_id])[session_id],
        total=services.total_places([session_id])[session_id],
        action_form=EmptyForm(), reason_form=ReasonForm(), today=calendar.now().date(),
        revealed=revealed,
    )


@staff_bp.get("/sessions/<int:session_id>")
@role_required(*STAFF)
def session_view(session_id: int):
    return _staff_session_page(session_id, {})


@staff_bp.post("/sessions/<int:session_id>/<any(publish, close, cancel):action>")
@role_required(*STAFF)
def session_action(session_id: int, action: str):
    session_row = db.get_or_404(ReceptionSession, session_id)
    form = ReasonForm() if action == "cancel" else EmptyForm()
    if not form.validate_on_submit():
        flash("请填写取消原因", "error")
        return hypermedia.see_other(url_for("reception_staff.session_view", session_id=session_id))
    now = calendar.now()
    try:
        if action == "publish":
            management.publish_session(session_row, current_user, now)
            message = "已发布，公众现在可以看到并预约本场"
        elif action == "close":
            counts = management.close_session(session_row, current_user, now)
            message = f"本场已结束：记录爽约 {counts['no_show']} 人，过期未审核 {counts['expired']} 条"
        else:
            count = management.cancel_session(session_row, form.reason.data, current_user, now)
            message = f"本场已取消；{count} 条预约已取消，请在“待电话通知”名单中逐一通知"
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        db.session.commit()
        flash(message)
    return hypermedia.see_other(url_for("reception_staff.session_view", session_id=session_id))


def _staff_booking(booking_id: int) -> Booking:
    booking = db.session.scalar(
        select(Booking).options(joinedload(Booking.place))
        .where(Booking.id == booking_id))
    if booking is None:
        abort(404)
    return booking


@staff_bp.post("/bookings/<int:booking_id>/<any(confirm, decline, check_in, no_show):action>")
@role_required(*STAFF)
def booking_action(booking_id: int, action: str):
    """Change one booking; htmx swaps its row in place, otherwise back to the session page."""
    booking = _staff_booking(booking_id)
    form = ReasonForm() if action == "decline" else EmptyForm()
    error_message = None
    if not form.validate_on_submit():
        error_message = "请填写不通过的原因"
    else:
        try:
            management.change_booking(booking, action, current_user, calendar.now(),
                                      reason=getattr(form, "reason", None) and form.reason.data)
        except DomainError as error:
            db.session.rollback()
            booking = _staff_booking(booking_id)  # the rollback expired it
            error_message = error.message
        else:
            db.session.commit()
    return _booking_row(booking, error_message)


def _booking_row(booking: Booking, error_message: str | None, revealed: str | None = None):
    if hypermedia.is_fragment_request():
        return hypermedia.render(
            "reception/staff/_booking_row.html", b=booking, action_form=EmptyForm(),
            reason_form=ReasonForm(), today=calendar.now().date(), row_error=error_message,
            revealed={booking.id: revealed} if revealed else {},
            s=db.session.get(ReceptionSession, booking.session_id),
            status=200)
    if error_message:
        flash(error_message, "error")
    else:
        flash(f"预约 {booking.code} 现为“{booking.status_label}”")
    return hypermedia.see_other(url_for("reception_staff.session_view",
                                        session_id=booking.session_id))


@staff_bp.post("/bookings/<int:booking_id>/reveal")
@role_required(*STAFF)
def reveal_id(booking_id: int):
    booking = _staff_booking(booking_id)
    EmptyForm().validate_on_submit()
    number = management.reveal_id_number(booking, current_user)
    db.session.commit()
    if hypermedia.is_fragment_request():
        return _booking_row(booking, None, revealed=number)
    return _staff_session_page(booking.session_id, {booking.id: number})


@staff_bp.get("/calls")
@role_required(*STAFF)
def calls():
    return hypermedia.render("reception/staff/calls.html", bookings=management.call_list(),
                             action_form=EmptyForm())


@staff_bp.post("/bookings/<int:booking_id>/notified")
@role_required(*STAFF)
def notified(booking_id: int):
    booking = _staff_booking(booking_id)
    try:
        management.mark_notified(booking, current_user, calendar.now())
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        db.session.commit()
        flash(f"已记录：预约 {booking.code} 的来访人已电话通知")
    return hypermedia.see_other(url_for("reception_staff.calls"))
