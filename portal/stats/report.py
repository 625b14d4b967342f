"""What the dashboard shows for a period: every table, in the order of the page. A fixed
number of statements (one per table), whatever the data volume."""
from __future__ import annotations

from collections.abc import Callable
from datetime import date

from portal import settings
from portal.stats import evaluation_queries, queries, rules, tables
from portal.stats.charts import Chart, bar_chart
from portal.stats.periods import Period
from portal.stats.tables import Table


def settled_window() -> int:
    return int(settings.get(rules.SETTLED_WINDOW_DAYS.key))


def _reception(period: Period, today: date) -> list[Table]:
    return tables.reception_tables(
        queries.reception_summary(period, today), queries.reception_by_leader(period, today),
        queries.reception_by_week(period, today), period.weeks(),
        queries.bookings_by_category(period, today))


def _handovers(period: Period, today: date) -> list[Table]:
    return tables.handover_tables(queries.handover_summary(period, today),
                                  queries.handovers_by_unit(period, today))


def _ratings(period: Period, _today: date) -> list[Table]:
    return tables.rating_tables(queries.rating_summary(period), queries.ratings_by_unit(period),
                                queries.ratings_by_leader(period))


def _evaluation(period: Period, today: date) -> list[Table]:
    window = settled_window()
    return tables.evaluation_tables(
        evaluation_queries.evaluation_summary(period, today, window), window)


# Each group's tables, and the table keys it makes (an export builds only its group).
GROUPS: dict[str, tuple[Callable[[Period, date], list[Table]], tuple[str, ...]]] = {
    "接访预约": (_reception, ("reception", "reception_leaders", "reception_weeks",
                          "reception_categories")),
    "交办督办": (_handovers, ("handovers", "handover_units")),
    "群众评价": (_ratings, ("ratings", "rating_units", "rating_leaders")),
    "第三方评价": (_evaluation, ("evaluation",)),
}
TABLE_KEYS = tuple(key for _build, keys in GROUPS.values() for key in keys)


def all_tables(period: Period, today: date) -> list[Table]:
    queries.prepare()
    return [t for build, _keys in GROUPS.values() for t in build(period, today)]


def table(key: str, period: Period, today: date) -> Table:
    """One table (for an export): only its group's statements run."""
    build = next(build for build, keys in GROUPS.values() if key in keys)
    queries.prepare()
    return next(t for t in build(period, today) if t.key == key)


def chart_of(table: Table) -> Chart | None:
    if not table.chart:
        return None
    return bar_chart(f"chart-{table.key}", f"{table.group}：{table.title}", tables.labels(table),
                     table.chart_series)
