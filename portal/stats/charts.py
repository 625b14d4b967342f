"""Server-side bar charts as plain data for the SVG macro (``templates/stats/_chart.svg``).

Horizontal grouped bars: one group per row label, one bar per series. Nothing depends on
colour alone: each series has its own fill pattern (solid, hatched, dotted, cross-hatched),
named in the legend, and every bar carries its value written beside it. The chart has a
``<title>`` and a ``<desc>`` (role="img", aria-labelledby), and the table beside it holds the
same numbers.
"""
from __future__ import annotations

from dataclasses import dataclass

LABEL_WIDTH = 170
PLOT_WIDTH = 400
VALUE_ROOM = 70
BAR = 14
BAR_GAP = 2
GROUP_GAP = 10
LEGEND_HEIGHT = 28
PATTERNS = ("solid", "hatch", "dots", "cross")


@dataclass(frozen=True)
class Bar:
    x: int
    y: int
    width: float
    height: int
    pattern: str
    value: str
    text_x: float
    series: str


@dataclass(frozen=True)
class Group:
    label: str  # shortened to fit beside the bars
    label_y: float
    bars: list[Bar]
    full_label: str  # in each bar's <title>


@dataclass(frozen=True)
class LegendItem:
    name: str
    pattern: str
    x: int


@dataclass(frozen=True)
class Chart:
    id: str
    title: str
    description: str
    width: int
    height: int
    groups: list[Group]
    legend: list[LegendItem]
    patterns: tuple[str, ...]

    @property
    def label_x(self) -> int:
        return LABEL_WIDTH - 6

    def pattern_id(self, pattern: str) -> str:
        return f"{self.id}-{pattern}"


def _short(label: str, limit: int = 12) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def bar_chart(chart_id: str, title: str, labels: list[str],
              series: list[tuple[str, list[int | None]]]) -> Chart:
    """The geometry of a grouped horizontal bar chart of whole numbers (None: no bar, "—")."""
    top = max([0, *[v for _name, values in series for v in values if v is not None]])
    scale = PLOT_WIDTH / top if top else 0.0
    per_group = len(series) * (BAR + BAR_GAP) - BAR_GAP
    groups, y = [], LEGEND_HEIGHT
    for row, label in enumerate(labels):
        bars = []
        for index, (name, values) in enumerate(series):
            value = values[row]
            width = round((value or 0) * scale, 1)
            bar_y = y + index * (BAR + BAR_GAP)
            bars.append(Bar(LABEL_WIDTH, bar_y, width, BAR, PATTERNS[index % len(PATTERNS)],
                            "—" if value is None else str(value), LABEL_WIDTH + width + 4, name))
        groups.append(Group(_short(label), y + per_group / 2, bars, label))
        y += per_group + GROUP_GAP
    legend = [LegendItem(name, PATTERNS[i % len(PATTERNS)], LABEL_WIDTH + i * 130)
              for i, (name, _values) in enumerate(series)]
    names = "、".join(name for name, _values in series)
    description = (f"{title}：横条图，{len(labels)} 项，每项显示{names}，数值写在每个横条右侧；"
                   "同样的数字见旁边的表格。") if labels else f"{title}：本期没有数据。"
    return Chart(chart_id, title, description, LABEL_WIDTH + PLOT_WIDTH + VALUE_ROOM,
                 max(y, LEGEND_HEIGHT + 20), groups, legend,
                 tuple(PATTERNS[: max(1, min(len(series), len(PATTERNS)))]))
