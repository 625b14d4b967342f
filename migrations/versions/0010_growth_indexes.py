"""growth indexes: published results newest first, cases concluded since a day

Revision ID: 0010_growth_indexes
Revises: 0009_reference_version

Found by the benchmark at 1M bookings (issue 11): the results list, the feed and the home page
sorted every published hearing to show the newest; the supervision list's counts scanned every
hand-over.
"""
from alembic import op

revision = "0010_growth_indexes"
down_revision = "0009_reference_version"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_eval_hearing_result_published_at_id", "eval_hearing",
                    ["result_published_at", "id"])
    op.create_index("ix_handover_status_concluded_on", "handover", ["status", "concluded_on"])


def downgrade():
    op.drop_index("ix_handover_status_concluded_on", table_name="handover")
    op.drop_index("ix_eval_hearing_result_published_at_id", table_name="eval_hearing")
