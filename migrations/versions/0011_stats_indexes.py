"""statistics: indexes for the dashboard's aggregates at a million bookings

Revision ID: 0011_stats_indexes
Revises: 0010_growth_indexes

See portal/stats/indexes.py for what each serves.
"""
from alembic import op

revision = "0011_stats_indexes"
down_revision = "0010_growth_indexes"
branch_labels = None
depends_on = None

INDEXES = (
    ("ix_booking_stats", "booking", ["session_id", "status", "category", "place_id", "party_size"]),
    ("ix_reception_place_session_id_walk_in", "reception_place", ["session_id", "walk_in"]),
    ("ix_booking_id_hash_created_at", "booking", ["id_hash", "created_at"]),
    ("ix_eval_matter_petitioner_id_hash_created_at", "eval_matter",
     ["petitioner_id_hash", "created_at"]),
    ("ix_eval_matter_result_published_on", "eval_matter", ["result_published_on"]),
)


def upgrade():
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns)


def downgrade():
    for name, table, _columns in reversed(INDEXES):
        op.drop_index(name, table_name=table)
