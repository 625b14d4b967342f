"""Issue 16: replay, as an attacker would, every way a secret ballot was linked to its voter.

Nine members vote a known mix in a known (shuffled) order; the poll closes; then each attack
reads the database the way the issue describes and tries to pair members with choices:

1. system columns — PostgreSQL ``xmin`` and ``ctid``; SQLite ``rowid``;
2. plain ``SELECT *`` with no ORDER BY, every table;
3. dump order — ``pg_dump --data-only``; on SQLite ``iterdump`` (what ``.dump`` prints);
4. raw storage — SQLite database file and WAL, page by page, cells in physical order;
   PostgreSQL heap files (dead tuple versions included) read through ``pg_read_binary_file``.

The pairing rule is the one that broke the old design: find a table with one row per voter
for the poll (participation) and a table with one choice per vote, and zip them in the order
the attack recovered. ``test_the_attacks_pair_every_vote_of_the_old_design`` rebuilds the old
shape (participation + ballot row written in one transaction) in scratch tables and checks
that the same helpers pair all nine votes — so these tests can fail. Against the sealed tally
they must find nothing to pair at all.

Each attack runs in both passes (SQLite and PostgreSQL), as its analogue where the engine
differs; only a missing ``pg_dump`` binary or missing superuser rights skip, and never under
CI=true, where they fail.
"""
from __future__ import annotations

import base64
import re
import shutil
import sqlite3
import struct
import subprocess
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import inspect, select, text

from portal import privacy
from portal.evaluation import queries, voting
from portal.evaluation.codes import CHOICES
from portal.evaluation.models import Evaluator, PanelMember
from portal.evaluation.poll_records import Poll
from portal.extensions import db
from tests.evaluation import factories
from tests.helpers import unavailable

# Who votes what (5 满意, 4 不满意), and in which order they vote: not the member order, so an
# attack that recovers insertion order is told apart from one that only sorts by member.
CHOICE_OF = {1: "satisfied", 2: "unsatisfied", 3: "unsatisfied", 4: "satisfied",
             5: "satisfied", 6: "unsatisfied", 7: "satisfied", 8: "unsatisfied", 9: "satisfied"}
VOTE_ORDER = (4, 8, 1, 6, 9, 2, 7, 3, 5)


def dialect() -> str:
    return db.engine.dialect.name


# --- the attacker's pairing -------------------------------------------------------------------

@dataclass
class Table:
    """A table as one attack recovered it: its rows in the order the attack yields them."""

    name: str
    columns: list[str]
    rows: list[tuple] = field(default_factory=list)


def _choice(row: tuple) -> str | None:
    return next((v for v in row if isinstance(v, str) and v in CHOICES), None)


def _about_poll(table: Table, row: tuple, poll_id: int) -> bool:
    if "poll_id" in table.columns:
        return str(row[table.columns.index("poll_id")]) == str(poll_id)
    return True  # the attacker cannot tell which poll the row is about: assume this one


def pair(tables: list[Table], poll_id: int) -> dict[int, str]:
    """member → choice, as far as the attacker can link them.

    A table naming members with choices links them outright (an open vote). Otherwise, a
    table with one row per voter (poll_id, member_id: participation) and a table with as many
    choices about the poll, zipped in recovered order — what paired the old ballot rows.
    """
    voters: list[list[int]] = []
    ballots: list[list[str]] = []
    for table in tables:
        rows = [r for r in table.rows if _about_poll(table, r, poll_id)]
        if "member_id" in table.columns:
            m = table.columns.index("member_id")
            named = {int(r[m]): _choice(r) for r in rows if _choice(r)}
            if named:
                return named
            voters.append([int(r[m]) for r in rows])
        elif choices := [c for r in rows if (c := _choice(r))]:
            ballots.append(choices)
    best: dict[int, str] = {}
    for members in voters:
        for choices in ballots:
            if len(members) == len(choices) > len(best):
                best = dict(zip(members, choices, strict=True))
    return best


def accuracy(linked: dict[int, str], truth: dict[int, str]) -> float:
    return sum(linked.get(m) == c for m, c in truth.items()) / len(truth)


