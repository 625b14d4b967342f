"""The staff statistics dashboard (``/staff/stats/``), its CSV and Excel exports, and the
public transparency page (``/transparency``). Thin: the figures come from ``report`` and
``public``; a period that cannot be used is answered 400 with the reasons in Chinese."""
from __future__ import annotations

from flask import Blueprint, Response, make_response, request

from portal import calendar, hypermedia
from portal.request_guard import InvalidInput
from portal.stats import exports, periods, public, report
from portal.stats.forms import PeriodForm

bp = Blueprint("stats", __name__, url_prefix="/staff/stats")
public_bp = Blueprint("stats_public", __name__)

_TABLES = ",".join(report.TABLE_KEYS)
_FORMATS = ",".join(exports.FORMATS)


def _period(form: PeriodForm):
    today = calendar.now().date()
    period, errors = periods.parse(form.start.data or "", form.end.data or "", today)
    for name, message in errors.items():
        getattr(form, name).errors = [message]
    return today, period, errors


@bp.get("/")
def dashboard() -> Response:
    form = PeriodForm(request.args)
    today, period, errors = _period(form)
    if not form.start.data and not form.end.data:
        form.start.data, form.end.data = period.start.isoformat(), period.end.isoformat()
    found = [] if errors else report.all_tables(period, today)
    return hypermedia.render(
        "stats/dashboard.html", "figures", status=400 if errors else 200, form=form,
        period=period, caption=report.tables.period_caption(period), tables=found,
        chart_of=report.chart_of, format_value=report.tables.format_value,
        row_kinds=report.tables.row_kinds, today=today, max_days=periods.MAX_DAYS)


@bp.get(f"/export/<any({_TABLES}):key>.<any({_FORMATS}):fmt>")
def export(key: str, fmt: str) -> Response:
    form = PeriodForm(request.args)
    today, period, errors = _period(form)
    if errors:
        raise InvalidInput("统计期间有误：" + "；".join(errors.values()))
    table = report.table(key, period, today)
    response = make_response(exports.build(table, period, fmt))
    response.headers["Content-Type"] = exports.FORMATS[fmt]
    response.headers["Content-Disposition"] = exports.content_disposition(table, period, fmt)
    response.headers["Cache-Control"] = "no-store"
    return response


@public_bp.get("/transparency")
def transparency() -> Response:
    today = calendar.now().date()
    return hypermedia.render("stats/transparency.html", rows=public.month_rows(today),
                             columns=public.COLUMNS, today=today, small=public.SMALL)
