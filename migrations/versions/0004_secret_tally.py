"""secret ballot without ballot rows: a sealed running tally per electronic poll

Any per-vote ballot row is written in the voter's transaction, so the database keeps its
insertion order (PostgreSQL xmin/ctid, plain SELECT and pg_dump order, SQLite page layout)
and pairs it with the voter's participation row. eval_ballot goes; each electronic poll gets
one eval_tally row whose encrypted counts every vote increments.

Data: an electronic poll open at upgrade time gets its tally built from its ballots (sealed
with the app's DATA_KEY, so run this through `flask db upgrade`); closed polls already carry
their counts on eval_poll. On SQLite the old ballots are dropped with secure_delete on, so
their bytes do not stay behind on free pages. Copies made before the upgrade (backups, WAL
archives) still hold linkable ballots.

Revision ID: 0004_secret_tally
Revises: 0003_booking_place_index
"""
import random
import re
import uuid

import sqlalchemy as sa
from alembic import op

revision = "0004_secret_tally"
down_revision = "0003_booking_place_index"
branch_labels = None
depends_on = None

CHOICES = ("satisfied", "unsatisfied", "abstain")
# Frozen copy of the v1 sealed format of portal/evaluation/voting.py (_SEALED, _UNSEALED).
SEALED = "tally:v1:{poll:010d}:{satisfied:03d}:{unsatisfied:03d}:{abstain:03d}"
UNSEALED = re.compile(r"tally:v1:(\d{10}):(\d{3}):(\d{3}):(\d{3})")


def _open_electronic_polls(conn) -> list[int]:
    return list(conn.execute(sa.text(
        "SELECT id FROM eval_poll WHERE status = 'open' AND mode = 'electronic' ORDER BY id"
    )).scalars())


