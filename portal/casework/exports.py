"""Excel exports (.xlsx) of sessions, bookings, reception records and hand-overs.

One sheet per kind, its first row the Chinese column headers (a machine can read it), one row
per session, booking, record or hand-over of the date range. The workbook is openpyxl's
write-only kind and the rows are streamed from the database, so a year's export does not sit
in memory. Dates and times are real date cells with a number format, never strings.

Formula safety: every text cell goes through :func:`text_cell`, which writes it as a string
(``data_type`` 's'), never a formula or an error value, whatever it starts with (``=``, ``+``,
``-``, ``@``, a tab, a CR ...): a citizen's words never run in a spreadsheet. Cells that a
spreadsheet program would take for a formula once edited also get Excel's quote prefix.

Identity numbers and phone numbers are masked unless the export reveals them, an act the
audit log keeps (``export.download`` with ``revealed``).
"""
from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from urllib.parse import quote

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from sqlalchemy import Row

from portal import calendar, events, privacy
from portal.casework import export_queries
from portal.casework.models import UNIT_KINDS
from portal.errors import DomainError

MIME_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_DAYS = 366
# What a spreadsheet program reads as the start of a formula (or, for tab and CR, what hides
# one from the eye), when a user types or edits such a cell.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
DATE_FORMAT = "yyyy-mm-dd"
TIME_FORMAT = "hh:mm"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
_BOLD = Font(bold=True)


# --- cells ---------------------------------------------------------------------------------------

def text_cell(sheet, value: str, bold: bool = False) -> WriteOnlyCell:
    """A text cell that stays text: data_type 's' (never 'f' for a formula or 'e' for an error
    value such as ``#N/A``), characters XML cannot hold removed, and Excel's quote prefix on
    anything that starts like a formula, so editing the cell keeps it text too."""
    value = ILLEGAL_CHARACTERS_RE.sub("", str(value))
    cell = WriteOnlyCell(sheet, value=value)
    cell.data_type = "s"
    if value.startswith(FORMULA_STARTS):
        cell.quotePrefix = True
    if bold:
        cell.font = _BOLD
    return cell


def _formatted(sheet, value, number_format: str) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=value)
    cell.number_format = number_format
    return cell