def assert_unlinkable(tables: list[Table], voted: Voted, attack: str) -> None:
    linked = pair(tables, voted.poll_id)
    assert linked == {}, (f"{attack}: paired {len(linked)} votes, "
                          f"{accuracy(linked, voted.truth):.0%} right")
    # Not even an unreadable per-vote row (say, an encrypted ballot) may exist: apart from
    # participation, no table keeps one row per voter of the poll.
    per_voter = [t.name for t in tables if "poll_id" in t.columns and "member_id" not in t.columns
                 and sum(_about_poll(t, r, voted.poll_id) for r in t.rows) == len(voted.truth)]
    assert per_voter == [], f"{attack}: one row per voter in {per_voter}"


# --- the poll ---------------------------------------------------------------------------------

@dataclass
class Voted:
    poll_id: int
    truth: dict[int, str]  # panel member id → choice
    voter_xids: list[int] = field(default_factory=list)  # PostgreSQL: each vote's transaction
    closer_xid: int | None = None


def _xid() -> int | None:
    if dialect() != "postgresql":
        return None
    return db.session.scalar(text("SELECT pg_current_xact_id()::text::bigint % 4294967296"))


def _members(hearing_id: int) -> dict[int, int]:
    """member number (1–9, from the evaluator's name) → panel member id."""
    rows = db.session.execute(select(Evaluator.name, PanelMember.id).join(
        PanelMember, PanelMember.evaluator_id == Evaluator.id).where(
        PanelMember.hearing_id == hearing_id)).all()
    return {int(name.removeprefix("member")): member_id for name, member_id in rows}


def open_poll(clock) -> tuple[Poll, dict[int, int]]:
    hearing, _ = factories.noticed_hearing()
    factories.at_hearing(clock, hearing)
    factories.present(hearing)
    return factories.open_poll(hearing), _members(hearing.id)


def _sealed(poll_id: int) -> str | None:
    return db.session.scalar(text("SELECT sealed FROM eval_tally WHERE poll_id = :p"),
                             {"p": poll_id})


@pytest.fixture
def voted(clock) -> Voted:
    """The nine votes cast, one transaction each, and the poll closed."""
    poll, members = open_poll(clock)
    result = Voted(poll.id, {members[i]: CHOICE_OF[i] for i in VOTE_ORDER})
    for i in VOTE_ORDER:
        voter = factories.user("panel", f"member{i}")
        voting.cast_ballot(poll.id, voter, CHOICE_OF[i])
        result.voter_xids.append(_xid())
        db.session.commit()
    closed = voting.close_poll(poll.id, factories.staff(), factories.now())
    result.closer_xid = _xid()
    db.session.commit()
    assert (closed.manyi_count, closed.bumanyi_count, closed.result) == (5, 4, "satisfied")
    db.session.remove()  # hold no transaction while the attacks read
    return result


# --- attack 1: system columns -----------------------------------------------------------------

def _schema() -> dict[str, list[str]]:
    """table → column names, read before the attack opens its own connection (on SQLite a
    second connection would wait for the first one's write lock)."""
    inspector = inspect(db.engine)
    return {name: [c["name"] for c in inspector.get_columns(name)]
            for name in sorted(inspector.get_table_names())}


def system_column_views() -> dict[str, list[Table]]:
    """Every table ordered by each system column the engine offers."""
    views: dict[str, list[Table]] = {}
    schema = _schema()
    with db.engine.connect() as conn:
        for name, columns in schema.items():
            quoted = ", ".join(f'"{c}"' for c in columns)
            if dialect() == "postgresql":
                rows = conn.execute(text(
                    f'SELECT xmin::text::bigint, ctid::text, {quoted} FROM "{name}"')).all()
                by_xmin = sorted(rows, key=lambda r: r[0])
                by_ctid = sorted(rows, key=lambda r: tuple(map(int, r[1].strip("()").split(","))))
                views.setdefault("xmin", []).append(Table(name, columns, [r[2:] for r in by_xmin]))
                views.setdefault("ctid", []).append(Table(name, columns, [r[2:] for r in by_ctid]))
                continue
            try:
                with conn.begin_nested():
                    rows = conn.execute(text(f'SELECT rowid, {quoted} FROM "{name}"')).all()
            except sa.exc.OperationalError:  # WITHOUT ROWID: no hidden column to read
                continue
            views.setdefault("rowid", []).append(
                Table(name, columns, [r[1:] for r in sorted(rows, key=lambda r: r[0])]))
        conn.rollback()
    return views