def upgrade():
    op.create_table(
        "eval_tally",
        sa.Column("poll_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("sealed", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["poll_id"], ["eval_poll.id"],
                                name=op.f("fk_eval_tally_poll_id_eval_poll")),
        sa.PrimaryKeyConstraint("poll_id", name=op.f("pk_eval_tally")),
    )
    conn = op.get_bind()
    polls = _open_electronic_polls(conn)
    if polls:
        from portal import privacy  # needs the app (DATA_KEY): only when there is data

        for poll_id in polls:
            counts = dict.fromkeys(CHOICES, 0)
            counts.update(conn.execute(sa.text(
                "SELECT choice, count(*) FROM eval_ballot WHERE poll_id = :p GROUP BY choice"),
                {"p": poll_id}).all())
            conn.execute(sa.text("INSERT INTO eval_tally (poll_id, sealed) VALUES (:p, :s)"),
                         {"p": poll_id, "s": privacy.encrypt(SEALED.format(poll=poll_id, **counts))})
    _drop_ballot_triggers()
    if conn.dialect.name == "sqlite":
        op.execute("PRAGMA secure_delete = ON")  # zero the dropped ballots' pages
    with op.batch_alter_table("eval_ballot", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_eval_ballot_poll_id"))
    op.drop_table("eval_ballot")
    _create_tally_triggers()


def downgrade():
    _drop_tally_triggers()
    op.create_table(
        "eval_ballot",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("poll_id", sa.Integer(), nullable=False),
        sa.Column("choice", sa.String(length=12), nullable=False),
        sa.CheckConstraint("choice IN ('satisfied', 'unsatisfied', 'abstain')",
                           name=op.f("ck_eval_ballot_choice")),
        sa.ForeignKeyConstraint(["poll_id"], ["eval_poll.id"],
                                name=op.f("fk_eval_ballot_poll_id_eval_poll")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_eval_ballot")),
        sqlite_with_rowid=False,
    )
    with op.batch_alter_table("eval_ballot", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_eval_ballot_poll_id"), ["poll_id"], unique=False)
    conn = op.get_bind()
    polls = _open_electronic_polls(conn)
    if polls:
        from portal import privacy

        for poll_id in polls:
            sealed = conn.execute(sa.text("SELECT sealed FROM eval_tally WHERE poll_id = :p"),
                                  {"p": poll_id}).scalar()
            match = UNSEALED.fullmatch(privacy.decrypt(sealed) or "")
            if match is None or int(match[1]) != poll_id:
                raise RuntimeError(f"the tally of open poll {poll_id} cannot be read (DATA_KEY?)")
            ballots = [c for c, n in zip(CHOICES, match.groups()[1:], strict=True)
                       for _ in range(int(n))]
            random.SystemRandom().shuffle(ballots)
            for choice in ballots:
                conn.execute(sa.text("INSERT INTO eval_ballot (id, poll_id, choice) "
                                     "VALUES (:i, :p, :c)"),
                             {"i": uuid.uuid4().hex, "p": poll_id, "c": choice})
    _create_ballot_triggers()
    op.drop_table("eval_tally")


# --- triggers ---------------------------------------------------------------------------------
# The tally changes only while its poll is open: the vote's increments, and the clearing at
# close, which voting.close_poll writes before it flips the poll's status. Never deleted; a
# cleared tally stays cleared; a tally is inserted only for an open electronic poll.

def _create_tally_triggers():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("""CREATE FUNCTION eval_tally_guard() RETURNS trigger AS $$
            BEGIN
              IF TG_OP = 'DELETE' THEN RAISE EXCEPTION 'eval_tally rows cannot be deleted'; END IF;
              IF TG_OP = 'UPDATE' AND (NEW.poll_id <> OLD.poll_id OR OLD.sealed IS NULL) THEN
                RAISE EXCEPTION 'the tally of a closed poll cannot change';
              END IF;
              IF NOT EXISTS (SELECT 1 FROM eval_poll WHERE id = NEW.poll_id AND status = 'open'
                             AND mode = 'electronic') THEN
                RAISE EXCEPTION 'the tally of a closed poll cannot change';
              END IF;
              RETURN NEW;
            END; $$ LANGUAGE plpgsql""")
        op.execute("""CREATE TRIGGER eval_tally_guard BEFORE INSERT OR UPDATE OR DELETE
            ON eval_tally FOR EACH ROW EXECUTE FUNCTION eval_tally_guard()""")
        return
    open_poll = """NOT EXISTS (SELECT 1 FROM eval_poll WHERE id = NEW.poll_id
                                   AND status = 'open' AND mode = 'electronic')"""
    op.execute(f"""CREATE TRIGGER eval_tally_open_poll_only BEFORE INSERT ON eval_tally
        WHEN {open_poll}
        BEGIN SELECT RAISE(ABORT, 'the tally of a closed poll cannot change'); END""")
    op.execute(f"""CREATE TRIGGER eval_tally_closed_no_update BEFORE UPDATE ON eval_tally
        WHEN NEW.poll_id IS NOT OLD.poll_id OR OLD.sealed IS NULL OR {open_poll}
        BEGIN SELECT RAISE(ABORT, 'the tally of a closed poll cannot change'); END""")
    op.execute("""CREATE TRIGGER eval_tally_no_delete BEFORE DELETE ON eval_tally
        BEGIN SELECT RAISE(ABORT, 'eval_tally rows cannot be deleted'); END""")


def _drop_tally_triggers():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS eval_tally_guard ON eval_tally")
        op.execute("DROP FUNCTION IF EXISTS eval_tally_guard()")
        return
    for name in ("eval_tally_open_poll_only", "eval_tally_closed_no_update",
                 "eval_tally_no_delete"):
        op.execute(f"DROP TRIGGER IF EXISTS {name}")


# The ballot's append-only triggers as 0002 made them (eval_append_only() stays: the
# participation and open-vote triggers use it).

def _create_ballot_triggers():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("""CREATE TRIGGER eval_ballot_append_only BEFORE UPDATE OR DELETE ON eval_ballot
            FOR EACH ROW EXECUTE FUNCTION eval_append_only()""")
        return
    for event in ("UPDATE", "DELETE"):
        op.execute(f"""CREATE TRIGGER eval_ballot_no_{event.lower()} BEFORE {event} ON eval_ballot
            BEGIN SELECT RAISE(ABORT, 'eval_ballot is append-only'); END""")


def _drop_ballot_triggers():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS eval_ballot_append_only ON eval_ballot")
        return
    for event in ("update", "delete"):
        op.execute(f"DROP TRIGGER IF EXISTS eval_ballot_no_{event}")
