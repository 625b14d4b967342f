"""Retention of the audit log: ``audit prune`` removes what is older than the setting, anchors
the rest so it still verifies, and is the only deletion the triggers let through. And the
migration that added the keyed seals seals what was already there, as it was."""
from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import func, insert, select
from sqlalchemy.exc import DatabaseError

from portal import audit, settings
from portal.extensions import db
from tests.test_audit import around_the_triggers, entries, forge, sql

NOW = datetime.now(UTC)


def entries_aged(monkeypatch, *ages_in_days: int) -> None:
    real = audit.wall_clock
    for n, age in enumerate(ages_in_days):
        monkeypatch.setattr(audit, "wall_clock", lambda age=age: NOW - timedelta(days=age))
        audit.record("test.act", "thing", n, actor="测试")
    monkeypatch.setattr(audit, "wall_clock", real)
    db.session.commit()


def count() -> int:
    return db.session.scalar(select(func.count(audit.AuditEntry.id)))


def test_prune_removes_old_entries_and_the_rest_still_verifies(app, runner, monkeypatch):
    entries_aged(monkeypatch, 400, 200, 181, 179, 3)
    before = audit.verify_chain().head
    removed_hash = entries()[2].hash
    result = runner.invoke(args=["audit", "prune"])
    assert result.exit_code == 0 and "pruned 3 audit entries" in result.output, result.output
    kept = entries()
    assert [e.object_id for e in kept] == ["3", "4", "3"]
    anchor = kept[-1]
    assert anchor.action == "audit.prune" and anchor.actor == "命令行"
    assert anchor.detail_dict | {"before": None} == {
        "through": 3, "position": 3, "last_hash": removed_hash, "rows": 3, "retention_days": 180,
        "before": None}
    verdict = audit.verify_chain(before)  # a head recorded before the prune still holds
    assert verdict[:3] == (3, None, "") and verdict.head.count == 6
    assert runner.invoke(args=["audit", "verify"]).exit_code == 0
    again = runner.invoke(args=["audit", "prune"])
    assert "pruned 0 audit entries" in again.output and count() == 3
    assert db.session.scalar(select(func.count()).select_from(audit.AuditPrunePermit)) == 0


@pytest.mark.parametrize("statement", [
    "DELETE FROM audit_entry WHERE id = 4",
    "DELETE FROM audit_entry",
    "UPDATE audit_entry SET actor = 'x' WHERE id = 4",
])
def test_other_deletions_are_still_refused_after_a_prune(app, monkeypatch, statement):
    entries_aged(monkeypatch, 200, 200, 1, 1)
    assert audit.prune() == 2
    db.session.commit()
    with pytest.raises(DatabaseError) as caught:
        sql(statement)
        db.session.flush()
    assert "append-only" in str(caught.value)
    db.session.rollback()
    assert count() == 3 and audit.verify_chain().broken is None


def test_the_permit_covers_only_its_range_and_only_its_transaction(app, monkeypatch):
    entries_aged(monkeypatch, 1, 1, 1)
    db.session.add(audit.AuditPrunePermit(through_id=1))
    db.session.flush()
    sql("DELETE FROM audit_entry WHERE id = 1")  # inside the range: let through
    with pytest.raises(DatabaseError):
        sql("DELETE FROM audit_entry WHERE id = 2")
    db.session.rollback()
    assert count() == 3


def test_removing_the_oldest_entries_past_the_anchor_is_detected(app, monkeypatch):
    entries_aged(monkeypatch, 300, 300, 5, 5)
    audit.prune()
    db.session.commit()
    with around_the_triggers():
        sql("DELETE FROM audit_entry WHERE id = 3")
    verdict = audit.verify_chain()
    assert verdict.broken == 4
    assert "does not follow the last prune (entry 2)" in verdict.problem


def test_removing_the_prune_entry_itself_is_detected(app, monkeypatch):
    entries_aged(monkeypatch, 300, 300, 5, 5)
    audit.prune()
    db.session.commit()
    with around_the_triggers():
        sql("DELETE FROM audit_entry WHERE action = 'audit.prune'")
    verdict = audit.verify_chain()
    assert verdict.broken == 3 and "does not follow the start of the log" in verdict.problem


