"""reception tally: booking figures per session and category, kept by triggers on booking

Revision ID: 0012_reception_tally
Revises: 0011_stats_indexes

See portal/stats/tally.py. SQLite has row triggers only; PostgreSQL gets statement triggers
with transition tables, so a bulk UPDATE (a session's bookings cancelled at once) or a COPY
adds its sums once, grouped, in key order.
"""
import sqlalchemy as sa
from alembic import op

from portal.stats.tally import MEASURES, add, contribution

revision = "0012_reception_tally"
down_revision = "0011_stats_indexes"
branch_labels = None
depends_on = None

COLUMNS = "session_id, place_id, category, status, party_size"


def _sqlite_place(row: str) -> str:
    return f"reception_place p WHERE p.id = {row}.place_id"


def _pg_rows(table: str) -> str:
    return f"{table} b JOIN reception_place p ON p.id = b.place_id"


SQLITE = (
    "CREATE TRIGGER booking_tally_insert AFTER INSERT ON booking BEGIN "
    f"{add(contribution(_sqlite_place('NEW'), 'NEW'))}; END",
    f"CREATE TRIGGER booking_tally_update AFTER UPDATE OF {COLUMNS} ON booking BEGIN "
    f"{add(contribution(_sqlite_place('OLD'), 'OLD', '-'), contribution(_sqlite_place('NEW'), 'NEW'))};"
    " END",
    "CREATE TRIGGER booking_tally_delete AFTER DELETE ON booking BEGIN "
    f"{add(contribution(_sqlite_place('OLD'), 'OLD', '-'))}; END",
)

POSTGRESQL = (
    "CREATE FUNCTION booking_tally() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    "IF TG_OP = 'INSERT' THEN "
    f"{add(contribution(_pg_rows('new_rows')))}; "
    "ELSIF TG_OP = 'UPDATE' THEN "
    f"{add(contribution(_pg_rows('old_rows'), sign='-'), contribution(_pg_rows('new_rows')))}; "
    "ELSE "
    f"{add(contribution(_pg_rows('old_rows'), sign='-'))}; "
    "END IF; RETURN NULL; END $$",
    "CREATE TRIGGER booking_tally_insert AFTER INSERT ON booking "
    "REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION booking_tally()",
    "CREATE TRIGGER booking_tally_update AFTER UPDATE ON booking "
    "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows "
    "FOR EACH STATEMENT EXECUTE FUNCTION booking_tally()",
    "CREATE TRIGGER booking_tally_delete AFTER DELETE ON booking "
    "REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION booking_tally()",
)


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
    dialect = op.get_bind().dialect.name
    for statement in POSTGRESQL if dialect == "postgresql" else SQLITE:
        op.execute(statement)
    op.execute(add(contribution("booking b JOIN reception_place p ON p.id = b.place_id")))
    # The figures no longer count bookings: the index 0011 made for that only slows writes.
    op.drop_index("ix_booking_stats", table_name="booking")


def downgrade():
    op.create_index("ix_booking_stats", "booking",
                    ["session_id", "status", "category", "place_id", "party_size"])
    for name in ("booking_tally_insert", "booking_tally_update", "booking_tally_delete"):
        op.execute(f"DROP TRIGGER IF EXISTS {name}" + (
            " ON booking" if op.get_bind().dialect.name == "postgresql" else ""))
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS booking_tally()")
    op.drop_table("reception_tally")
