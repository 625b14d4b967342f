"""reception tally: reception figures per session and category, kept by triggers

Revision ID: 0012_reception_tally
Revises: 0011_stats_indexes

See portal/stats/tally.py. Triggers on booking (its contribution to the sums) and on
reception_place (the session's bookable places). SQLite has row triggers only; PostgreSQL gets
statement triggers with transition tables, so a bulk UPDATE (a session's bookings cancelled at
once) or a COPY adds its sums once, grouped, in key order.
"""
import sqlalchemy as sa
from alembic import op

from portal.stats.tally import (
    MEASURES,
    add,
    booking_rows,
    contribution,
    place_contribution,
    place_rows,
    recount,
)

revision = "0012_reception_tally"
down_revision = "0011_stats_indexes"
branch_labels = None
depends_on = None

BOOKING_COLUMNS = "session_id, place_id, category, status, party_size"
PLACE_COLUMNS = "session_id, walk_in"
TRIGGERS = {"booking": ("booking_tally_insert", "booking_tally_update", "booking_tally_delete"),
            "reception_place": ("place_tally_insert", "place_tally_update", "place_tally_delete")}


def _booking(row: str, sign: str = "") -> str:  # SQLite: NEW or OLD, and its place
    return contribution(f"reception_place p WHERE p.id = {row}.place_id", row, sign)


def _place(row: str, sign: str = "") -> str:  # SQLite: NEW or OLD, if its session is there
    return place_contribution(f"reception_session s WHERE s.id = {row}.session_id", row, sign)


def _sqlite(table: str, columns: str, part) -> tuple[str, ...]:
    insert, update, delete = TRIGGERS[table]
    return (f"CREATE TRIGGER {insert} AFTER INSERT ON {table} BEGIN {add(part('NEW'))}; END",
            f"CREATE TRIGGER {update} AFTER UPDATE OF {columns} ON {table} BEGIN "
            f"{add(part('OLD', '-'), part('NEW'))}; END",
            f"CREATE TRIGGER {delete} AFTER DELETE ON {table} BEGIN "
            f"{add(part('OLD', '-'))}; END")


def _postgresql(table: str, function: str, part, rows) -> tuple[str, ...]:
    insert, update, delete = TRIGGERS[table]
    body = (f"IF TG_OP = 'INSERT' THEN {add(part(rows('new_rows')))}; "
            f"ELSIF TG_OP = 'UPDATE' THEN "
            f"{add(part(rows('old_rows'), sign='-'), part(rows('new_rows')))}; "
            f"ELSE {add(part(rows('old_rows'), sign='-'))}; END IF;")
    run = f"FOR EACH STATEMENT EXECUTE FUNCTION {function}()"
    return (f"CREATE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            f"{body} RETURN NULL; END $$",
            f"CREATE TRIGGER {insert} AFTER INSERT ON {table} "
            f"REFERENCING NEW TABLE AS new_rows {run}",
            f"CREATE TRIGGER {update} AFTER UPDATE ON {table} "
            f"REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows {run}",
            f"CREATE TRIGGER {delete} AFTER DELETE ON {table} "
            f"REFERENCING OLD TABLE AS old_rows {run}")


def upgrade():
    op.create_table(
        "reception_tally",
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=20), nullable=False),
        *[sa.Column(m, sa.Integer(), nullable=False) for m in MEASURES],
        sa.ForeignKeyConstraint(["session_id"], ["reception_session.id"], ondelete="CASCADE",
                                name=op.f("fk_reception_tally_session_id_reception_session")),
        sa.PrimaryKeyConstraint("session_id", "category", name=op.f("pk_reception_tally")),
    )
    if op.get_bind().dialect.name == "postgresql":
        statements = (*_postgresql("booking", "booking_tally", contribution, booking_rows),
                      *_postgresql("reception_place", "place_tally", place_contribution,
                                   place_rows))
    else:
        statements = (*_sqlite("booking", BOOKING_COLUMNS, _booking),
                      *_sqlite("reception_place", PLACE_COLUMNS, _place))
    for statement in statements:
        op.execute(statement)
    op.execute(recount())
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ANALYZE reception_tally")  # the planner's first look, before autovacuum's
    # The figures no longer count bookings: the index 0011 made for that only slows writes.
    op.drop_index("ix_booking_stats", table_name="booking")


def downgrade():
    op.create_index("ix_booking_stats", "booking",
                    ["session_id", "status", "category", "place_id", "party_size"])
    postgresql = op.get_bind().dialect.name == "postgresql"
    for table, names in TRIGGERS.items():
        for name in names:
            op.execute(f"DROP TRIGGER IF EXISTS {name}" + (f" ON {table}" if postgresql else ""))
    if postgresql:
        op.execute("DROP FUNCTION IF EXISTS booking_tally()")
        op.execute("DROP FUNCTION IF EXISTS place_tally()")
    op.drop_table("reception_tally")
