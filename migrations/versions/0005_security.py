"""security: canonical identifiers checked, login failures, confirmed calendar years

Revision ID: 0005_security
Revises: 0004_secret_tally

- booking and eval_matter refuse a non-canonical ID tail (ASCII digits, last may be 'X') and
  keyed hashes that are not 64 hex characters, so a second spelling of one ID number cannot
  be stored even by a path that forgot to normalise;
- login_failure: failed staff logins, from which locks (account + address) and back-off
  (account) are computed;
- calendar_year: a year an administrator confirmed as entered in full.
"""
import sqlalchemy as sa
from alembic import op

revision = "0005_security"
down_revision = "0004_secret_tally"
branch_labels = None
depends_on = None

DIGITS = ", ".join(f"'{d}'" for d in "0123456789")


def _id_tail(column: str) -> str:
    parts = [f"length({column}) = 4"]
    parts += [f"substr({column}, {i}, 1) IN ({DIGITS})" for i in (1, 2, 3)]
    parts.append(f"substr({column}, 4, 1) IN ({DIGITS}, 'X')")
    return " AND ".join(parts)


def _hashes(*columns: str) -> str:
    return " AND ".join(f"length({c}) = 64" for c in columns)


def upgrade():
    with op.batch_alter_table("booking", schema=None) as batch_op:
        batch_op.create_check_constraint(op.f("ck_booking_id_last4_canonical"),
                                         _id_tail("id_last4"))
        batch_op.create_check_constraint(op.f("ck_booking_keyed_hashes"),
                                         _hashes("id_hash", "phone_hash"))
    with op.batch_alter_table("eval_matter", schema=None) as batch_op:
        batch_op.create_check_constraint(op.f("ck_eval_matter_petitioner_id_last4_canonical"),
                                         _id_tail("petitioner_id_last4"))
        batch_op.create_check_constraint(op.f("ck_eval_matter_keyed_hashes"),
                                         _hashes("petitioner_id_hash"))

    op.create_table(
        "login_failure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=40), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_failure")),
    )
    with op.batch_alter_table("login_failure", schema=None) as batch_op:
        batch_op.create_index("ix_login_failure_username_at", ["username", "at"], unique=False)
        batch_op.create_index(batch_op.f("ix_login_failure_at"), ["at"], unique=False)

    op.create_table(
        "calendar_year",
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("confirmed_by", sa.String(length=80), nullable=False),
        sa.PrimaryKeyConstraint("year", name=op.f("pk_calendar_year")),
    )


def downgrade():
    op.drop_table("calendar_year")
    with op.batch_alter_table("login_failure", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_login_failure_at"))
        batch_op.drop_index("ix_login_failure_username_at")
    op.drop_table("login_failure")
    with op.batch_alter_table("eval_matter", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_eval_matter_keyed_hashes"), type_="check")
        batch_op.drop_constraint(op.f("ck_eval_matter_petitioner_id_last4_canonical"),
                                 type_="check")
    with op.batch_alter_table("booking", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_booking_keyed_hashes"), type_="check")
        batch_op.drop_constraint(op.f("ck_booking_id_last4_canonical"), type_="check")