def test_attack_1_system_columns_pair_nothing(voted):
    views = system_column_views()
    assert views, "no system column was read"
    for column, tables in views.items():
        assert_unlinkable(tables, voted, f"ordered by {column}")
    if dialect() == "postgresql":
        # The tally row was last written by the closer, not by any voter.
        with db.engine.connect() as conn:
            xmin = conn.scalar(text("SELECT xmin::text::bigint FROM eval_tally "
                                    "WHERE poll_id = :p"), {"p": voted.poll_id})
            participation = set(conn.scalars(text(
                "SELECT xmin::text::bigint FROM eval_participation")))
        assert xmin == voted.closer_xid
        assert xmin not in set(voted.voter_xids) | participation


# --- attack 2: plain SELECT order -------------------------------------------------------------

def plain_select() -> list[Table]:
    schema = _schema()
    with db.engine.connect() as conn:
        tables = [Table(name, columns, [tuple(r) for r in conn.execute(
            text(f'SELECT * FROM "{name}"'))]) for name, columns in schema.items()]
        conn.rollback()
    return tables


def test_attack_2_plain_select_order_pairs_nothing(voted):
    assert_unlinkable(plain_select(), voted, "SELECT * without ORDER BY")


# --- attack 3: dump order ---------------------------------------------------------------------

def _sqlite_path() -> Path:
    return Path(db.engine.url.database)


