"""statistics: when the petitioner of an evaluated matter came back (息诉息访), kept by triggers

Revision ID: 0013_matter_returns
Revises: 0012_reception_tally

``eval_matter.petitioner_returned_at``: the first moment at or after 00:00 (China) of the day
after the result was published at which the petitioner (same keyed ID hash) made a booking or
had another matter registered; NULL while no result is published or nobody came back (yet).
The moment, not a yes/no, because the window is a setting: settled = returned_at IS NULL OR
returned_at >= 00:00 of the day after the window (portal/stats/evaluation_queries.py).

Database triggers keep it, so every writer (the services, the bulk seeders' executemany and
COPY, an operator's SQL) keeps it right without knowing:

- a booking or matter inserted: the published matters of that petitioner whose moment is
  later (or NULL) and whose since-moment it is not before take its created_at (bulk inserts
  may come in any order); a published matter inserted computes its own moment;
- a matter's publication date, hash or created_at changed, a booking's hash or created_at
  changed, a booking or matter deleted: the published matters of the petitioner(s)
  concerned are recomputed (the portal does none of these but publishing and, before
  publication, correcting the ID number; the rest is for completeness).

PostgreSQL: the insert triggers are per statement with transition tables (a COPY of a million
bookings is one set-based UPDATE, not a million); under READ COMMITTED two transactions that
each cannot see the other's new rows (a booking and a publication, or a booking and a new
matter, of one petitioner) would each miss the pair, so every trigger first takes a
transaction advisory lock on the petitioner's hash (256 buckets, taken in order: a bulk
statement holds at most 256 locks) and only then reads, in a fresh statement snapshot.
SQLite has one writer at a time.

Moments compare as stored: SQLite keeps them as 'YYYY-MM-DD HH:MM:SS.ffffff' text in UTC and
``datetime(day, '+1 days', '-8 hours')`` gives 'YYYY-MM-DD HH:MM:SS', which compares as text
the same way (portal/stats/sql.py, china_midnight); PostgreSQL compares timestamptz.

The same migration adds a covering index for the follow-ups done of the evaluation summary
(portal/stats/indexes.py).

WARNING: on SQLite an Alembic batch operation (op.batch_alter_table) on ``booking`` or
``eval_matter`` recreates the table and silently drops these triggers: a later migration that
needs one must create them again (tests/stats/test_returns.py checks they exist after upgrade).
"""
import sqlalchemy as sa
from alembic import op

revision = "0013_matter_returns"
down_revision = "0012_reception_tally"
branch_labels = None
depends_on = None

TRIGGERS = (  # (name, table): the same names on both databases
    ("eval_matter_returns_booking_insert", "booking"),
    ("eval_matter_returns_booking_update", "booking"),
    ("eval_matter_returns_booking_delete", "booking"),
    ("eval_matter_returns_matter_insert", "eval_matter"),
    ("eval_matter_returns_matter_update", "eval_matter"),
    ("eval_matter_returns_matter_delete", "eval_matter"),
)
PG_FUNCTIONS = ("eval_matter_returns_booking_insert()", "eval_matter_returns_matter_insert()",
                "eval_matter_returns_booking_change()", "eval_matter_returns_matter_change()",
                "eval_matter_returns_recompute(text[], timestamptz)",
                "eval_matter_returns_lock(text[])",
                "eval_matter_first_return(text, integer, date)")
OLD_INDEX = ("ix_eval_matter_result_published_on", ["result_published_on"])
# The evaluation summary reads these alone (no row touched): the 息诉息访 counts (this one
# replaces OLD_INDEX) and the follow-ups done. (Not eval_poll (hearing_id, status, result):
# it would halve the hearings' count on SQLite, but would write poll results outside the
# poll's own pages, which tests/evaluation/test_ballot_unlinkability.py forbids.)
NEW_INDEXES = (
    ("ix_eval_matter_result_published_on_petitioner_returned_at", "eval_matter",
     ["result_published_on", "petitioner_returned_at"]),
    ("ix_eval_followup_status_done_at", "eval_followup", ["status", "done_at"]),
)


