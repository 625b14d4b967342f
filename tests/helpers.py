"""Helpers shared by test modules."""
import ast
import os
import re
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import event
from werkzeug.routing.converters import AnyConverter, IntegerConverter

from portal.extensions import db


@contextmanager
def count_statements():
    """Collect every SQL statement the engine runs inside the block."""
    statements = []

    def record(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


# --- the shape of the code (issue 7), checked by the structure tests ---------------------------

ROOT = Path(__file__).resolve().parents[1]


def offenders(paths, pattern: str) -> list[str]:
    """Every line of ``paths`` that matches ``pattern``, as 'path:line: text'."""
    found = re.compile(pattern)
    return [f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
            for path in paths
            for number, line in enumerate(path.read_text().splitlines(), 1)
            if found.search(line)]


def oversized(paths, max_lines: int = 400, max_function: int = 60) -> list[str]:
    """Files longer than ``max_lines`` and functions longer than ``max_function`` lines."""
    found = []
    for path in paths:
        text = path.read_text()
        if len(text.splitlines()) > max_lines:
            found.append(str(path.relative_to(ROOT)))
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                first = node.decorator_list[0].lineno if node.decorator_list else node.lineno
                if node.end_lineno - first + 1 > max_function:
                    found.append(f"{path.relative_to(ROOT)}:{node.name}")
    return found


def example_url(rule) -> str:
    """A URL of ``rule`` with harmless values for its variables."""
    values = {}
    for name, converter in rule._converters.items():
        if isinstance(converter, AnyConverter):
            values[name] = sorted(converter.items)[0]
        elif isinstance(converter, IntegerConverter):
            values[name] = 1
        else:
            values[name] = "2026-11-23" if name == "day" else "ABCD2345"
    return rule.build(values)[1]


# --- parts a machine may lack --------------------------------------------------------------------

def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def unavailable(reason: str) -> None:
    """Skip for want of a part this machine lacks — or fail under CI, which must run it all."""
    if in_ci():
        pytest.fail(f"{reason} (CI is set: this test must run, not skip)", pytrace=False)
    pytest.skip(reason)


@contextmanager
def flushed_redis():
    """TEST_REDIS_URL's database, emptied before and after (it is kept for the tests); skips
    without it here, fails under CI."""
    import redis

    url = os.environ.get("TEST_REDIS_URL")
    if not url:
        unavailable("needs a Redis server in TEST_REDIS_URL (.ci/run sets it)")
    server = redis.Redis.from_url(url)
    server.flushdb()
    try:
        yield url
    finally:
        server.flushdb()
        server.close()
