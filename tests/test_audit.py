"""The audit log: append-only at the database level, hash-chained, verified by the CLI."""
import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DatabaseError

from portal import audit
from portal.extensions import db


def make_entries(n=3):
    for i in range(n):
        audit.record("test.act", "thing", i, actor="测试", note=f"第{i}次")
    db.session.commit()


def test_entries_chain_and_verify(app, runner):
    make_entries()
    entries = db.session.scalars(select(audit.AuditEntry).order_by(audit.AuditEntry.id)).all()
    assert entries[0].prev_hash == audit.GENESIS
    assert all(b.prev_hash == a.hash for a, b in zip(entries, entries[1:], strict=False))
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0 and "intact: 3 entries" in result.output


@pytest.mark.parametrize("statement", [
    "UPDATE audit_entry SET actor = 'someone else' WHERE id = 2",
    "DELETE FROM audit_entry WHERE id = 2",
])
def test_database_refuses_changes_to_the_log(app, statement):
    make_entries()
    with pytest.raises(DatabaseError) as caught:
        db.session.execute(text(statement))
        db.session.flush()
    assert "append-only" in str(caught.value)
    db.session.rollback()
    assert audit.verify_chain() == (3, None)


def test_tampering_that_bypasses_the_trigger_is_detected(app, runner):
    make_entries()
    dialect = db.engine.dialect.name
    if dialect == "sqlite":
        db.session.execute(text("DROP TRIGGER audit_entry_no_update"))
    else:
        db.session.execute(text("ALTER TABLE audit_entry DISABLE TRIGGER audit_entry_no_change"))
    db.session.execute(text("UPDATE audit_entry SET detail = '{}' WHERE id = 2"))
    db.session.commit()
    assert audit.verify_chain() == (2, 2)
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code != 0 and "broken at entry 2" in result.output


def test_request_entries_record_who_and_where(client, auth):
    user = auth.login("reception")
    entry = db.session.scalars(select(audit.AuditEntry).order_by(audit.AuditEntry.id.desc())).first()
    assert entry.action == "user.login" and entry.actor == user.username
    assert entry.actor_id == user.id and entry.address == "127.0.0.1"
    assert entry.at.tzinfo is not None
