"""CSV and Excel (.xlsx) files of the dashboard's tables.

The same rows as the page (``tables``). CSV is UTF-8 with a byte-order mark, so Excel opens
the Chinese right; a text cell that starts like a formula gets a leading apostrophe (OWASP's
CSV-injection advice). The workbook is openpyxl's write-only kind and every text cell goes
through casework's :func:`~portal.casework.exports.text_cell` (stored as a string, never a
formula); rates are numbers with a percentage format. Aggregates only: no petitioner is named.
"""
from __future__ import annotations

import csv
import io
from urllib.parse import quote

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.utils import get_column_letter

from portal.casework.exports import FORMULA_STARTS, MIME_TYPE, text_cell
from portal.stats.periods import Period
from portal.stats.tables import CHANGE, RATE, TEXT, Table, format_value, row_kinds

FORMATS = {"csv": "text/csv; charset=utf-8", "xlsx": MIME_TYPE}


def csv_text(value: str) -> str:
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def _csv_cell(value, kind: str) -> str:
    if kind == TEXT:
        return csv_text("" if value is None else str(value))
    return format_value(value, kind)


def to_csv(table: Table, period: Period) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([csv_text(c.label) for c in table.columns])
    for index, row in enumerate(table.rows):
        kinds = row_kinds(table, index)
        writer.writerow([_csv_cell(v, k) for v, k in zip(row, kinds, strict=True)])
    writer.writerow([])
    writer.writerow([f"统计期间：{period.start.isoformat()} 至 {period.end.isoformat()}"])
    return "\ufeff".encode() + out.getvalue().encode("utf-8")


def _xlsx_cell(sheet, value, kind: str):
    if kind in (TEXT, CHANGE):
        return text_cell(sheet, "" if value is None else str(value))
    if value is None:
        return text_cell(sheet, "—")
    cell = WriteOnlyCell(sheet, value=value)
    if kind == RATE:
        cell.number_format = "0.0%"
    return cell


def to_xlsx(table: Table, period: Period) -> bytes:
    book = Workbook(write_only=True)
    book.properties.creator = "信访公开服务门户"
    book.properties.title = f"{table.title} {period.start.isoformat()} 至 {period.end.isoformat()}"
    sheet = book.create_sheet(table.title[:31])
    for index, _column in enumerate(table.columns, 1):
        sheet.column_dimensions[get_column_letter(index)].width = 16
    sheet.freeze_panes = "A2"
    sheet.append([text_cell(sheet, c.label, bold=True) for c in table.columns])
    for index, row in enumerate(table.rows):
        kinds = row_kinds(table, index)
        sheet.append([_xlsx_cell(sheet, v, k) for v, k in zip(row, kinds, strict=True)])
    sheet.append([])
    sheet.append([text_cell(sheet, f"统计期间：{period.start.isoformat()} 至 "
                                   f"{period.end.isoformat()}")])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def build(table: Table, period: Period, fmt: str) -> bytes:
    return to_csv(table, period) if fmt == "csv" else to_xlsx(table, period)


def content_disposition(table: Table, period: Period, fmt: str) -> str:
    """An ASCII name for old clients, the Chinese one (RFC 5987/6266) for the rest."""
    span = f"{period.start.isoformat()}_{period.end.isoformat()}"
    chinese = f"{table.title}_{span}.{fmt}"
    return (f'attachment; filename="stats-{table.key}_{span}.{fmt}"; '
            f"filename*=UTF-8''{quote(chinese, safe='')}")
