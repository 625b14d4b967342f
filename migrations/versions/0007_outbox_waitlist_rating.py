"""outbox, waiting list, ratings

Revision ID: 0007_outbox_waitlist_rating
Revises: 0006_casework

- outbox_message: messages to citizens, written with the change that causes them, delivered
  by `flask notify send` (pending -> sending -> sent | failed);
- booking: 候补 statuses (waitlisted, offered, lapsed); a waiting entry has no place yet
  (place_id nullable, required otherwise); an offer holds its place until offer_expires_at;
  the partial unique indexes count an offer as holding its place and a waiting entry as the
  person's one active booking (一人一号);
- handover_rating: the citizen's rating of a concluded case, once; its foreign key points at
  the hand-over's (id, 'concluded').
"""
import sqlalchemy as sa
from alembic import op

revision = "0007_outbox_waitlist_rating"
down_revision = "0006_casework"
branch_labels = None
depends_on = None

OLD_STATUSES = ("pending", "confirmed", "declined", "cancelled", "checked_in", "no_show", "expired")
NEW_STATUSES = OLD_STATUSES + ("waitlisted", "offered", "lapsed")
OLD_HOLDING = ("pending", "confirmed", "checked_in", "no_show", "expired")
NEW_HOLDING = OLD_HOLDING + ("offered",)
OLD_ACTIVE = ("pending", "confirmed")
NEW_ACTIVE = OLD_ACTIVE + ("waitlisted", "offered")


def _in(values) -> str:
    return "status IN (" + ", ".join(f"'{v}'" for v in values) + ")"


def _indexes(batch_op, holding, active) -> None:
    for name, columns, where in (
        ("uq_booking_place_taken", ["place_id"], holding),
        ("uq_booking_person_active", ["id_hash"], active),
        ("uq_booking_person_session", ["session_id", "id_hash"], holding),
    ):
        batch_op.create_index(name, columns, unique=True, sqlite_where=sa.text(_in(where)),
                              postgresql_where=sa.text(_in(where)))


def _drop_indexes(batch_op) -> None:
    for name in ("uq_booking_place_taken", "uq_booking_person_active", "uq_booking_person_session"):
        batch_op.drop_index(name)


def upgrade():
    op.create_table(
        "outbox_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("booking_id", sa.Integer(), nullable=True),
        sa.Column("phone_cipher", sa.Text(), nullable=False),
        sa.Column("body_cipher", sa.Text(), nullable=False),
        sa.Column("dedupe_key", sa.String(length=80), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("last_error", sa.String(length=200), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("(status = 'sending') = (claimed_at IS NOT NULL)",
                           name=op.f("ck_outbox_message_claimed")),
        sa.CheckConstraint("(status = 'sent') = (sent_at IS NOT NULL)",
                           name=op.f("ck_outbox_message_sent_at")),
        sa.CheckConstraint(
            "kind IN ('booking_received', 'booking_confirmed', 'booking_declined', "
            "'session_cancelled', 'reminder', 'waitlist_offered', 'handover_concluded')",
            name=op.f("ck_outbox_message_kind")),
        sa.CheckConstraint("status IN ('pending', 'sending', 'sent', 'failed')",
                           name=op.f("ck_outbox_message_status")),
        sa.CheckConstraint("attempts >= 0", name=op.f("ck_outbox_message_attempts")),
        sa.ForeignKeyConstraint(["booking_id"], ["booking.id"],
                                name=op.f("fk_outbox_message_booking_id_booking")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_message")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_outbox_message_dedupe_key")),
    )
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_outbox_message_booking_id"), ["booking_id"],
                              unique=False)
        batch_op.create_index("ix_outbox_message_status_next_attempt_at",
                              ["status", "next_attempt_at"], unique=False)

    with op.batch_alter_table("handover", schema=None) as batch_op:
        batch_op.create_unique_constraint(batch_op.f("uq_handover_id_status"), ["id", "status"])
    op.create_table(
        "handover_rating",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("handover_id", sa.Integer(), nullable=False),
        sa.Column("handover_status", sa.String(length=12), nullable=False),
        sa.Column("rating", sa.String(length=20), nullable=False),
        sa.Column("comment_cipher", sa.Text(), nullable=False),
        sa.Column("rated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("handover_status = 'concluded'",
                           name=op.f("ck_handover_rating_handover_concluded")),
        sa.CheckConstraint("rating IN ('satisfied', 'basically_satisfied', 'unsatisfied')",
                           name=op.f("ck_handover_rating_rating")),
        sa.ForeignKeyConstraint(["handover_id", "handover_status"],
                                ["handover.id", "handover.status"],
                                name="fk_handover_rating_handover_concluded"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_handover_rating")),
        sa.UniqueConstraint("handover_id", name=op.f("uq_handover_rating_handover_id")),
    )

    with op.batch_alter_table("booking", schema=None) as batch_op:
        _drop_indexes(batch_op)
        batch_op.drop_constraint(op.f("ck_booking_status"), type_="check")
    with op.batch_alter_table("booking", schema=None) as batch_op:
        batch_op.add_column(sa.Column("offer_expires_at", sa.DateTime(timezone=True),
                                      nullable=True))
        batch_op.alter_column("place_id", existing_type=sa.Integer(), nullable=True)
        batch_op.create_check_constraint(op.f("ck_booking_status"), _in(NEW_STATUSES))
        batch_op.create_check_constraint(
            op.f("ck_booking_place_unless_waiting"),
            "place_id IS NOT NULL OR " + _in(("waitlisted", "cancelled", "lapsed")))
        batch_op.create_check_constraint(op.f("ck_booking_offer_expires"),
                                         "status <> 'offered' OR offer_expires_at IS NOT NULL")
        _indexes(batch_op, NEW_HOLDING, NEW_ACTIVE)


def downgrade():
    op.execute("DELETE FROM outbox_message")
    op.execute("DELETE FROM booking WHERE status IN ('waitlisted', 'offered', 'lapsed')")
    with op.batch_alter_table("booking", schema=None) as batch_op:
        _drop_indexes(batch_op)
        batch_op.drop_constraint(op.f("ck_booking_offer_expires"), type_="check")
        batch_op.drop_constraint(op.f("ck_booking_place_unless_waiting"), type_="check")
        batch_op.drop_constraint(op.f("ck_booking_status"), type_="check")
    with op.batch_alter_table("booking", schema=None) as batch_op:
        batch_op.alter_column("place_id", existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column("offer_expires_at")
        batch_op.create_check_constraint(op.f("ck_booking_status"), _in(OLD_STATUSES))
        _indexes(batch_op, OLD_HOLDING, OLD_ACTIVE)
    op.drop_table("handover_rating")
    with op.batch_alter_table("handover", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_handover_id_status"), type_="unique")
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_message_status_next_attempt_at")
        batch_op.drop_index(batch_op.f("ix_outbox_message_booking_id"))
    op.drop_table("outbox_message")