def test_a_forged_anchor_is_detected(app, monkeypatch):
    """Removing the oldest entries and writing a prune entry to cover it needs the key."""
    entries_aged(monkeypatch, 300, 5)
    second = entries()[1]
    with around_the_triggers():
        sql("DELETE FROM audit_entry WHERE id = 1")
    detail = json.dumps({"through": 1, "position": 1, "last_hash": second.prev_hash})
    db.session.add(forge(second, action=audit.PRUNE, detail=detail, prev_hash=second.hash))
    db.session.commit()
    assert audit.latest_anchor().through == 1  # the forged anchor is read ...
    verdict = audit.verify_chain()
    assert verdict.broken == 3 and "not sealed" in verdict.problem  # ... and refused


def test_prune_refuses_to_destroy_a_broken_chain(app, runner, monkeypatch):
    entries_aged(monkeypatch, 300, 300, 5)
    with around_the_triggers():
        sql("UPDATE audit_entry SET actor = '别人' WHERE id = 1")
    result = runner.invoke(args=["audit", "prune"])
    assert result.exit_code != 0
    assert "broken at entry 1" in result.output and "nothing removed" in result.output
    assert count() == 3


def test_everything_old_pruned_then_the_log_goes_on(app, monkeypatch):
    entries_aged(monkeypatch, 300, 250)
    assert audit.prune() == 2
    db.session.commit()
    audit.record("test.act", "thing", "later", actor="测试")
    db.session.commit()
    verdict = audit.verify_chain()
    assert verdict[:2] == (2, None) and verdict.head.count == 4


def test_retention_is_an_administrators_setting(app, client, auth, monkeypatch):
    assert settings.get("audit_retention_days") == 180
    entries_aged(monkeypatch, 45, 35)
    auth.login("admin")
    page = client.get("/staff/settings").text
    assert "操作日志保留天数" in page and 'name="audit_retention_days"' in page
    response = client.post("/staff/settings", data={"audit_retention_days": "10"})
    assert response.status_code == 422 and "不能小于 30" in response.text
    assert client.post("/staff/settings", data={"audit_retention_days": "40"}).status_code == 303
    assert audit.prune() == 1
    db.session.commit()
    assert entries()[-1].detail_dict["retention_days"] == 40


def test_the_seal_migration_seals_existing_entries_as_they_are(app):
    """Down to the schema before seals, entries written there (one of them already altered),
    up again: the good ones verify, the altered one is still caught, the triggers hold."""
    db.session.remove()
    downgrade(revision="0007_outbox_waitlist_rating")
    table = audit.AuditEntry.__table__
    prev = audit.GENESIS
    for n in range(3):
        entry = audit.AuditEntry(at=NOW, actor_id=None, actor="旧", action="test.act",
                                 object_type="thing", object_id=str(n), detail="{}",
                                 address=None, prev_hash=prev)
        entry.hash = entry.compute_hash()
        values = {c: getattr(entry, c) for c in (
            "at", "actor_id", "actor", "action", "object_type", "object_id", "detail",
            "address", "prev_hash", "hash")}
        if n == 2:
            values["actor"] = "改过"  # changed before the migration: its hash no longer fits
        db.session.execute(insert(table).values(**values))
        prev = entry.hash
    db.session.commit()
    with pytest.raises(DatabaseError):
        sql("UPDATE audit_entry SET actor = 'x'")
    db.session.rollback()
    db.session.remove()
    upgrade()
    assert all(e.mac == audit.seal(e.hash) for e in entries())
    verdict = audit.verify_chain()
    assert verdict.broken == 3 and "altered" in verdict.problem
    for statement in ("UPDATE audit_entry SET actor = 'x'", "DELETE FROM audit_entry"):
        with pytest.raises(DatabaseError):
            sql(statement)
        db.session.rollback()
