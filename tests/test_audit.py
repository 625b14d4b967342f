"""The audit log: append-only at the database level, hash-chained and sealed with a key, and
``audit verify`` names the first entry that was altered, inserted or removed — in the middle,
at the oldest end and (against a recorded head) at the newest end. The tampering is done as an
operator with SQL would: around the triggers."""
from __future__ import annotations

import contextlib
import hashlib

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DatabaseError

from portal import audit
from portal.extensions import db


def make_entries(n=3):
    for i in range(n):
        audit.record("test.act", "thing", i, actor="测试", note=f"第{i}次")
    db.session.commit()


def entries() -> list[audit.AuditEntry]:
    return list(db.session.scalars(select(audit.AuditEntry).order_by(audit.AuditEntry.id)))


@contextlib.contextmanager
def around_the_triggers():
    """What an operator with SQL does to change the log: switch the triggers off (PostgreSQL:
    back on afterwards, the database is shared by the next tests; SQLite: a copy per test)."""
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("ALTER TABLE audit_entry DISABLE TRIGGER audit_entry_no_change"))
        try:
            yield
        finally:
            db.session.execute(text("ALTER TABLE audit_entry ENABLE TRIGGER audit_entry_no_change"))
            db.session.commit()
    else:
        db.session.execute(text("DROP TRIGGER audit_entry_no_update"))
        db.session.execute(text("DROP TRIGGER audit_entry_no_delete"))
        yield
        db.session.commit()


def sql(statement: str, **params) -> None:
    db.session.execute(text(statement), params)


def copy_of(entry: audit.AuditEntry, **changes) -> audit.AuditEntry:
    """A transient entry with the same content (never added to the session)."""
    fields = {name: getattr(entry, name) for name in (
        "at", "actor_id", "actor", "action", "object_type", "object_id", "detail", "address",
        "prev_hash")}
    return audit.AuditEntry(**{**fields, **changes})


def rechain_from(entry_id: int) -> None:
    """Recompute the unkeyed SHA-256 chain from an entry on, as someone without DATA_KEY can."""
    rows = entries()
    prev = next((e.hash for e in reversed(rows) if e.id < entry_id), audit.GENESIS)
    for entry in [e for e in rows if e.id >= entry_id]:
        fresh = copy_of(entry, prev_hash=prev).compute_hash()
        sql("UPDATE audit_entry SET prev_hash = :p, hash = :h WHERE id = :i",
            p=prev, h=fresh, i=entry.id)
        prev = fresh
    db.session.expire_all()


def forge(like: audit.AuditEntry, **changes) -> audit.AuditEntry:
    """An entry made without the key: a consistent hash, a guessed seal."""
    forged = copy_of(like, actor="伪造", **changes)
    forged.hash = forged.compute_hash()
    forged.mac = hashlib.sha256(forged.hash.encode()).hexdigest()
    return forged


def test_entries_chain_seal_and_verify(app, runner):
    make_entries()
    rows = entries()
    assert rows[0].prev_hash == audit.GENESIS
    assert all(b.prev_hash == a.hash for a, b in zip(rows, rows[1:], strict=False))
    assert all(e.mac == audit.seal(e.hash) and e.mac != e.hash for e in rows)
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0 and "intact: 3 entries" in result.output
    assert f"head: 3:{rows[-1].hash}" in result.output


@pytest.mark.parametrize("statement", [
    "UPDATE audit_entry SET actor = 'someone else' WHERE id = 2",
    "DELETE FROM audit_entry WHERE id = 2",
    "DELETE FROM audit_entry",
])
def test_database_refuses_changes_to_the_log(app, statement):
    make_entries()
    with pytest.raises(DatabaseError) as caught:
        db.session.execute(text(statement))
        db.session.flush()
    assert "append-only" in str(caught.value)
    db.session.rollback()
    assert audit.verify_chain()[:3] == (3, None, "")


def test_an_altered_entry_is_named(app, runner):
    make_entries(5)
    with around_the_triggers():
        sql("UPDATE audit_entry SET detail = '{}' WHERE id = 3")
    assert audit.verify_chain()[:2] == (3, 3)
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code != 0
    assert "broken at entry 3: entry 3 was altered" in result.output


