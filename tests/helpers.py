"""Helpers shared by test modules."""
from contextlib import contextmanager

from sqlalchemy import event

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
