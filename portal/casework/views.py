"""Supervision (督办): open hand-overs by unit and deadline, each hand-over's page (progress,
reminders, extension, conclusion), the unit list, the leaders' and units' ledgers.

Reads go through ``casework.queries``; every change runs through ``actions.perform`` and the
services in ``casework.services``. Templates ask ``can('handover', h, 'supervise')`` whether a
hand-over is still open.
"""
from __future__ import annotations

from datetime import date

from flask import Blueprint, Response, abort, flash, request, url_for
from flask_login import current_user

from portal import calendar, hypermedia, settings
from portal.actions import perform
from portal.casework import queries, rules, services
from portal.casework.supervision_forms import UnitForm, handover_forms
from portal.errors import DomainError, apply_to_form
from portal.forms import EmptyForm
from portal.request_guard import arg_date, arg_int

bp = Blueprint("casework", __name__, url_prefix="/staff")


def _soon_days() -> int:
    return settings.current_values()[rules.DUE_SOON_DAYS.key]


def _form_status() -> int:
    return 422 if request.method == "POST" else 200


# --- units ---------------------------------------------------------------------------------------

@bp.get("/units/")
def units():
    return hypermedia.render("casework/units.html", units=queries.units_with_open_counts())


@bp.route("/units/new", methods=["GET", "POST"])
@bp.route("/units/<int:unit_id>", methods=["GET", "POST"])
def unit_edit(unit_id: int | None = None):
    unit = (queries.unit(unit_id) or abort(404)) if unit_id else None
    form = UnitForm(obj=unit)

    def page(status: int):
        return hypermedia.render("casework/unit_form.html", form=form, unit=unit, status=status)

    if not form.validate_on_submit():
        return page(_form_status())

    def refused(error: DomainError) -> Response:
        apply_to_form(form, error)
        return page(error.status)

    return perform(lambda: services.save_unit(unit, form.name.data, form.kind.data, current_user),
                   success=lambda _: hypermedia.see_other(url_for("casework.units")),
                   done="责任单位已保存", failure=refused)


@bp.post("/units/<int:unit_id>/<any(activate, deactivate):action>")
def unit_active(unit_id: int, action: str):
    unit = queries.unit(unit_id) or abort(404)
    back = url_for("casework.units")
    if not EmptyForm().validate_on_submit():
        abort(400)
    activate = action == "activate"
    return perform(lambda: services.set_unit_active(unit, activate, current_user),
                   success=lambda _: hypermedia.see_other(back),
                   done=f"{unit.name} 已{'启用' if activate else '停用'}", back=back)


# --- the supervision list ------------------------------------------------------------------------

