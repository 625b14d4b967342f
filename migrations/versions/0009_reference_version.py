"""reference version: one row moved by every change to settings and the working calendar

Revision ID: 0009_reference_version
Revises: 0008_audit_seal_prune

Each process keeps the rule settings, the calendar overrides and the confirmed years, and
reads this number once per request to know whether they changed (portal/reference.py).
"""
import sqlalchemy as sa
from alembic import op

revision = "0009_reference_version"
down_revision = "0008_audit_seal_prune"
branch_labels = None
depends_on = None


def upgrade():
    table = op.create_table(
        "reference_version",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reference_version")),
    )
    op.bulk_insert(table, [{"id": 1, "version": 0}])


def downgrade():
    op.drop_table("reference_version")
