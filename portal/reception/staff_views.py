"""Reception pages for staff: sessions, leaders, review, the reception day, the call list."""
from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, abort, flash, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from portal import calendar, hypermedia
from portal.access import role_required
from portal.errors import DomainError, apply_to_form, commit_or_flash
from portal.extensions import db
from portal.forms import EmptyForm, choices
from portal.reception import management, services
from portal.reception.forms import LeaderForm, ReasonForm, SessionForm
from portal.reception.models import Booking, Leader, ReceptionSession

staff_bp = Blueprint("reception_staff", __name__, url_prefix="/staff/reception")
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
    bookings = management.session_bookings(session_id)
    return hypermedia.render(
        "reception/staff/session.html", s=session_row, bookings=bookings,
        marks=services.satisfied_marks(bookings),
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
    if action == "publish":
        commit_or_flash(lambda: management.publish_session(session_row, current_user, now),
                        "已发布，公众现在可以看到并预约本场")
    elif action == "close":
        commit_or_flash(lambda: management.close_session(session_row, current_user, now),
                        lambda counts: f"本场已结束：记录爽约 {counts['no_show']} 人，"
                                       f"过期未审核 {counts['expired']} 条")
    else:
        commit_or_flash(
            lambda: management.cancel_session(session_row, form.reason.data, current_user, now),
            lambda count: f"本场已取消；{count} 条预约已取消，请在“待电话通知”名单中逐一通知")
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
            marks=services.satisfied_marks([booking]),
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
    commit_or_flash(lambda: management.mark_notified(booking, current_user, calendar.now()),
                    f"已记录：预约 {booking.code} 的来访人已电话通知")
    return hypermedia.see_other(url_for("reception_staff.calls"))