def pg_dump() -> list[Table]:
    """``pg_dump --data-only``: each table's COPY block, rows in dump order."""
    binary = shutil.which("pg_dump")
    if binary is None:
        unavailable("pg_dump is not on PATH (Debian: apt-get install postgresql-client)")
    url = db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    done = subprocess.run([binary, "--data-only", "--no-privileges", "--dbname", url],
                          capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        unavailable(f"pg_dump failed: {done.stderr.strip()[:300]}")
    tables, current = [], None
    for line in done.stdout.splitlines():
        if match := re.fullmatch(r'COPY public\.("?[\w]+"?) \((.*)\) FROM stdin;', line):
            current = Table(match[1].strip('"'), [c.strip('" ') for c in match[2].split(",")])
            tables.append(current)
        elif line == "\\.":
            current = None
        elif current is not None:
            current.rows.append(tuple(None if v == "\\N" else v for v in line.split("\t")))
    assert tables, "pg_dump printed no table data"
    return tables


def sqlite_dump() -> list[Table]:
    """``iterdump`` (the sqlite3 shell's ``.dump``): INSERT statements in dump order."""
    schema = _schema()
    evaluate = sqlite3.connect(":memory:")
    dump = sqlite3.connect(_sqlite_path())
    try:
        tables: dict[str, Table] = {}
        for statement in dump.iterdump():
            match = re.match(r'INSERT INTO "(\w+)" VALUES\((.*)\);$', statement, re.S)
            if match:
                table = tables.setdefault(match[1], Table(match[1], schema[match[1]]))
                table.rows.append(evaluate.execute(f"SELECT {match[2]}").fetchone())
    finally:
        dump.close()
        evaluate.close()
    return list(tables.values())


def dump_order() -> list[Table]:
    return pg_dump() if dialect() == "postgresql" else sqlite_dump()


def test_attack_3_dump_order_pairs_nothing(voted):
    tables = dump_order()
    assert "eval_participation" in {t.name for t in tables}
    assert_unlinkable(tables, voted, "dump order")


# --- attack 4: raw storage --------------------------------------------------------------------
# SQLite: the file's b-tree pages, overlaid with the WAL's frames, each table walked from its
# root page; in a page, cells are allocated from the end towards the start, so sorting them by
# offset, highest first, gives insertion order even in a WITHOUT ROWID table.

def _varint(buf: bytes, i: int) -> tuple[int, int]:
    value = 0
    for k in range(8):
        byte = buf[i + k]
        value = (value << 7) | (byte & 0x7F)
        if byte < 0x80:
            return value, i + k + 1
    return (value << 8) | buf[i + 8], i + 9


def _record(payload: bytes) -> list:
    size, i = _varint(payload, 0)
    types = []
    while i < size:
        serial, i = _varint(payload, i)
        types.append(serial)
    values, j = [], size
    for serial in types:
        if serial == 0:
            values.append(None)
        elif serial <= 6:
            n = (1, 2, 3, 4, 6, 8)[serial - 1]
            values.append(int.from_bytes(payload[j:j + n], "big", signed=True))
            j += n
        elif serial == 7:
            values.append(struct.unpack(">d", payload[j:j + 8])[0])
            j += 8
        elif serial in (8, 9):
            values.append(serial - 8)
        elif serial >= 12:
            n = (serial - 12) // 2
            chunk = payload[j:j + n]
            values.append(chunk.decode("utf-8", "replace") if serial % 2 else chunk)
            j += n
        else:
            raise ValueError(serial)
    return values


def _page_cells(page: bytes, number: int, usable: int):
    """(kind, children, [(offset, rowid, record)]) of one b-tree page; kind 0 if not one."""
    head = 100 if number == 1 else 0
    kind = page[head]
    if kind not in (2, 5, 10, 13):
        return 0, [], []
    count = int.from_bytes(page[head + 3:head + 5], "big")
    start = head + (12 if kind in (2, 5) else 8)
    children, cells = [], []
    for k in range(count):
        offset = int.from_bytes(page[start + 2 * k:start + 2 * k + 2], "big")
        try:
            i = offset
            if kind in (2, 5):
                children.append(int.from_bytes(page[i:i + 4], "big"))
                i += 4
            if kind == 5:
                continue
            size, i = _varint(page, i)
            rowid = None
            if kind == 13:
                rowid, i = _varint(page, i)
            local = usable - 35 if kind == 13 else (usable - 12) * 64 // 255 - 23
            if size <= local:  # records spilling to overflow pages are not needed here
                cells.append((offset, rowid, _record(page[i:i + size])))
        except (IndexError, ValueError):
            continue
    if kind in (2, 5):
        children.append(int.from_bytes(page[head + 8:head + 12], "big"))
    return kind, children, cells


@dataclass
class RawSQLite:
    pages: dict[int, bytes]  # the current image of each page (file, then WAL frames)
    history: list[tuple[int, bytes]]  # every page image anywhere in the file and the WAL
    usable: int
    wal_size: int


def read_sqlite_raw(path: Path) -> RawSQLite:
    data = path.read_bytes()
    size = int.from_bytes(data[16:18], "big")
    size = 65536 if size == 1 else size
    usable = size - data[20]
    pages = {n + 1: data[n * size:(n + 1) * size] for n in range(len(data) // size)}
    history = list(pages.items())
    wal = Path(f"{path}-wal")
    wal_data = wal.read_bytes() if wal.exists() else b""
    if len(wal_data) >= 32:
        salts = wal_data[16:24]
        for at in range(32, len(wal_data) - size - 23, size + 24):
            number = int.from_bytes(wal_data[at:at + 4], "big")
            image = wal_data[at + 24:at + 24 + size]
            history.append((number, image))
            if wal_data[at + 8:at + 16] == salts:
                pages[number] = image
    return RawSQLite(pages, history, usable, len(wal_data))


def _walk(raw: RawSQLite, root: int) -> tuple[list[int], list[tuple[int | None, list]]]:
    """The pages of one b-tree, and its records in physical order."""
    seen, records, stack = [], [], [root]
    while stack:
        number = stack.pop(0)
        if number in seen or number not in raw.pages:
            continue
        seen.append(number)
        kind, children, cells = _page_cells(raw.pages[number], number, raw.usable)
        records += [(rowid, rec) for _, rowid, rec in sorted(cells, key=lambda c: -c[0])]
        stack = children + stack
    return seen, records


def sqlite_raw_tables(raw: RawSQLite) -> tuple[list[Table], dict[int, str]]:
    """Every table from the raw pages, rows in physical order; and page number → table."""
    _, master = _walk(raw, 1)
    schema = sqlite3.connect(":memory:")
    try:
        found = []
        for _rowid, (kind, name, _tbl, root, sql) in master:
            if kind == "table" and not name.startswith("sqlite_"):
                schema.execute(sql)
                found.append((name, root, "WITHOUT ROWID" in sql.upper()))
        tables, owner = [], {}
        for name, root, without_rowid in found:
            info = schema.execute(f'PRAGMA table_info("{name}")').fetchall()
            columns = [c[1] for c in info]
            keys = sorted((c for c in info if c[5]), key=lambda c: c[5])
            alias = keys[0][1] if len(keys) == 1 and keys[0][2].upper() == "INTEGER" else None
            if without_rowid:  # the primary key first, then the other columns as declared
                columns = [c[1] for c in keys] + [c[1] for c in info if not c[5]]
            pages, records = _walk(raw, root)
            owner.update(dict.fromkeys(pages, name))
            rows = []
            for rowid, record in records:
                if alias is not None and not without_rowid:
                    record[columns.index(alias)] = rowid
                rows.append(tuple(record))
            tables.append(Table(name, columns, rows))
    finally:
        schema.close()
    return tables, owner


# PostgreSQL: heap pages of each table after a CHECKPOINT; line pointers in order give the
# tuples in insertion order, dead versions included.

def _heap_tuples(data: bytes) -> list[bytes]:
    tuples = []
    for start in range(0, len(data), 8192):
        page = data[start:start + 8192]
        lower = int.from_bytes(page[12:14], "little")
        for at in range(24, lower, 4):
            item = int.from_bytes(page[at:at + 4], "little")
            offset, flags, length = item & 0x7FFF, (item >> 15) & 3, item >> 17
            if flags == 1 and length:
                tuples.append(page[offset:offset + length])
    return tuples


def _varlena_choices(body: bytes) -> str | None:
    """A choice stored as a short text (1-byte header: (length + 1) * 2 + 1)."""
    return next((c for c in CHOICES if bytes([(len(c) + 1) * 2 + 1]) + c.encode() in body), None)


def pg_raw_tables() -> list[Table]:
    schema = _schema()
    with db.engine.connect() as conn:
        superuser = conn.scalar(text("SELECT rolsuper FROM pg_roles WHERE rolname = current_user"))
        if not superuser:
            unavailable("reading heap files needs a PostgreSQL superuser (pg_read_binary_file)")
        conn.execute(text("CHECKPOINT"))
        tables = []
        for name, columns in schema.items():
            path = conn.scalar(text("SELECT pg_relation_filepath(:t)"), {"t": name})
            data = conn.scalar(text("SELECT pg_read_binary_file(:p)"), {"p": path})
            voters = columns[:2] == ["poll_id", "member_id"]  # two int4, right after the header
            table = Table(name, ["poll_id", "member_id", "choice"] if voters else ["choice"])
            for tup in _heap_tuples(bytes(data)):
                body = tup[tup[22]:]
                found = _varlena_choices(body)
                table.rows.append(struct.unpack("<ii", body[:8]) + (found,) if voters
                                  else (found,))
            tables.append(table)
        conn.rollback()
    return tables


def test_attack_4_raw_storage_pairs_nothing(voted, app):
    if dialect() == "postgresql":
        assert_unlinkable(pg_raw_tables(), voted, "heap files")
        return
    raw = read_sqlite_raw(_sqlite_path())
    # Closing truncated the WAL: no page image of any vote's commit is left in it.
    assert raw.wal_size == 0
    tables, owner = sqlite_raw_tables(raw)
    assert {"eval_participation", "eval_tally"} <= {t.name for t in tables}
    assert_unlinkable(tables, voted, "SQLite pages in physical order")
    # Anywhere in the file, a choice is stored only as the poll's result.
    holders = set()
    for number, image in raw.history:
        for _offset, _rowid, record in _page_cells(image, number, raw.usable)[2]:
            if _choice(tuple(record)):
                holders.add(owner.get(number, f"page {number} (no table)"))
    assert holders <= {"eval_poll"}, holders
    # Even with the data key, the files hold no intermediate tally (at most the final one).
    wal = Path(f"{_sqlite_path()}-wal")
    data = _sqlite_path().read_bytes() + (wal.read_bytes() if wal.exists() else b"")
    tallies = set()
    for token in re.findall(rb"gAAAAA[A-Za-z0-9_\-]{40,}={0,2}", data):
        plain = privacy.decrypt(token.decode())
        if plain.startswith("tally:"):
            tallies.add(plain)
    assert tallies <= {f"tally:v1:{voted.poll_id:010d}:005:004:000"}, tallies


# --- while the poll is open -------------------------------------------------------------------

def test_while_open_a_reader_without_the_data_key_cannot_read_the_running_counts(app, clock):
    poll, members = open_poll(clock)
    seen = [_sealed(poll.id)]
    counts = {"satisfied": 0, "unsatisfied": 0, "abstain": 0}
    plaintexts = [f"tally:v1:{poll.id:010d}:000:000:000"]
    for i in VOTE_ORDER:
        voting.cast_ballot(poll.id, factories.user("panel", f"member{i}"), CHOICE_OF[i])
        db.session.commit()
        counts[CHOICE_OF[i]] += 1
        seen.append(_sealed(poll.id))
        plaintexts.append("tally:v1:{:010d}:{satisfied:03d}:{unsatisfied:03d}:{abstain:03d}"
                          .format(poll.id, **counts))
    assert len(set(seen)) == len(seen)  # re-encrypted with fresh randomness at every vote
    assert {len(s) for s in seen} == {120}  # constant length: the size of the counts is hidden
    for sealed, plain in zip(seen, plaintexts, strict=True):
        raw = base64.urlsafe_b64decode(sealed)
        assert plain not in sealed and plain.encode() not in raw and b"tally" not in raw
    # The staff's progress shows who has voted, never how; the poll row holds no count yet.
    row = db.session.get(Poll, poll.id, populate_existing=True)
    assert queries.voted_count(poll.id) == 9
    assert (row.valid_count, row.manyi_count, row.bumanyi_count, row.result) == (
        None, None, None, None)
    # A reader without the key: the sealed values do not open.
    key = app.config["DATA_KEY"]
    app.config["DATA_KEY"] = "a-reader-without-the-key"
    try:
        assert {privacy.decrypt(s) for s in seen} == {"（无法解密）"}
    finally:
        app.config["DATA_KEY"] = key
    assert privacy.decrypt(seen[-1]) == plaintexts[-1]  # the portal, with it, can
    # And the attacks of the closed poll find nothing to pair mid-poll either.
    db.session.remove()
    voted = Voted(poll.id, {members[i]: CHOICE_OF[i] for i in VOTE_ORDER})
    assert_unlinkable(plain_select(), voted, "SELECT * mid-poll")
    for tables in system_column_views().values():
        assert_unlinkable(tables, voted, "system columns mid-poll")


# --- the control: the same attacks against the old design -------------------------------------

def _old_design(poll_id: int, members: dict[int, int]) -> None:
    """The old cast_ballot, in scratch tables of the old shape: per vote, one transaction with
    the participation row (in a savepoint) and a ballot row (random id, poll, choice)."""
    rowid = " WITHOUT ROWID" if dialect() == "sqlite" else ""
    with db.engine.begin() as conn:
        conn.execute(text("CREATE TABLE old_participation (poll_id INTEGER NOT NULL, "
                          "member_id INTEGER NOT NULL, PRIMARY KEY (poll_id, member_id))" + rowid))
        conn.execute(text("CREATE TABLE old_ballot (id VARCHAR(32) NOT NULL PRIMARY KEY, "
                          "poll_id INTEGER NOT NULL, choice VARCHAR(12) NOT NULL)" + rowid))
    for i in VOTE_ORDER:
        with db.engine.begin() as conn:
            if dialect() == "postgresql":
                conn.execute(text("SELECT id FROM eval_poll WHERE id = :p FOR SHARE"),
                             {"p": poll_id})
            with conn.begin_nested():
                conn.execute(text("INSERT INTO old_participation VALUES (:p, :m)"),
                             {"p": poll_id, "m": members[i]})
            conn.execute(text("INSERT INTO old_ballot VALUES (:i, :p, :c)"),
                         {"i": uuid.uuid4().hex, "p": poll_id, "c": CHOICE_OF[i]})


def test_the_attacks_pair_every_vote_of_the_old_design(app, clock):
    poll, members = open_poll(clock)
    truth = {members[i]: CHOICE_OF[i] for i in VOTE_ORDER}
    db.session.remove()
    try:
        _old_design(poll.id, members)
        attacks = {"plain SELECT": plain_select, "dump": dump_order}
        if dialect() == "postgresql":
            views = system_column_views()
            attacks |= {"xmin": lambda: views["xmin"], "ctid": lambda: views["ctid"],
                        "heap files": pg_raw_tables}
        else:
            # The old tables were WITHOUT ROWID, which defeated rowid, SELECT and .dump order
            # (primary-key order); the raw pages still gave insertion order away.
            attacks = {"SQLite pages": lambda: sqlite_raw_tables(
                read_sqlite_raw(_sqlite_path()))[0]}
        for attack, tables in attacks.items():
            linked = pair([t for t in tables() if t.name.startswith("old_")], poll.id)
            assert accuracy(linked, truth) == 1.0, (attack, linked)
    finally:
        db.session.remove()
        with db.engine.begin() as conn:
            conn.execute(text("DROP TABLE IF EXISTS old_ballot"))
            conn.execute(text("DROP TABLE IF EXISTS old_participation"))
