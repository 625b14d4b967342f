"""audit log: keyed seals and retention

Revision ID: 0008_audit_seal_prune
Revises: 0007_outbox_waitlist_rating

- audit_entry.mac: an HMAC of each entry's hash with a key derived from DATA_KEY (see
  portal/audit.py). Existing entries are sealed here, as they are: their stored hash is
  sealed, not recomputed, so an entry changed before this migration still fails verification.
  Runs through `flask db upgrade` (it needs the app's DATA_KEY).
- audit_prune_permit: written and removed inside `flask audit prune`'s transaction; the
  DELETE trigger lets entries up to its through_id go while it exists, and nothing else.
"""
import sqlalchemy as sa
from alembic import op

revision = "0008_audit_seal_prune"
down_revision = "0007_outbox_waitlist_rating"
branch_labels = None
depends_on = None

REFUSE = "audit_entry is append-only"
PERMITTED = "EXISTS (SELECT 1 FROM audit_prune_permit WHERE through_id >= OLD.id)"


def _postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def _seal_existing() -> None:
    from portal.audit import seal

    bind = op.get_bind()
    entries = bind.execute(sa.text("SELECT id, hash FROM audit_entry ORDER BY id")).all()
    for entry_id, entry_hash in entries:
        bind.execute(sa.text("UPDATE audit_entry SET mac = :mac WHERE id = :id"),
                     {"mac": seal(entry_hash), "id": entry_id})


def upgrade():
    op.create_table(
        "audit_prune_permit",
        sa.Column("through_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.PrimaryKeyConstraint("through_id", name=op.f("pk_audit_prune_permit")))
    # A plain ADD COLUMN (not a batch copy) keeps SQLite's triggers on the table.
    op.add_column("audit_entry", sa.Column("mac", sa.String(length=64), nullable=False,
                                           server_default=""))
    if _postgres():
        op.execute("ALTER TABLE audit_entry DISABLE TRIGGER audit_entry_no_change")
        _seal_existing()
        op.execute("ALTER TABLE audit_entry ENABLE TRIGGER audit_entry_no_change")
        op.execute(f"""CREATE OR REPLACE FUNCTION audit_entry_append_only() RETURNS trigger AS $$
            BEGIN
              IF TG_OP = 'DELETE' AND {PERMITTED} THEN RETURN OLD; END IF;
              RAISE EXCEPTION '{REFUSE}';
            END; $$ LANGUAGE plpgsql""")
    else:
        op.execute("DROP TRIGGER audit_entry_no_update")
        _seal_existing()
        op.execute(f"""CREATE TRIGGER audit_entry_no_update BEFORE UPDATE ON audit_entry
            BEGIN SELECT RAISE(ABORT, '{REFUSE}'); END""")
        op.execute("DROP TRIGGER audit_entry_no_delete")
        op.execute(f"""CREATE TRIGGER audit_entry_no_delete BEFORE DELETE ON audit_entry
            WHEN NOT {PERMITTED} BEGIN SELECT RAISE(ABORT, '{REFUSE}'); END""")


def downgrade():
    if _postgres():
        op.execute(f"""CREATE OR REPLACE FUNCTION audit_entry_append_only() RETURNS trigger AS $$
            BEGIN RAISE EXCEPTION '{REFUSE}'; END; $$ LANGUAGE plpgsql""")
        op.drop_column("audit_entry", "mac")
    else:
        # SQLite drops a column by copying the table, which loses its triggers: remake them.
        op.execute("DROP TRIGGER audit_entry_no_update")
        op.execute("DROP TRIGGER audit_entry_no_delete")
        with op.batch_alter_table("audit_entry") as batch_op:
            batch_op.drop_column("mac")
        for event in ("UPDATE", "DELETE"):
            op.execute(f"""CREATE TRIGGER audit_entry_no_{event.lower()} BEFORE {event}
                ON audit_entry BEGIN SELECT RAISE(ABORT, '{REFUSE}'); END""")
    op.drop_table("audit_prune_permit")