def upgrade():
    op.add_column("eval_matter", sa.Column("petitioner_returned_at", sa.DateTime(timezone=True)))
    if _pg():
        _create_pg()
        op.execute("""UPDATE eval_matter SET petitioner_returned_at = eval_matter_first_return(
            petitioner_id_hash, id, result_published_on) WHERE result_published_on IS NOT NULL""")
    else:
        _create_sqlite()
        op.execute(_sqlite_recompute("result_published_on IS NOT NULL"))
    for name, table, columns in NEW_INDEXES:
        op.create_index(name, table, columns)
    op.drop_index(OLD_INDEX[0], table_name="eval_matter")
    if _pg():
        # The backfill rewrote every published matter: until (auto)vacuum sets the visibility
        # map again, the planner reads the table instead of the new index (measured at 100,000
        # matters: 75 ms instead of 12). VACUUM cannot run inside the migration's transaction.
        with op.get_context().autocommit_block():
            op.execute("VACUUM (ANALYZE) eval_matter")


def downgrade():
    op.create_index(OLD_INDEX[0], "eval_matter", OLD_INDEX[1])
    for name, table, _columns in reversed(NEW_INDEXES):
        op.drop_index(name, table_name=table)
    for name, table in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}" + (f" ON {table}" if _pg() else ""))
    if _pg():
        for function in PG_FUNCTIONS:
            op.execute(f"DROP FUNCTION IF EXISTS {function}")
    # Plain ALTER (SQLite >= 3.35), not batch mode: that would drop the tables' other triggers.
    op.execute("ALTER TABLE eval_matter DROP COLUMN petitioner_returned_at")


def _pg() -> bool:
    return op.get_bind().dialect.name == "postgresql"


# --- SQLite ----------------------------------------------------------------------------------

def _sqlite_since(day: str) -> str:
    return f"datetime({day}, '+1 days', '-8 hours')"


# The first return of the eval_matter row being updated: two index probes, (id_hash,
# created_at) on booking and (petitioner_id_hash, created_at) on eval_matter.
_SQLITE_FIRST = f"""CASE WHEN eval_matter.result_published_on IS NULL THEN NULL ELSE (
    SELECT min(moment) FROM (
      SELECT min(b.created_at) AS moment FROM booking AS b
       WHERE b.id_hash = eval_matter.petitioner_id_hash
         AND b.created_at >= {_sqlite_since("eval_matter.result_published_on")}
      UNION ALL
      SELECT min(o.created_at) FROM eval_matter AS o
       WHERE o.petitioner_id_hash = eval_matter.petitioner_id_hash AND o.id <> eval_matter.id
         AND o.created_at >= {_sqlite_since("eval_matter.result_published_on")})) END"""


def _sqlite_recompute(where: str) -> str:
    return f"""UPDATE eval_matter SET petitioner_returned_at = {_SQLITE_FIRST}
        WHERE ({where}) AND (result_published_on IS NOT NULL OR petitioner_returned_at IS NOT NULL)"""


def _sqlite_came(hash_: str, moment: str, matter: str = "") -> str:
    """The published matters of ``hash_`` (other than ``matter``) take ``moment`` if it is
    within their observation and earlier than what they hold."""
    other = f" AND id <> {matter}" if matter else ""
    return f"""UPDATE eval_matter SET petitioner_returned_at = {moment}
        WHERE petitioner_id_hash = {hash_}{other} AND result_published_on IS NOT NULL
          AND {moment} >= {_sqlite_since("result_published_on")}
          AND (petitioner_returned_at IS NULL OR petitioner_returned_at > {moment})"""


