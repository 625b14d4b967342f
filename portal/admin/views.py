"""Administration pages under /staff: rule settings, the working calendar, the audit log."""
from __future__ import annotations

from datetime import date

from flask import Blueprint, Response, abort, make_response, request, url_for
from flask_login import current_user

from portal import calendar, hypermedia, request_guard, settings
from portal.actions import perform
from portal.admin import audit_export, audit_labels, queries, services
from portal.admin.forms import CalendarOverrideForm
from portal.extensions import db
from portal.forms import EmptyForm

bp = Blueprint("admin", __name__, url_prefix="/staff")


def _see(endpoint: str):
    return lambda _result=None: hypermedia.see_other(url_for(endpoint))


@bp.route("/settings", methods=["GET", "POST"])
def rule_settings():
    form = EmptyForm()
    values = settings.current_values()

    def page(errors=None, shown=None):
        groups: dict[str, list] = {}
        for spec in settings.REGISTRY.values():
            groups.setdefault(spec.group, []).append(spec)
        return hypermedia.render("admin/settings.html", form=form, groups=groups,
                                 values=shown or values, errors=errors or {},
                                 status=422 if errors else 200)

    if not form.validate_on_submit():
        return page()
    # A field left out of the form keeps its current value.
    submitted = {key: request.form.get(key, settings.as_text(values[key]))
                 for key in settings.REGISTRY}
    return perform(lambda: services.save_settings(submitted, current_user),
                   success=_see("admin.rule_settings"), done="规则设置已保存",
                   failure=lambda error: page(error.reasons, {**values, **submitted}))


@bp.route("/calendar", methods=["GET", "POST"])
def working_calendar():
    form = CalendarOverrideForm()

    def page(status=200):
        today = calendar.now().date()
        return hypermedia.render(
            "admin/calendar.html", form=form, overrides=queries.calendar_overrides(),
            delete_form=EmptyForm(), years=queries.calendar_years(today),
            known_years=[y for y in (today.year, today.year + 1) if calendar.known_year(y)],
            status=status)

    if not form.validate_on_submit():
        return page(422 if form.errors else 200)
    day = form.day.data
    return perform(
        lambda: services.set_calendar_day(day, form.is_working.data, form.note.data,
                                          current_user),
        success=_see("admin.working_calendar"), form=form, failure=lambda _e: page(422),
        done=f"已设置 {calendar.format_date(day)} 为{'工作日' if form.is_working.data else '休息日'}")


@bp.post("/calendar/<day>/delete")
def delete_calendar_override(day: str):
    try:
        parsed = date.fromisoformat(day)
    except ValueError:
        abort(404)
    db.get_or_404(calendar.CalendarOverride, parsed)
    return perform(lambda: services.delete_calendar_day(parsed, current_user),
                   success=_see("admin.working_calendar"), back=url_for("admin.working_calendar"),
                   done=f"已删除 {calendar.format_date(parsed)} 的设置")


@bp.post("/calendar/years/<int:year>/<any(confirm, revoke):action>")
def confirm_calendar_year(year: int, action: str):
    return perform(
        lambda: services.set_year_confirmed(year, action == "confirm", current_user,
                                            calendar.now()),
        success=_see("admin.working_calendar"), back=url_for("admin.working_calendar"),
        done=f"{year}年日历已{'确认' if action == 'confirm' else '撤销确认'}")


def _arg_text(name: str, limit: int) -> str:
    return request.args.get(name, "").strip()[:limit]


def _audit_filter() -> queries.AuditFilter:
    return queries.AuditFilter(
        actor=_arg_text("actor", 80), action=_arg_text("action", 60),
        object_type=_arg_text("object_type", 40), object_id=_arg_text("object_id", 40),
        since=request_guard.arg_date("since"), until=request_guard.arg_date("until"))


@bp.get("/audit")
def audit_log():
    filters = _audit_filter()
    entries = queries.audit_page(request_guard.arg_int("before"), filters)
    return hypermedia.render(
        "admin/audit.html", entries=entries, filters=filters, page_size=queries.AUDIT_PAGE,
        names=queries.object_names(entries), export_form=EmptyForm(),
        retention_days=settings.get("audit_retention_days"),
        actions=audit_labels.ACTIONS, object_types=audit_labels.OBJECT_TYPES,
        action_label=audit_labels.action_label, object_type_label=audit_labels.object_type_label,
        detail_lines=audit_labels.detail_lines)


def _download(export: audit_export.AuditExport) -> Response:
    response = make_response(export.data)
    response.mimetype = export.mimetype
    response.headers["Content-Disposition"] = export.content_disposition
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/audit/export")
def audit_export_download():
    """The filtered entries as a file (the filters ride in the query string, as on the page);
    an audited act (``audit.export``)."""
    filters = _audit_filter()
    file_format = request.form.get("format", "")
    return perform(
        lambda: audit_export.export(filters, file_format, current_user, calendar.now()),
        success=_download, back=url_for("admin.audit_log", **filters.args()))
