"""Reception pages for staff: sessions, leaders, review, the reception day, the call list.

Reads go through ``reception.queries``; every change runs through ``actions.perform``, which
commits, or rolls back and reports the refusal. Which buttons a row or a session shows is asked
of ``reception.lifecycle`` by the templates.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from flask import Blueprint, Response, abort, flash, request, url_for
from flask_login import current_user

from portal import calendar, hypermedia
from portal.actions import perform
from portal.forms import EmptyForm
from portal.reception import lifecycle, management, queries
from portal.reception.forms import (
    LeaderForm,
    ReasonForm,
    SeriesForm,
    SessionForm,
    WalkInPlacesForm,
)
from portal.reception.models import Booking
from portal.reception.window import short_window_warning

staff_bp = Blueprint("reception_staff", __name__, url_prefix="/staff/reception")


def _see(endpoint: str, **values) -> Callable[[object], Response]:
    """A ``success`` answer: 303 to a page, whatever the service returned."""
    return lambda _result: hypermedia.see_other(url_for(endpoint, **values))


def _form_status() -> int:
    return 422 if request.method == "POST" else 200


@staff_bp.get("/")
def dashboard():
    today = calendar.now().date()
    show = request.args.get("show", "upcoming")
    sessions = queries.staff_sessions(today, past=show == "past")
    ids = [s.id for s in sessions]
    return hypermedia.render(
        "reception/staff/dashboard.html", sessions=sessions, show=show,
        free=queries.free_places(ids), totals=queries.total_places(ids),
        walk_ins_free=queries.free_places(ids, walk_in=True), calls=queries.call_count(),
        today=today, off_days=queries.off_calendar(sessions),
        series=queries.series_sizes(sessions), holiday_reason=management.HOLIDAY_REASON,
    )


# --- leaders ------------------------------------------------------------------------------------

@staff_bp.get("/leaders")
def leaders():
    return hypermedia.render("reception/staff/leaders.html", leaders=queries.all_leaders(),
                             action_form=EmptyForm())


@staff_bp.route("/leaders/new", methods=["GET", "POST"])
@staff_bp.route("/leaders/<int:leader_id>", methods=["GET", "POST"])
def leader_edit(leader_id: int | None = None):
    leader = (queries.leader(leader_id) or abort(404)) if leader_id else None
    form = LeaderForm(obj=leader)
    if request.method == "GET" and leader:
        form.categories.data = leader.categories

    def page(status: int):
        return hypermedia.render("reception/staff/leader_form.html", form=form, leader=leader,
                                 status=status)

    if not form.validate_on_submit():
        return page(_form_status())
    return perform(
        lambda: management.save_leader(leader, form.name.data, form.post.data,
                                       form.categories.data, current_user),
        success=_see("reception_staff.leaders"), done="接访领导信息已保存", form=form,
        failure=lambda _error: page(422))


@staff_bp.post("/leaders/<int:leader_id>/<any(activate, deactivate):action>")
def leader_active(leader_id: int, action: str):
    leader = queries.leader(leader_id) or abort(404)
    activate = action == "activate"
    return perform(
        lambda: management.set_leader_active(leader, activate, current_user),
        success=_see("reception_staff.leaders"),
        done=lambda _: f"{leader.name} 已{'恢复' if activate else '停用'}",
        back=url_for("reception_staff.leaders"))


# --- sessions -----------------------------------------------------------------------------------

def _session_form(obj=None) -> SessionForm:
    return SessionForm(obj=obj).with_leaders(queries.active_leaders())


def _warn_short_windows(sessions, url: str) -> Response:
    """303 to ``url``, warning first about each session the public has under a day to book."""
    for warning in management.short_window_warnings(sessions, calendar.now()):
        flash(warning, "warning")
    return hypermedia.see_other(url)


def _created(result) -> str:
    made, skipped = result
    message = f"已生成 {len(made)} 场接访"
    if skipped:
        message += "；以下日期不是工作日，已跳过：" + "、".join(
            calendar.format_date(d) for d in skipped)
    return message


@staff_bp.route("/sessions/new", methods=["GET", "POST"])
def session_new():
    form = _session_form()
    if request.method == "GET":
        form.first_day.data = calendar.now().date() + timedelta(days=7)

    def page(status: int):
        return hypermedia.render("reception/staff/session_form.html", form=form, s=None,
                                 status=status)

    if not form.validate_on_submit():
        return page(_form_status())
    return perform(
        lambda: management.create_sessions(form.plan(), current_user, calendar.now()),
        success=lambda result: _warn_short_windows(result[0], url_for("reception_staff.dashboard")),
        done=_created, form=form, failure=lambda _error: page(422))


@staff_bp.route("/sessions/<int:session_id>/edit", methods=["GET", "POST"])
def session_edit(session_id: int):
    session_row = queries.session_by_id(session_id) or abort(404)
    form = _session_form(obj=session_row)
    if request.method == "GET":
        form.first_day.data = session_row.day

    def page(status: int):
        return hypermedia.render("reception/staff/session_form.html", form=form, s=session_row,
                                 status=status)

    if not form.validate_on_submit():
        return page(_form_status())
    return perform(
        lambda: management.update_session(session_row, form.plan(), current_user, calendar.now()),
        success=lambda _: _warn_short_windows(
            [session_row], url_for("reception_staff.session_view", session_id=session_id)),
        done="场次已修改", form=form, failure=lambda _error: page(422))


def _staff_session_page(session_id: int, revealed: dict[int, str]):
    session_row = queries.session_with_leader(session_id) or abort(404)
    bookings = queries.session_bookings(session_id)
    window = queries.window_of(session_row)
    off_day = session_row.id in queries.off_calendar([session_row])
    reason_form = ReasonForm()
    if off_day and not reason_form.reason.data:
        reason_form.reason.data = management.HOLIDAY_REASON
    return hypermedia.render(
        "reception/staff/session.html", s=session_row, window=window,
        # 候补: the waiting entries apart, in the order places are offered (oldest first).
        bookings=[b for b in bookings if not lifecycle.is_waiting(b)],
        waiting=sorted((b for b in bookings if lifecycle.is_waiting(b)), key=lambda b: b.id),
        short_window=short_window_warning(session_row, window, calendar.now()),
        marks=queries.satisfied_marks(bookings), **queries.place_counts(session_id),
        walk_in_form=WalkInPlacesForm(places=session_row.walk_in_places),
        can_edit=lifecycle.edit_refusal(session_row) is None,
        # The rows ask the lifecycle which actions are open; this spares a query per row.
        held_places=queries.held_places(bookings),
        action_form=EmptyForm(), reason_form=reason_form, revealed=revealed, off_day=off_day,
        series=queries.series_sizes([session_row]), reasoned=lifecycle.REASONED,
    )


@staff_bp.get("/sessions/<int:session_id>")
def session_view(session_id: int):
    return _staff_session_page(session_id, {})


def _session_act(action: str, session_row, reason: str | None):
    """The service call and the message after it, for each session button."""
    now = calendar.now()
    if action == "publish":
        return (lambda: management.publish_session(session_row, current_user, now),
                "已发布，公众现在可以看到并预约本场")
    if action == "close":
        return (lambda: management.close_session(session_row, current_user, now),
                lambda counts: f"本场已结束：记录爽约 {counts['no_show']} 人，"
                               f"过期未审核 {counts['expired']} 条"
                               + (f"，候补失效 {counts['lapsed']} 人" if "lapsed" in counts else ""))
    return (lambda: management.cancel_session(session_row, reason, current_user, now),
            lambda count: f"本场已取消；{count} 条预约已取消，请在“待电话通知”名单中逐一通知")


@staff_bp.post("/sessions/<int:session_id>/<any(publish, close, cancel):action>")
def session_action(session_id: int, action: str):
    session_row = queries.session_by_id(session_id) or abort(404)
    form = ReasonForm() if action == "cancel" else EmptyForm()
    back = url_for("reception_staff.session_view", session_id=session_id)
    if not form.validate_on_submit():
        flash("请填写取消原因", "error")
        return hypermedia.see_other(back)
    reason = getattr(form, "reason", None) and form.reason.data
    if action == "cancel" and (asked := _ask_before_cancelling([session_row], reason)):
        return asked
    act, done = _session_act(action, session_row, reason)
    published = [session_row] if action == "publish" else []
    return perform(act, success=lambda _: _warn_short_windows(published, back), done=done,
                   back=back)


def _ask_before_cancelling(sessions, reason: str, series_id: str | None = None):
    """Cancelling sessions that hold bookings cannot be undone: the first POST shows how many
    bookings go and whom to call; the second (``confirm=1``) does it. None: go ahead."""
    if request.form.get("confirm") == "1":
        return None
    now = calendar.now()
    if any(lifecycle.SESSION.refusal(s, "cancel", current_user, now) for s in sessions):
        return None  # the service refuses it and says why
    to_call = queries.upcoming_bookings([s.id for s in sessions])
    if not to_call:
        return None
    return hypermedia.render("reception/staff/cancel_confirm.html", sessions=sessions,
                             bookings=to_call, reason=reason, series_id=series_id,
                             action_form=EmptyForm())


@staff_bp.get("/series/<series_id>")
def series_view(series_id: str):
    sessions = queries.series_sessions(series_id) or abort(404)
    ids = [s.id for s in sessions]
    future = queries.series_future(series_id, calendar.now().date())
    return hypermedia.render(
        "reception/staff/series.html", series_id=series_id, sessions=sessions,
        future={s.id for s in future}, free=queries.free_places(ids),
        totals=queries.total_places(ids), reason_form=ReasonForm())


def _series_changed(result) -> str:
    changed, left = result
    message = f"已修改本系列今后的 {changed} 场接访"
    if left:
        message += "；以下日期的场次已有预约或已不是工作日，未修改，请逐场处理：" + "、".join(
            calendar.format_date(d) for d in left)
    return message


@staff_bp.route("/series/<series_id>/edit", methods=["GET", "POST"])
def series_edit(series_id: str):
    sessions = queries.series_sessions(series_id) or abort(404)
    form = SeriesForm(obj=sessions[-1])
    leader_name = sessions[0].leader.name  # read now: a refusal's rollback expires the rows

    def page(status: int):
        return hypermedia.render("reception/staff/series_form.html", form=form,
                                 series_id=series_id, leader_name=leader_name, status=status)

    if not form.validate_on_submit():
        return page(_form_status())
    plan = management.SessionPlan(
        leader_id=0, first_day=sessions[0].day, start_time=form.start_time.data,
        end_time=form.end_time.data, place=form.place.data, mode=form.mode.data,
        theme=form.theme.data or "", slot_minutes=form.slot_minutes.data)
    return perform(
        lambda: management.update_series(series_id, plan, current_user, calendar.now()),
        success=lambda _: hypermedia.see_other(
            url_for("reception_staff.series_view", series_id=series_id)),
        done=_series_changed, form=form, failure=lambda _error: page(422))


@staff_bp.post("/series/<series_id>/cancel")
def series_cancel(series_id: str):
    back = url_for("reception_staff.series_view", series_id=series_id)
    form = ReasonForm()
    if not form.validate_on_submit():
        flash("请填写取消原因", "error")
        return hypermedia.see_other(back)
    future = queries.series_future(series_id, calendar.now().date())
    if future and (asked := _ask_before_cancelling(future, form.reason.data, series_id)):
        return asked
    return perform(
        lambda: management.cancel_series(series_id, form.reason.data, current_user,
                                         calendar.now()),
        success=lambda _: hypermedia.see_other(back),
        done=lambda result: f"已取消本系列今后的 {result[0]} 场接访；{result[1]} 条预约已取消，"
                            f"请在“待电话通知”名单中逐一通知",
        back=back)


# --- bookings -----------------------------------------------------------------------------------

def _staff_booking(booking_id: int) -> Booking:
    return queries.booking_with_place(booking_id) or abort(404)


@staff_bp.post("/bookings/<int:booking_id>/<any(confirm, decline, check_in, no_show, "
               "correct_attended, correct_absent):action>")
def booking_action(booking_id: int, action: str):
    """Change one booking; htmx swaps its row in place (and tells the page's 剩余名额 to
    refresh), otherwise back to the session page."""
    booking = _staff_booking(booking_id)
    reasoned = action in lifecycle.REASONED
    form = ReasonForm() if reasoned else EmptyForm()
    if not form.validate_on_submit():
        return _booking_row(booking, "请填写不通过的原因" if action == "decline" else "请填写更正原因")
    reason = form.reason.data if reasoned else ""
    return perform(
        lambda: management.change_booking(booking, action, current_user, calendar.now(),
                                          reason=reason),
        success=lambda _: _places_changed(_booking_row(booking, None)),
        # The rollback expired the booking: draw the row from a fresh load.
        failure=lambda error: _booking_row(_staff_booking(booking_id), error.message))


def _places_changed(response: Response) -> Response:
    """htmx: the count of free places (``free_places`` below) reloads itself on this event."""
    if hypermedia.is_fragment_request():
        response.headers["HX-Trigger"] = "places-changed"
    return response


@staff_bp.get("/sessions/<int:session_id>/free")
def free_count(session_id: int):
    """The live 剩余名额 of the staff session page (its block for htmx, else the page)."""
    if not hypermedia.is_fragment_request():
        return hypermedia.see_other(url_for("reception_staff.session_view", session_id=session_id))
    session_row = queries.session_by_id(session_id) or abort(404)
    return hypermedia.render("reception/staff/session.html", "free_places", s=session_row,
                             **queries.place_counts(session_id))


def _booking_row(booking: Booking, error_message: str | None, revealed: str | None = None):
    if hypermedia.is_fragment_request():
        return hypermedia.render(
            "reception/staff/_booking_row.html", b=booking, action_form=EmptyForm(),
            reason_form=ReasonForm(), row_error=error_message,
            revealed={booking.id: revealed} if revealed else {},
            marks=queries.satisfied_marks([booking]),
            held_places=None, reasoned=lifecycle.REASONED, status=200)
    if error_message:
        flash(error_message, "error")
    else:
        flash(f"预约 {booking.code} 现为“{booking.status_label}”")
    return hypermedia.see_other(url_for("reception_staff.session_view",
                                        session_id=booking.session_id))


@staff_bp.post("/bookings/<int:booking_id>/reveal")
def reveal_id(booking_id: int):
    booking = _staff_booking(booking_id)

    def shown(number: str):
        if hypermedia.is_fragment_request():
            return _booking_row(booking, None, revealed=number)
        return _staff_session_page(booking.session_id, {booking.id: number})

    return perform(lambda: management.reveal_id_number(booking, current_user), success=shown,
                   back=url_for("reception_staff.session_view", session_id=booking.session_id))