def _create_sqlite():
    trigger = "CREATE TRIGGER eval_matter_returns_"
    op.execute(f"""{trigger}booking_insert AFTER INSERT ON booking BEGIN
        {_sqlite_came("NEW.id_hash", "NEW.created_at")}; END""")
    op.execute(f"""{trigger}booking_update AFTER UPDATE OF id_hash, created_at ON booking
        WHEN OLD.id_hash IS NOT NEW.id_hash OR OLD.created_at IS NOT NEW.created_at BEGIN
        {_sqlite_recompute("petitioner_id_hash IN (OLD.id_hash, NEW.id_hash)")}; END""")
    op.execute(f"""{trigger}booking_delete AFTER DELETE ON booking BEGIN
        {_sqlite_recompute("petitioner_id_hash = OLD.id_hash AND "
                           "petitioner_returned_at = OLD.created_at")}; END""")
    op.execute(f"""{trigger}matter_insert AFTER INSERT ON eval_matter BEGIN
        {_sqlite_came("NEW.petitioner_id_hash", "NEW.created_at", "NEW.id")};
        {_sqlite_recompute("id = NEW.id")}; END""")
    op.execute(f"""{trigger}matter_update
        AFTER UPDATE OF result_published_on, petitioner_id_hash, created_at ON eval_matter
        WHEN OLD.result_published_on IS NOT NEW.result_published_on
          OR OLD.petitioner_id_hash IS NOT NEW.petitioner_id_hash
          OR OLD.created_at IS NOT NEW.created_at BEGIN
        {_sqlite_recompute("petitioner_id_hash IN (OLD.petitioner_id_hash, "
                           "NEW.petitioner_id_hash)")}; END""")
    op.execute(f"""{trigger}matter_delete AFTER DELETE ON eval_matter BEGIN
        {_sqlite_recompute("petitioner_id_hash = OLD.petitioner_id_hash AND "
                           "petitioner_returned_at = OLD.created_at")}; END""")


# --- PostgreSQL ------------------------------------------------------------------------------

def _pg_since(day: str) -> str:
    return f"(CAST({day} + 1 AS timestamp) AT TIME ZONE 'Asia/Shanghai')"


_PG_HELPERS = (
    f"""CREATE FUNCTION eval_matter_first_return(text, integer, date) RETURNS timestamptz
    LANGUAGE sql STABLE AS $$
      SELECT least(
        (SELECT min(created_at) FROM booking WHERE id_hash = $1 AND created_at >= {_pg_since("$3")}),
        (SELECT min(created_at) FROM eval_matter
          WHERE petitioner_id_hash = $1 AND id <> $2 AND created_at >= {_pg_since("$3")}))
    $$""",
    # Buckets of the hash, locked in ascending order (two statements never wait on each other
    # in a circle); the lock lasts until the transaction ends.
    """CREATE FUNCTION eval_matter_returns_lock(p_hashes text[]) RETURNS void
    LANGUAGE plpgsql AS $$
    DECLARE bucket integer;
    BEGIN
      FOR bucket IN SELECT DISTINCT hashtext(h) & 255 FROM unnest(p_hashes) AS h
                     WHERE h IS NOT NULL ORDER BY 1 LOOP
        PERFORM pg_advisory_xact_lock(7240013, bucket);
      END LOOP;
    END $$""",
    # The published matters of the hashes (only those holding p_moment, if given) from scratch.
    """CREATE FUNCTION eval_matter_returns_recompute(p_hashes text[],
                                                     p_moment timestamptz DEFAULT NULL)
    RETURNS void LANGUAGE plpgsql AS $$
    BEGIN
      PERFORM eval_matter_returns_lock(p_hashes);
      UPDATE eval_matter AS m SET petitioner_returned_at = f.moment
        FROM (SELECT id, eval_matter_first_return(petitioner_id_hash, id, result_published_on)
                     AS moment
                FROM eval_matter
               WHERE petitioner_id_hash = ANY (p_hashes)
                 AND (result_published_on IS NOT NULL OR petitioner_returned_at IS NOT NULL)
                 AND (p_moment IS NULL OR petitioner_returned_at = p_moment)) AS f
       WHERE m.id = f.id AND m.petitioner_returned_at IS DISTINCT FROM f.moment;
    END $$""",
)


