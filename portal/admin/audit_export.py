"""The audit log's entries matching the page's filters as a .csv or .xlsx file.

Taking the log away is itself an audited act (``audit.export``, with the filters, the format
and the row count), written in the transaction that builds the file. Cells never become
formulas: the .xlsx through the casework exports' safe text cells, the .csv with Excel's
quote (a leading ``'``) before anything that starts like a formula (OWASP's CSV injection
advice). Entries hold no personal data (see portal/audit.py), so nothing needs masking.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote

from openpyxl import Workbook
from openpyxl.utils import get_column_letter
from sqlalchemy import func, select

from portal import calendar, events
from portal.admin import audit_labels, queries
from portal.casework.exports import FORMULA_STARTS, text_cell, value_cell
from portal.errors import DomainError
from portal.extensions import db

FORMATS = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
           "csv": "text/csv; charset=utf-8"}
MAX_ROWS = 200_000
COLUMNS = (("编号", 9), ("时间", 19), ("操作人", 14), ("操作", 22), ("操作代码", 26), ("对象", 12),
           ("对象编号", 12), ("详情", 60), ("来源地址", 16))
FILTER_LABELS = {"actor": "操作人", "action": "操作", "object_type": "对象", "object_id": "对象编号",
                 "since": "起始日期", "until": "截止日期"}


def _values(entry) -> list:
    return [entry.id, entry.at.astimezone(calendar.TZ).replace(microsecond=0), entry.actor,
            audit_labels.action_label(entry.action), entry.action,
            audit_labels.object_type_label(entry.object_type), entry.object_id,
            "；".join(audit_labels.detail_lines(entry.detail)), entry.address or ""]


def _csv_text(value) -> str:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _csv(entries) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([name for name, _ in COLUMNS])
    for entry in entries:
        writer.writerow([_csv_text(v) for v in _values(entry)])
    return ("\ufeff" + buffer.getvalue()).encode()  # the BOM: Excel then reads UTF-8


def _xlsx(entries) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet("操作日志")
    for index, (_, width) in enumerate(COLUMNS, 1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    sheet.append([text_cell(sheet, name, bold=True) for name, _ in COLUMNS])
    for entry in entries:
        sheet.append([value_cell(sheet, v) for v in _values(entry)])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@dataclass(frozen=True)
class AuditExport:
    format: str
    data: bytes
    rows: int
    day: str

    @property
    def mimetype(self) -> str:
        return FORMATS[self.format]

    @property
    def content_disposition(self) -> str:
        ascii_name = f"audit_{self.day}.{self.format}"
        return (f'attachment; filename="{ascii_name}"; '
                f"filename*=UTF-8''{quote(f'操作日志_{self.day}.{self.format}', safe='')}")


def describe(filters: queries.AuditFilter) -> str:
    """The filters in words for the log entry: "操作人 admin；操作 user." or "全部"."""
    args = filters.args()
    return "；".join(f"{FILTER_LABELS[k]} {v}" for k, v in args.items()) or "全部"


def export(filters: queries.AuditFilter, file_format: str, actor, now: datetime) -> AuditExport:
    if file_format not in FORMATS:
        raise DomainError({"format": "请选择导出格式"})
    statement = queries.audit_statement(filters)
    rows = db.session.scalar(select(func.count()).select_from(statement.subquery()))
    if rows > MAX_ROWS:
        raise DomainError(f"符合条件的记录有 {rows} 条，一次最多导出 {MAX_ROWS} 条，请缩小筛选范围")
    entries = db.session.scalars(statement).yield_per(1000)
    data = _csv(entries) if file_format == "csv" else _xlsx(entries)
    events.emit("audit.export", "audit", "", actor=actor, format=file_format, rows=rows,
                filters=describe(filters))
    return AuditExport(file_format, data, rows, now.date().isoformat())