def value_cell(sheet, value):
    """Any value of a row: text through :func:`text_cell`; dates, times and moments (shown in
    Asia/Shanghai, as Excel holds no time zone) as date cells; numbers as numbers."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return text_cell(sheet, value)
    if isinstance(value, bool):
        return text_cell(sheet, "是" if value else "否")
    if isinstance(value, datetime):
        local = value.astimezone(calendar.TZ) if value.tzinfo else value
        return _formatted(sheet, local.replace(tzinfo=None, microsecond=0), DATETIME_FORMAT)
    if isinstance(value, date):
        return _formatted(sheet, value, DATE_FORMAT)
    if isinstance(value, time):
        return _formatted(sheet, value.replace(tzinfo=None), TIME_FORMAT)
    if isinstance(value, int | float):
        return value
    return text_cell(sheet, str(value))


# --- what each sheet shows -----------------------------------------------------------------------

@dataclass(frozen=True)
class Shown:
    """How sensitive numbers appear in this export, and the day overdue days count to."""

    revealed: bool
    today: date

    def id_number(self, cipher: str, last4: str) -> str:
        if self.revealed:
            return privacy.decrypt(cipher) or ""
        return privacy.masked_id_number(last4)

    def phone(self, cipher: str) -> str:
        phone = privacy.decrypt(cipher) or ""
        return phone if self.revealed else privacy.mask_phone(phone)


@dataclass(frozen=True)
class Sheet:
    label: str  # the kind in words: the sheet's title and the start of the file name
    columns: tuple[tuple[str, int], ...]  # header, width
    rows: Callable[[date, date], Iterator[Row]]
    values: Callable[[Row, Shown], list]


def _session_values(row: Row, _shown: Shown) -> list:
    s, leader, post, duty, bookable, booked, checked_in, no_show, walk_ins = row
    status = s.status_label + ("（已结束）" if s.closed else "")
    return [s.day, s.start_time, s.end_time, leader, post, duty, s.place, s.mode_label, status,
            bookable, s.walk_in_places, booked, checked_in, no_show, walk_ins]


def _booking_values(row: Row, shown: Shown) -> list:
    b, day, leader, number, walk_in = row
    return [b.code, day, leader, number, "现场登记" if walk_in else "网上预约", b.name,
            shown.id_number(b.id_cipher, b.id_last4), shown.phone(b.phone_cipher), b.category,
            b.summary, b.party_size, b.related_matter_no, b.status_label, b.status_reason,
            b.created_at]


def _record_values(row: Row, shown: Shown) -> list:
    record, day, leader, duty, code, name, id_cipher, id_last4 = row
    return [day, leader, duty, code, name, shown.id_number(id_cipher, id_last4), record.request,
            record.instruction, record.outcome_label, record.answer, record.recorded_at]


def _handover_values(row: Row, shown: Shown) -> list:
    h, code, name, leader, unit, unit_kind, progress, reminders = row
    return [h.handed_on, code, name, leader, unit, UNIT_KINDS[unit_kind], h.task, h.first_due_on,
            h.extension_days, h.extension_reason, h.due_on, h.status_label, h.concluded_on,
            h.reply, h.days_late(shown.today), progress, reminders]


def _columns(*pairs) -> tuple[tuple[str, int], ...]:
    return tuple(pairs)


SHEETS: dict[str, Sheet] = {
    "sessions": Sheet("接访场次", _columns(
        ("日期", 12), ("开始", 8), ("结束", 8), ("接访领导", 10), ("职务", 16), ("值班领导", 10),
        ("接访地点", 22), ("接访方式", 10), ("状态", 14), ("号源数", 8), ("现场登记名额", 12),
        ("预约数", 8), ("签到", 6), ("爽约", 6), ("现场登记", 10)),
        export_queries.sessions, _session_values),
    "bookings": Sheet("预约与来访", _columns(
        ("预约码", 12), ("接访日期", 12), ("接访领导", 10), ("号", 5), ("渠道", 10), ("姓名", 10),
        ("身份证号", 21), ("手机号码", 14), ("反映事项类别", 14), ("事项简述", 40), ("来访人数", 9),
        ("相关事项编号", 16), ("状态", 8), ("原因", 24), ("提交时间", 17)),
        export_queries.bookings, _booking_values),
    "records": Sheet("接谈记录", _columns(
        ("接访日期", 12), ("接访领导", 10), ("值班领导", 10), ("预约码", 12), ("姓名", 10),
        ("身份证号", 21), ("来访诉求", 40), ("领导批示", 30), ("处理结果", 24), ("答复/说明", 30),
        ("记录时间", 17)),
        export_queries.records, _record_values),
    "handovers": Sheet("交办事项", _columns(
        ("交办日期", 12), ("预约码", 12), ("姓名", 10), ("接访领导", 10), ("责任单位", 18),
        ("单位类型", 10), ("交办事项", 40), ("首次期限", 12), ("延期天数", 9), ("延期理由", 24),
        ("现行期限", 12), ("状态", 8), ("办结日期", 12), ("答复意见", 40), ("超期天数", 9),
        ("进展记录数", 11), ("催办次数", 9)),
        export_queries.handovers, _handover_values),
}
KINDS = {kind: sheet.label for kind, sheet in SHEETS.items()}


# --- the workbook --------------------------------------------------------------------------------

def build(kind: str, start: date, end: date, shown: Shown) -> tuple[bytes, int]:
    """The .xlsx file of ``kind`` for the days ``start``..``end`` (both included), and its
    number of data rows."""
    sheet = SHEETS[kind]
    book = Workbook(write_only=True)
    book.properties.creator = "信访公开服务门户"
    book.properties.title = f"{sheet.label} {start.isoformat()} 至 {end.isoformat()}"
    ws = book.create_sheet(sheet.label)
    for index, (_header, width) in enumerate(sheet.columns, 1):
        ws.column_dimensions[get_column_letter(index)].width = width
    ws.freeze_panes = "A2"
    ws.append([text_cell(ws, header, bold=True) for header, _width in sheet.columns])
    count = 0
    for row in sheet.rows(start, end):
        ws.append([value_cell(ws, value) for value in sheet.values(row, shown)])
        count += 1
    ws.auto_filter.ref = f"A1:{get_column_letter(len(sheet.columns))}{count + 1}"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue(), count


# --- the act -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Export:
    kind: str
    start: date
    end: date
    data: bytes
    rows: int

    @property
    def filename(self) -> str:
        return f"{KINDS[self.kind]}_{self.start.isoformat()}_{self.end.isoformat()}.xlsx"

    @property
    def ascii_filename(self) -> str:
        return f"{self.kind}_{self.start.isoformat()}_{self.end.isoformat()}.xlsx"

    @property
    def content_disposition(self) -> str:
        """An ASCII name for old clients, the Chinese one (RFC 5987/6266) for the rest."""
        return (f'attachment; filename="{self.ascii_filename}"; '
                f"filename*=UTF-8''{quote(self.filename, safe='')}")


def range_problems(kind: str, start: date | None, end: date | None) -> dict[str, str]:
    reasons: dict[str, str] = {}
    if kind not in SHEETS:
        reasons["kind"] = "请选择导出内容"
    if start is None:
        reasons["start"] = "请填写开始日期"
    if end is None:
        reasons["end"] = "请填写结束日期"
    if start is None or end is None:
        return reasons
    if end < start:
        reasons["end"] = "结束日期不能早于开始日期"
    elif (end - start).days + 1 > MAX_DAYS:
        reasons["end"] = f"一次最多导出 {MAX_DAYS} 天，请缩小日期范围"
    return reasons


def export(kind: str, start: date, end: date, revealed: bool, actor, now: datetime) -> Export:
    """Build the export and record who took it, what, for which days, whether the ID and
    phone numbers were revealed and how many rows it held (in the caller's transaction)."""
    reasons = range_problems(kind, start, end)
    if reasons:
        raise DomainError(reasons)
    data, rows = build(kind, start, end, Shown(revealed=bool(revealed), today=now.date()))
    events.emit("export.download", "export", None, actor=actor, kind=kind,
                start=start.isoformat(), end=end.isoformat(), revealed=bool(revealed), rows=rows)
    return Export(kind, start, end, data, rows)
