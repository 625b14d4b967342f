"""Pages whose time must not grow with the number of bookings and results: their statements
are answered from an index range, never by walking or sorting a whole table (issue 11: the
benchmark at 1M bookings found the results list, the feed and the supervision list growing
5× before these plans).

SQLite's plans, on an empty migrated database: without statistics SQLite plans by the schema
alone, which is what a production file that never ran ANALYZE gets. The test makes its own
SQLite database in every CI stage (PostgreSQL's planner is measured by `make bench`).
"""
from __future__ import annotations

import re
from contextlib import contextmanager

import pytest
from flask_migrate import upgrade
from sqlalchemy import event, text

from portal import calendar, create_app
from portal.casework import queries as casework_queries
from portal.evaluation import queries as evaluation_queries
from portal.extensions import db
from tests.conftest import base_config

# Tables that grow with the bookings, records and evaluations.
GROWING = ("booking", "reception_place", "reception_record", "handover", "handover_note",
           "eval_hearing", "eval_poll", "eval_letter", "eval_matter")


@pytest.fixture
def sqlite_app(tmp_path):
    app = create_app(base_config(tmp_path, f"sqlite:///{tmp_path / 'plans.sqlite3'}"))
    with app.app_context():
        upgrade()
        yield app
        db.session.remove()
        db.engine.dispose()


@contextmanager
def captured(keyword: str):
    """The statements run inside the block whose text holds ``keyword``, with parameters."""
    seen: list[tuple[str, tuple]] = []

    def keep(conn, cursor, statement, parameters, context, executemany):
        if keyword in statement:
            seen.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", keep)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", keep)


def plan(statement: str, parameters) -> list[str]:
    raw = db.session.connection().exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)
    return [row[3] for row in raw]


def whole_table_walks(lines: list[str]) -> list[str]:
    """'SCAN t' without an index over a growing table (a covering index scan in order, cut by
    LIMIT, is 'SCAN t USING ... INDEX' and allowed where the caller says so)."""
    return [line for line in lines
            if (m := re.match(r"SCAN (\w+)(?: AS \w+)?$", line)) and m.group(1) in GROWING]


def test_the_results_list_walks_the_published_index_and_stops_at_the_page(sqlite_app):
    with captured("eval_letter") as seen:
        evaluation_queries.results(page=3)
    assert seen, "the results query did not run"
    lines = [line for statement, params in seen for line in plan(statement, params)]
    assert not whole_table_walks(lines), lines
    assert any("ix_eval_hearing_result_published_at_id" in line for line in lines), lines


@pytest.mark.parametrize("state", ["open", "concluded"])
def test_a_supervision_page_of_one_state_needs_no_sort(sqlite_app, state):
    today = calendar.now().date()
    with captured("LIMIT") as seen:
        casework_queries.supervision_page(None, state, False, today, 3, page=2)
    lines = [line for statement, params in seen for line in plan(statement, params)]
    assert lines and not whole_table_walks(lines), lines
    assert not any("TEMP B-TREE FOR ORDER BY" in line for line in lines), lines


@pytest.mark.parametrize("unit_id", [None, 1])
def test_the_supervision_counts_are_index_ranges(sqlite_app, unit_id):
    today = calendar.now().date()
    with captured("count(") as seen:
        casework_queries.supervision_counts(unit_id, today, 3)
    lines = [line for statement, params in seen for line in plan(statement, params)]
    handover_lines = [line for line in lines if "handover" in line]
    assert handover_lines and all(line.startswith("SEARCH") for line in handover_lines), lines


def test_the_growth_indexes_exist(sqlite_app):
    names = set(db.session.scalars(text("SELECT name FROM sqlite_master WHERE type = 'index'")))
    assert {"ix_eval_hearing_result_published_at_id", "ix_handover_status_concluded_on"} <= names
