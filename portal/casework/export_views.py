"""Excel exports of sessions, bookings, reception records and hand-overs for a date range.

The page (GET) holds the form; the download is a POST, since every export is an audited act
(``export.download``, with whether the full ID and phone numbers were revealed). The workbook
is built and the audit entry written in one transaction run by ``actions.perform``.
"""
from __future__ import annotations

from calendar import monthrange

from flask import Blueprint, Response, make_response
from flask_login import current_user
from wtforms import BooleanField, RadioField
from wtforms.validators import InputRequired

from portal import calendar, hypermedia
from portal.actions import perform
from portal.casework import exports
from portal.forms import DateField, PortalForm, choices

bp = Blueprint("casework_exports", __name__, url_prefix="/staff/exports")
TEMPLATE = "casework/exports.html"


class ExportForm(PortalForm):
    start = DateField("开始日期", validators=[InputRequired("请填写开始日期")])
    end = DateField("结束日期", validators=[InputRequired("请填写结束日期")])
    kind = RadioField("导出内容", choices=choices(exports.KINDS.items()),
                      validators=[InputRequired("请选择导出内容")])
    reveal = BooleanField("导出完整身份证号和手机号码（将记入操作日志）")


def _page(form: ExportForm, status: int = 200) -> Response:
    return hypermedia.render(TEMPLATE, "export_form", form=form, max_days=exports.MAX_DAYS,
                             status=status)


@bp.get("/")
def index():
    today = calendar.now().date()
    form = ExportForm(formdata=None, kind="bookings", start=today.replace(day=1),
                      end=today.replace(day=monthrange(today.year, today.month)[1]))
    return _page(form)


def _file(export: exports.Export) -> Response:
    response = make_response(export.data)
    response.mimetype = exports.MIME_TYPE
    response.headers["Content-Disposition"] = export.content_disposition
    response.headers["Cache-Control"] = "no-store"  # personal data: never kept by a cache
    return response


@bp.post("/download")
def download():
    form = ExportForm()
    if not form.validate_on_submit():
        return _page(form, 422)
    return perform(
        lambda: exports.export(form.kind.data, form.start.data, form.end.data,
                               bool(form.reveal.data), current_user, calendar.now()),
        success=_file, form=form, failure=lambda _error: _page(form, 422))
