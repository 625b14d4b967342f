"""The dashboard's tables, made from the query results: each a title, its columns and its
rows (plain values), and which columns its chart draws. The page, the charts and the CSV and
Excel exports all read these, so they always agree.

Rates are derived here from the counts the database summed (None when the denominator is 0,
shown as "—").
"""
from __future__ import annotations

from dataclasses import dataclass, field

from portal.stats import statuses as st
from portal.stats.periods import Period

COUNT, RATE, TEXT = "count", "rate", "text"
CHANGE = "change"  # "+3", "-2.5 个百分点": made here from numbers, never user text


@dataclass(frozen=True)
class Column:
    label: str
    kind: str = COUNT


@dataclass(frozen=True)
class Table:
    key: str  # in export URLs
    title: str
    columns: tuple[Column, ...]
    rows: list[tuple]
    chart: tuple[int, ...] = ()  # the columns the chart draws (against column 0's labels)
    note: str = ""
    group: str = ""

    @property
    def chart_series(self) -> list[tuple[str, list[int]]]:
        return [(self.columns[i].label, [row[i] or 0 for row in self.rows]) for i in self.chart]


def rate(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


def format_value(value, kind: str) -> str:
    if kind in (TEXT, CHANGE):
        return "" if value is None else str(value)
    if kind == RATE:
        return "—" if value is None else f"{value * 100:.1f}%"
    return "—" if value is None else str(value)


# --- reception -----------------------------------------------------------------------------------

RECEPTION_COLUMNS = (Column("接访场次"), Column("提供号源"), Column("预约"),
                     Column("号源使用率", RATE), Column("取消预约"), Column("签到（预约）"),
                     Column("爽约"), Column("爽约率", RATE), Column("现场登记"),
                     Column("接待人数"))
BOOKING_COLUMNS = RECEPTION_COLUMNS[2:3] + RECEPTION_COLUMNS[4:]


def _reception_values(f: dict[str, int]) -> tuple:
    return (f["sessions"], f["places"], f["bookings"], rate(f["taken"], f["places"]),
            f["cancelled"], f["attended"], f["no_show"],
            rate(f["no_show"], f["attended"] + f["no_show"]), f["walk_ins"], f["people"])


def _booking_values(f: dict[str, int]) -> tuple:
    return (f["bookings"], f["cancelled"], f["attended"], f["no_show"],
            rate(f["no_show"], f["attended"] + f["no_show"]), f["walk_ins"], f["people"])


def _change(now, before, kind: str) -> str:
    if now is None or before is None:
        return "—"
    if kind == RATE:
        return f"{(now - before) * 100:+.1f} 个百分点"
    return f"{now - before:+d}"


def compared(key: str, title: str, columns, current: tuple, previous: tuple | None,
             note: str = "", group: str = "") -> Table:
    """A summary: one row per figure, this period beside the previous one."""
    rows = []
    for i, column in enumerate(columns):
        before = previous[i] if previous is not None else None
        rows.append((column.label, current[i], before, _change(current[i], before, column.kind)))
    cols = (Column("指标", TEXT), Column("本期"), Column("上期"), Column("变化", CHANGE))
    counted = tuple(i for i, c in enumerate(columns) if c.kind == COUNT)
    # Rates sit in the value columns of a summary: each row keeps its kind for display, and
    # the chart draws the count rows only.
    return Summary(key, title, cols, rows, (1, 2), note, group,
                   tuple(c.kind for c in columns), counted)


@dataclass(frozen=True)
class Summary(Table):
    """A compared table: ``kinds`` says how each row's values read (count or rate)."""

    kinds: tuple[str, ...] = field(default=())
    counted: tuple[int, ...] = field(default=())

    @property
    def chart_series(self) -> list[tuple[str, list[int]]]:
        rows = [self.rows[i] for i in self.counted]  # None (no such figure then): drawn "—"
        return [(self.columns[c].label, [row[c] for row in rows]) for c in self.chart]

    @property
    def chart_labels(self) -> list[str]:
        return [self.rows[i][0] for i in self.counted]


def labels(table: Table) -> list[str]:
    return table.chart_labels if isinstance(table, Summary) else [str(r[0]) for r in table.rows]


def row_kinds(table: Table, row_index: int) -> list[str]:
    """How each cell of a row reads."""
    if isinstance(table, Summary):
        kind = table.kinds[row_index]
        return [TEXT, kind, kind, CHANGE]
    return [c.kind for c in table.columns]


def reception_tables(summary, by_leader, by_week, weeks, by_category) -> list[Table]:
    group = "接访预约"
    week_rows = []
    for week in weeks:
        figures = by_week.get(week.index)
        if figures:
            week_rows.append((week.label, *_reception_values(figures)))
    return [
        compared("reception", "接访预约概况", RECEPTION_COLUMNS,
                 _reception_values(summary["current"]), _reception_values(summary["previous"]),
                 "只计已举行的场次（已发布、未取消、日期不晚于今天）。", group),
        Table("reception_leaders", "按接访领导", (Column("接访领导", TEXT), *RECEPTION_COLUMNS),
              [(name, *_reception_values(f)) for name, f in by_leader], (3, 10), group=group),
        Table("reception_weeks", "按周（周一至周日）", (Column("周", TEXT), *RECEPTION_COLUMNS),
              week_rows, (3, 10), note="没有举行接访的周不列出。", group=group),
        Table("reception_categories", "按反映事项类别", (Column("反映事项类别", TEXT), *BOOKING_COLUMNS),
              [(name, *_booking_values(f)) for name, f in by_category], (1, 7), group=group),
    ]


# --- hand-overs and ratings ----------------------------------------------------------------------

HANDOVER_COLUMNS = (Column("交办"), Column("办结"), Column("按期办结"), Column("按期办结率", RATE))


def _handover_values(f: dict[str, int]) -> tuple:
    return (f["opened"], f["concluded"], f["on_time"], rate(f["on_time"], f["concluded"]))


def handover_tables(summary, by_unit) -> list[Table]:
    group = "交办督办"
    current = (*_handover_values(summary["current"]), summary["current"]["overdue"])
    previous = (*_handover_values(summary["previous"]), None)
    columns = (*HANDOVER_COLUMNS, Column("当前超期未办结"))
    return [
        compared("handovers", "交办督办概况", columns, current, previous,
                 "按期：办结日期不晚于现行期限（含延期）。当前超期：今天仍在办理且已过期限，与统计期间无关。",
                 group),
        Table("handover_units", "按责任单位", (Column("责任单位", TEXT), *columns),
              [(name, *_handover_values(f), f["overdue"]) for name, f in by_unit], (1, 3),
              group=group),
    ]


RATING_COLUMNS = (*(Column(st.RATING_LABELS[c]) for c in st.RATING_CHOICES), Column("合计"),
                  Column("满意率", RATE), Column("满意及基本满意率", RATE))


def _rating_values(f: dict[str, int]) -> tuple:
    satisfied, basically, _unsatisfied = (f[c] for c in st.RATING_CHOICES)
    return (*(f[c] for c in st.RATING_CHOICES), f["rated"], rate(satisfied, f["rated"]),
            rate(satisfied + basically, f["rated"]))


def rating_tables(summary, by_unit, by_leader) -> list[Table]:
    group = "群众评价"
    return [
        compared("ratings", "群众对办理结果的评价", RATING_COLUMNS,
                 _rating_values(summary["current"]), _rating_values(summary["previous"]),
                 "按评价提交日期统计。", group),
        Table("rating_units", "按责任单位", (Column("责任单位", TEXT), *RATING_COLUMNS),
              [(name, *_rating_values(f)) for name, f in by_unit], (1, 2, 3), group=group),
        Table("rating_leaders", "按接访领导", (Column("接访领导", TEXT), *RATING_COLUMNS),
              [(name, *_rating_values(f)) for name, f in by_leader], (1, 2, 3), group=group),
    ]


# --- evaluation ----------------------------------------------------------------------------------

EVALUATION_COLUMNS = (Column("评价申请"), Column("受理"), Column("评价会（已表决）"), Column("满意"),
                      Column("不满意"), Column("满意率", RATE), Column("跟踪督办办结"),
                      Column("公布结果的事项"), Column("观察期已满"), Column("息诉息访"),
                      Column("息诉息访率", RATE))


def _evaluation_values(f: dict[str, int]) -> tuple:
    return (f["applications"], f["accepted"], f["held"], f["satisfied"], f["unsatisfied"],
            rate(f["satisfied"], f["held"]), f["followups_done"], f["evaluated"], f["observed"],
            f["settled"], rate(f["settled"], f["observed"]))


def evaluation_tables(summary, window: int) -> list[Table]:
    note = (f"息诉息访：评价结果公布后 {window} 天内（自公布次日起），信访人没有再预约接访、"
            "也没有新登记的信访事项；只计观察期已满的事项。")
    return [compared("evaluation", "第三方评价", EVALUATION_COLUMNS,
                     _evaluation_values(summary["current"]),
                     _evaluation_values(summary["previous"]), note, "第三方评价")]


def period_caption(period: Period) -> str:
    previous = period.previous()
    return f"本期：{period.label()}；上期：{previous.label()}（同样 {period.days} 天）"
