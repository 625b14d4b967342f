"""The public transparency page: monthly aggregates, never a person.

For each of the last twelve months (this one so far included): reception sessions held, people
received, hand-overs concluded and, of them, concluded on time, and evaluation hearings whose
result was published with their results.

Small cells: a count of people or cases from 1 to 4 is shown as "<5", so nobody can be singled
out (0 is shown as 0: it is nobody). Sessions held are the public schedule and are shown as
they are. A hidden cell must not be recoverable from the others: the page publishes no totals
(no year row, no rates), and the one sum it shows — hearings = 满意 + 不满意 — is itself hidden
("—") whenever either result is under 5; the hand-overs concluded late are not published, so
"concluded" and "on time" cannot be subtracted into an exact small number.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from portal.stats import evaluation_queries, queries
from portal.stats.periods import months

SMALL = 5
HIDDEN = "—"


def shown(count: int) -> str:
    """A count of people or cases as the public may see it."""
    if count == 0:
        return "0"
    return "<5" if count < SMALL else str(count)


def is_small(count: int) -> bool:
    return 0 < count < SMALL


@dataclass(frozen=True)
class MonthRow:
    label: str
    sessions: str
    people: str
    concluded: str
    on_time: str
    hearings: str
    satisfied: str
    unsatisfied: str


COLUMNS = ("月份", "接访场次", "接待群众（人次）", "交办事项办结", "其中按期办结", "第三方评价会",
           "评价满意", "评价不满意")


def first_month(today: date) -> date:
    year, month = today.year, today.month - 11
    if month < 1:
        year, month = year - 1, month + 12
    return date(year, month, 1)


def month_rows(today: date) -> list[MonthRow]:
    """Newest month first. Three statements, whatever the volume."""
    first = first_month(today)
    queries.prepare()
    reception = queries.reception_by_month(first, today, today)
    handovers = queries.handovers_by_month(first, today)
    evaluations = evaluation_queries.published_evaluations_by_month(first, today)
    rows = []
    for year, month in reversed(months(first, today)):
        key = year * 12 + month - 1
        r = reception.get(key, {})
        h = handovers.get(key, {})
        e = evaluations.get(key, {})
        satisfied, unsatisfied = e.get("satisfied", 0), e.get("unsatisfied", 0)
        hearings = (HIDDEN if is_small(satisfied) or is_small(unsatisfied)
                    else shown(e.get("held", 0)))
        label = f"{year}年{month}月" + ("（截至今天）" if (year, month) == (today.year, today.month)
                                       else "")
        rows.append(MonthRow(label, str(r.get("sessions", 0)), shown(r.get("people", 0)),
                             shown(h.get("concluded", 0)), shown(h.get("on_time", 0)), hearings,
                             shown(satisfied), shown(unsatisfied)))
    return rows
