"""The seeded county the fuzzer attacks, and what it checks in the database.

The demo seed runs once per test run; its rows are kept in memory and written back before
each endpoint's run (a few hundred rows: far cheaper than seeding again, and the same on
SQLite and PostgreSQL). Between examples nothing is reset: each example meets what the
previous ones left, as a real site would.
"""
from __future__ import annotations

import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa

from portal import privacy
from portal.extensions import db

# What must never be stored: C0/C1 control characters other than tab, CR and LF (which a
# textarea sends), and the bidi embeddings, overrides and isolates that make text display
# other than it reads ("Trojan Source", CVE-2021-42574).
FORBIDDEN = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def tables() -> list[sa.Table]:
    return list(db.metadata.sorted_tables)


@dataclass
class Snapshot:
    """The seeded database: a copy of the file on SQLite (whose triggers refuse to delete
    ballot tallies), the rows on PostgreSQL (TRUNCATE, then the rows again)."""

    rows: dict[str, list[dict]] = field(default_factory=dict)
    path: Path | None = None

    @classmethod
    def take(cls) -> Snapshot:
        if db.engine.dialect.name == "sqlite":
            db.engine.dispose()
            live = Path(db.engine.url.database)
            shutil.copy(live, live.with_suffix(".seed"))
            return cls(path=live)
        with db.engine.connect() as conn:
            return cls({t.name: [dict(r._mapping) for r in conn.execute(sa.select(t))]
                        for t in tables()})

    def restore(self) -> None:
        if self.path is not None:
            db.engine.dispose()
            for leftover in ("-wal", "-shm"):
                Path(f"{self.path}{leftover}").unlink(missing_ok=True)
            shutil.copy(self.path.with_suffix(".seed"), self.path)
            return
        with db.engine.begin() as conn:
            # As pg_restore --disable-triggers does: the ballot guards refuse, rightly, to
            # write a closed poll's tally — the restore writes back what they once accepted.
            conn.execute(sa.text("SET LOCAL session_replication_role = replica"))
            names = ", ".join(t.name for t in tables())
            conn.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
            for table in tables():
                if self.rows[table.name]:
                    conn.execute(table.insert(), self.rows[table.name])
            _reset_sequences(conn)


def _reset_sequences(conn) -> None:
    for table in tables():
        for column in table.primary_key.columns:
            if isinstance(column.type, sa.Integer) and column.autoincrement is not False:
                conn.execute(sa.text(
                    f"SELECT setval(pg_get_serial_sequence('{table.name}', '{column.name}'), "
                    f"COALESCE((SELECT max({column.name}) FROM {table.name}), 0) + 1, false) "
                    f"WHERE pg_get_serial_sequence('{table.name}', '{column.name}') IS NOT NULL"))


def fingerprint_query() -> sa.Select:
    """Row counts of every table in one statement."""
    return sa.union_all(*[sa.select(sa.literal(t.name).label("name"),
                                    sa.func.count().label("rows")).select_from(t)
                          for t in tables()])


def fingerprint(query) -> dict[str, int]:
    with db.engine.connect() as conn:
        return {name: rows for name, rows in conn.execute(query)}


def stored_problems() -> list[str]:
    """Every stored text that holds a forbidden character or exceeds its column's length.
    Encrypted columns (``*_cipher``) are read decrypted."""
    found = []
    with db.engine.connect() as conn:
        for table in tables():
            columns = [c for c in table.columns if isinstance(c.type, sa.String)]
            if not columns:
                continue
            for row in conn.execute(sa.select(*columns)):
                for column, value in zip(columns, row, strict=True):
                    if column.name.endswith("_cipher"):
                        value = privacy.decrypt(value)
                    if not isinstance(value, str):
                        continue
                    if FORBIDDEN.search(value):
                        found.append(f"{table.name}.{column.name}: {value[:60]!r}")
                    length = getattr(column.type, "length", None)
                    if length and len(value) > length:
                        found.append(f"{table.name}.{column.name}: {len(value)} > {length}")
    return found


# --- the rows an example's URL points at ---------------------------------------------------------

# kind -> (table, {URL variable: column}); a booking also brings its phone (decrypted), so that
# the citizen forms can be sent with the right one.
SUBJECTS = {
    "booking": ("booking", {"booking_id": "id", "code": "code", "session_id": "session_id"}),
    "session": ("reception_session", {"session_id": "id"}),
    "series": ("reception_session", {"series_id": "series_id"}),
    "leader": ("leader", {"leader_id": "id"}),
    "unit": ("unit", {"unit_id": "id"}),
    "handover": ("handover", {"handover_id": "id"}),
    "matter": ("eval_matter", {"matter_id": "id"}),
    "hearing": ("eval_hearing", {"hearing_id": "id", "matter_id": "matter_id"}),
    "poll": ("eval_poll", {"poll_id": "id", "hearing_id": "hearing_id"}),
    "application": ("eval_application", {"application_id": "id"}),
    "evaluator": ("eval_evaluator", {"evaluator_id": "id"}),
    "followup": ("eval_followup", {"followup_id": "id"}),
    "recusal": ("eval_recusal", {"recusal_id": "id"}),
    "user": ("user_account", {"user_id": "id", "username": "username"}),
    "message": ("outbox_message", {"message_id": "id"}),
}


def subjects(kind: str | None) -> list[dict]:
    if kind is None:
        return [{}]
    name, columns = SUBJECTS[kind]
    table = db.metadata.tables[name]
    picked = [table.c[c].label(v) for v, c in columns.items()]
    if "phone_cipher" in table.c:
        picked.append(table.c.phone_cipher)
    with db.engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(sa.select(*picked))]
    for row in rows:
        if "phone_cipher" in row:
            row["phone"] = privacy.decrypt(row.pop("phone_cipher"))
    rows = [r for r in rows if all(v is not None for v in r.values())]
    assert rows, f"the demo seed has no {kind}"
    return rows


def pools() -> dict[str, list]:
    """The ids a select field may offer, by kind."""
    return {kind: [r[f"{kind}_id"] for r in subjects(kind)]
            for kind in ("leader", "unit", "evaluator", "user")}