def _pg_came(hash_column: str, other: str) -> str:
    """The published matters of the new rows' petitioners take the earliest new created_at
    within their observation, if earlier than what they hold."""
    return f"""UPDATE eval_matter AS m SET petitioner_returned_at = f.moment
        FROM (SELECT p.id, min(n.created_at) AS moment
                FROM new_rows AS n JOIN eval_matter AS p ON p.petitioner_id_hash = n.{hash_column}
               WHERE p.result_published_on IS NOT NULL{other}
                 AND n.created_at >= {_pg_since("p.result_published_on")}
               GROUP BY p.id) AS f
       WHERE m.id = f.id AND (m.petitioner_returned_at IS NULL OR m.petitioner_returned_at > f.moment)"""


def _pg_trigger_functions() -> tuple[str, ...]:
    return (
        f"""CREATE FUNCTION eval_matter_returns_booking_insert() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
          PERFORM eval_matter_returns_lock(ARRAY(SELECT DISTINCT id_hash FROM new_rows));
          {_pg_came("id_hash", "")};
          RETURN NULL;
        END $$""",
        f"""CREATE FUNCTION eval_matter_returns_matter_insert() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
          PERFORM eval_matter_returns_lock(ARRAY(SELECT DISTINCT petitioner_id_hash
                                                   FROM new_rows));
          UPDATE eval_matter AS m SET petitioner_returned_at = eval_matter_first_return(
                 m.petitioner_id_hash, m.id, m.result_published_on)
            FROM new_rows AS n
           WHERE m.id = n.id
             AND (m.result_published_on IS NOT NULL OR m.petitioner_returned_at IS NOT NULL);
          {_pg_came("petitioner_id_hash", " AND p.id <> n.id")};
          RETURN NULL;
        END $$""",
        _pg_change_function("booking", "id_hash"),
        _pg_change_function("matter", "petitioner_id_hash"),
    )


def _pg_change_function(kind: str, hash_column: str) -> str:
    """A booking or matter changed or deleted: recompute the petitioner(s) concerned."""
    return f"""CREATE FUNCTION eval_matter_returns_{kind}_change() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
          IF TG_OP = 'DELETE' THEN
            PERFORM eval_matter_returns_recompute(ARRAY[OLD.{hash_column}], OLD.created_at);
          ELSE
            PERFORM eval_matter_returns_recompute(ARRAY[OLD.{hash_column}, NEW.{hash_column}]);
          END IF;
          RETURN NULL;
        END $$"""


def _create_pg():
    for statement in (*_PG_HELPERS, *_pg_trigger_functions()):
        op.execute(statement)
    run = "EXECUTE FUNCTION eval_matter_returns_"
    op.execute(f"""CREATE TRIGGER eval_matter_returns_booking_insert AFTER INSERT ON booking
        REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT {run}booking_insert()""")
    op.execute(f"""CREATE TRIGGER eval_matter_returns_booking_update
        AFTER UPDATE OF id_hash, created_at ON booking FOR EACH ROW
        WHEN (OLD.id_hash IS DISTINCT FROM NEW.id_hash OR OLD.created_at IS DISTINCT FROM
              NEW.created_at) {run}booking_change()""")
    op.execute(f"""CREATE TRIGGER eval_matter_returns_booking_delete AFTER DELETE ON booking
        FOR EACH ROW {run}booking_change()""")
    op.execute(f"""CREATE TRIGGER eval_matter_returns_matter_insert AFTER INSERT ON eval_matter
        REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT {run}matter_insert()""")
    op.execute(f"""CREATE TRIGGER eval_matter_returns_matter_update
        AFTER UPDATE OF result_published_on, petitioner_id_hash, created_at ON eval_matter
        FOR EACH ROW WHEN (OLD.result_published_on IS DISTINCT FROM NEW.result_published_on
          OR OLD.petitioner_id_hash IS DISTINCT FROM NEW.petitioner_id_hash
          OR OLD.created_at IS DISTINCT FROM NEW.created_at) {run}matter_change()""")
    op.execute(f"""CREATE TRIGGER eval_matter_returns_matter_delete AFTER DELETE ON eval_matter
        FOR EACH ROW {run}matter_change()""")