@bp.get("/supervision/")
def supervision():
    today, soon = calendar.now().date(), _soon_days()
    unit_id = arg_int("unit")
    state = request.args.get("state", "open")
    state = state if state in queries.STATES else "open"
    urgent = request.args.get("urgent") == "1"
    page = max(1, arg_int("page", 1) or 1)
    rows, total = queries.supervision_page(unit_id, state, urgent, today, soon, page)
    pages = max(1, -(-total // queries.PER_PAGE))
    filters = {"unit": unit_id or None, "state": state, "urgent": "1" if urgent else None}
    return hypermedia.render(
        "casework/supervision.html", "results", rows=rows, total=total, page=page, pages=pages,
        filters=filters, counts=queries.supervision_counts(unit_id, today, soon),
        units=queries.all_units(), states=queries.STATES, today=today, soon_days=soon,
        deadline=queries.deadline)


# --- one hand-over -------------------------------------------------------------------------------

def _handover_page(handover_id: int, forms: dict, status: int = 200) -> Response:
    view = queries.handover(handover_id) or abort(404)
    today = calendar.now().date()
    return hypermedia.render(
        "casework/handover.html", v=view, h=view.handover, forms=forms, today=today,
        status=status, soon_days=_soon_days(), deadline=queries.deadline,
        extension_max=settings.current_values()[rules.EXTENSION_MAX_DAYS.key])


@bp.get("/handovers/<int:handover_id>")
def handover(handover_id: int):
    return _handover_page(handover_id, handover_forms(calendar.now().date()))


ACTS = {"notes": "progress", "reminders": "reminder", "extend": "extend",
        "conclude": "conclude"}


def _act(name: str, h, form):
    """The service call for one of the page's forms, and the message after it."""
    now = calendar.now()
    if name == "progress":
        return (lambda: services.add_note(h, "progress", form.text.data, form.noted_on.data,
                                          current_user, now), "已记录办理进展")
    if name == "reminder":
        return (lambda: services.add_note(h, "reminder", form.text.data, form.noted_on.data,
                                          current_user, now, method=form.method.data),
                "已记录催办")
    if name == "extend":
        return (lambda: services.extend(h, form.days.data, form.reason.data, current_user, now),
                lambda _: f"已延期 {h.extension_days} 天，办理期限现为 "
                          f"{calendar.format_date(h.due_on)}")
    return (lambda: services.conclude(h, form.reply.data, form.concluded_on.data, current_user,
                                      now), "已办结，答复意见已记录")


@bp.post("/handovers/<int:handover_id>/<any(notes, reminders, extend, conclude):action>")
def handover_action(handover_id: int, action: str):
    h = queries.handover_row(handover_id) or abort(404)
    name = ACTS[action]
    forms = handover_forms(calendar.now().date(), name)
    form = forms[name]
    if not form.validate_on_submit():
        return _handover_page(handover_id, forms, 422)

    def refused(error: DomainError) -> Response:
        if error.status == 422:  # the form's fields: show them on the form, input kept
            apply_to_form(form, error)
        else:  # already concluded, already extended, not allowed: say so above the page
            flash(error.message, "error")
        return _handover_page(handover_id, forms, error.status)

    act, done = _act(name, h, form)
    back = url_for("casework.handover", handover_id=handover_id)
    return perform(act, success=lambda _: hypermedia.see_other(back), done=done,
                   failure=refused)


# --- ledgers -------------------------------------------------------------------------------------

def _date_range(today: date) -> tuple[date, date, str | None]:
    """The ledger's range from ``?start=&end=`` (default: this year) and, when what was given
    could not be used, why."""
    first, last = date(today.year, 1, 1), date(today.year, 12, 31)
    raw = {k: request.args.get(k, "").strip() for k in ("start", "end")}
    start, end = arg_date("start"), arg_date("end")
    message = None
    if (raw["start"] and start is None) or (raw["end"] and end is None):
        message = "日期格式不正确（应为 2026-01-01 这样的日期），已按默认范围显示"
        start, end = first, last
    start, end = start or first, end or last
    if start > end:
        message = "开始日期晚于结束日期，已按默认范围（今年）显示"
        start, end = first, last
    return start, end, message


def _ledger(template: str, **context) -> Response:
    today = calendar.now().date()
    start, end, message = _date_range(today)
    if message:
        flash(message, "warning")
    return hypermedia.render(template, start=start, end=end, today=today,
                             soon_days=_soon_days(), deadline=queries.deadline,
                             lateness=queries.lateness,
                             **{k: v(start, end, today) for k, v in context.items()})


@bp.get("/ledgers/leaders/")
def leader_ledgers():
    return _ledger("casework/ledger_leaders.html", leaders=queries.leader_ledgers)


@bp.get("/ledgers/leaders/<int:leader_id>")
def leader_ledger(leader_id: int):
    person = queries.leader(leader_id) or abort(404)
    return _ledger("casework/ledger_leader.html", leader=lambda *_: person,
                   sessions=lambda s, e, _t: queries.leader_sessions(leader_id, s, e),
                   cases=lambda s, e, _t: queries.leader_cases(leader_id, s, e))


@bp.get("/ledgers/units/<int:unit_id>")
def unit_ledger(unit_id: int):
    unit = queries.unit(unit_id) or abort(404)
    return _ledger("casework/ledger_unit.html", unit=lambda *_: unit,
                   cases=lambda s, e, _t: queries.unit_cases(unit_id, s, e))