def test_an_altered_entry_with_the_chain_recomputed_fails_its_seal(app):
    """Without the key the rewritten chain is consistent but unsealed: this is what the keyed
    seal adds to a plain hash chain."""
    make_entries(5)
    with around_the_triggers():
        sql("UPDATE audit_entry SET actor = '别人' WHERE id = 3")
        rechain_from(3)
    rows = entries()
    assert all(e.compute_hash() == e.hash for e in rows)  # the plain chain holds again
    verdict = audit.verify_chain()
    assert verdict.broken == 3 and "not sealed with this portal's key" in verdict.problem


def test_an_inserted_entry_is_named(app):
    make_entries(4)
    last = entries()[-1]
    forged = forge(last, prev_hash=last.hash, object_id="9")
    db.session.add(forged)
    db.session.commit()
    verdict = audit.verify_chain()
    assert verdict.broken == forged.id == 5 and "inserted or rewritten" in verdict.problem


def test_an_entry_inserted_in_a_gap_is_named(app):
    make_entries(5)
    forged = forge(entries()[2], id=3, detail='{"note": "改写"}')
    with around_the_triggers():
        sql("DELETE FROM audit_entry WHERE id = 3")
    db.session.add(forged)
    db.session.commit()
    verdict = audit.verify_chain()
    assert verdict.broken == 3 and "inserted or rewritten" in verdict.problem


@pytest.mark.parametrize(("removed", "named", "words"), [
    ((3,), 4, "entries removed between entry 2 and entry 4"),
    ((2, 3, 4), 5, "entries removed between entry 1 and entry 5"),
    ((1,), 2, "entries removed before entry 2: the oldest entry does not follow the start"),
    ((1, 2), 3, "entries removed before entry 3"),
])
def test_removed_entries_are_named(app, runner, removed, named, words):
    make_entries(5)
    with around_the_triggers():
        for entry_id in removed:
            sql("DELETE FROM audit_entry WHERE id = :i", i=entry_id)
    verdict = audit.verify_chain()
    assert verdict.broken == named and words in verdict.problem
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code != 0 and f"broken at entry {named}" in result.output


def test_removing_the_newest_entries_is_caught_by_the_recorded_head(app, runner):
    make_entries(5)
    recorded = runner.invoke(args=["audit", "verify"]).output.split("head: ")[1].split()[0]
    assert runner.invoke(args=["audit", "verify", "--expect-head", recorded]).exit_code == 0
    with around_the_triggers():
        sql("DELETE FROM audit_entry WHERE id >= 4")
    # The rest is a perfect chain: only the recorded head shows the loss.
    assert runner.invoke(args=["audit", "verify"]).exit_code == 0
    result = runner.invoke(args=["audit", "verify", "--expect-head", recorded])
    assert result.exit_code != 0
    assert "broken at entry 3: entries removed from the end" in result.output


def test_a_recorded_head_still_holds_after_new_entries_and_detects_a_rebuilt_log(app, runner):
    make_entries(3)
    head = audit.verify_chain().head
    make_entries(2)
    assert audit.verify_chain(head).broken is None
    assert audit.verify_chain(audit.Head(3, "a" * 64)).broken == 3
    result = runner.invoke(args=["audit", "verify", "--expect-head", "3:not-a-hash"])
    assert result.exit_code == 2 and "COUNT:HASH" in result.output


def test_an_empty_log_is_intact_and_a_wrong_key_breaks_every_seal(app):
    assert audit.verify_chain() == (0, None, "", audit.Head(0, audit.GENESIS))
    make_entries(2)
    app.config["DATA_KEY"] = "another-key"
    assert audit.verify_chain().broken == 1


def test_request_entries_record_who_and_where(client, auth):
    user = auth.login("reception")
    entry = db.session.scalars(select(audit.AuditEntry).order_by(audit.AuditEntry.id.desc())).first()
    assert entry.action == "user.login" and entry.actor == user.username
    assert entry.actor_id == user.id and entry.address == "127.0.0.1"
    assert entry.at.tzinfo is not None
