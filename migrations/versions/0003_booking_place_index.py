"""index booking (place_id, status) for free-place probes

Revision ID: 0003_booking_place_index
Revises: 0002_evaluation
"""
from alembic import op

revision = "0003_booking_place_index"
down_revision = "0002_evaluation"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("booking", schema=None) as batch_op:
        batch_op.create_index("ix_booking_place_status", ["place_id", "status"], unique=False)


def downgrade():
    with op.batch_alter_table("booking", schema=None) as batch_op:
        batch_op.drop_index("ix_booking_place_status")
