"""The domain-free mechanisms every domain builds on: lifecycles, events, the action path."""
from __future__ import annotations

from dataclasses import dataclass

import pytest
from flask import get_flashed_messages
from sqlalchemy import func, select

from portal import actions, audit, events, lifecycle
from portal.errors import DomainError
from portal.extensions import db


@dataclass
class Thing:
    id: int
    status: str
    ready: bool = True


def _not_ready(obj, _context):
    return None if obj.ready else "尚未准备好"


THING = lifecycle.Lifecycle(
    "thing", {"new": "新建", "done": "完成", "gone": "作废"},
    [lifecycle.Transition("finish", frozenset({"new"}), "done", "完成",
                          roles=frozenset({"reception"}), guards=(_not_ready,)),
     lifecycle.Transition("drop", frozenset({"new", "done"}), "gone", "作废",
                          roles=frozenset({"panel"}))],
    initial="new")


@dataclass
class User:
    role: str
    id: int = 1
    username: str = "tester"


@pytest.mark.parametrize("status, role, ready, event, refusal", [
    ("new", "reception", True, "finish", None),
    ("new", "admin", True, "finish", None),               # administrators pass staff checks
    ("new", "evaluation", True, "finish", "您的账号不能完成"),
    ("new", "reception", False, "finish", "尚未准备好"),
    ("done", "reception", True, "finish", "当前状态为“完成”，不能完成"),
    ("done", "panel", True, "drop", None),
    ("done", "admin", True, "drop", "您的账号不能作废"),  # a panel member's own act only
    ("gone", "panel", True, "drop", "当前状态为“作废”，不能作废"),
])
def test_the_table_decides(status, role, ready, event, refusal):
    assert THING.refusal(Thing(1, status, ready), event, User(role)) == refusal
    assert THING.can(Thing(1, status, ready), event, User(role)) is (refusal is None)


def test_actions_for_lists_what_is_open():
    assert [t.event for t in THING.actions_for(Thing(1, "new"), User("admin"))] == ["finish"]
    assert [t.event for t in THING.actions_for(Thing(1, "new"), User("panel"))] == ["drop"]
    assert THING.actions_for(Thing(1, "gone"), User("admin")) == []


def test_fire_changes_status_and_emits_an_audited_event(app):
    seen = []
    events.subscribe("thing.", seen.append)
    thing = Thing(7, "new")
    THING.fire(thing, "finish", User("reception"), note="ok")
    assert thing.status == "done"
    assert [(e.name, e.object_id, e.detail) for e in seen] == [("thing.finish", 7, {"note": "ok"})]
    entry = db.session.scalar(select(audit.AuditEntry).order_by(audit.AuditEntry.id.desc()))
    assert (entry.action, entry.object_id) == ("thing.finish", "7")


def test_a_refused_transition_changes_nothing_and_says_why(app):
    thing = Thing(8, "done")
    with pytest.raises(DomainError) as caught:
        THING.fire(thing, "finish", User("reception"))
    assert thing.status == "done" and caught.value.status == 409
    with pytest.raises(DomainError) as caught:
        THING.fire(Thing(9, "new"), "finish", User("evaluation"))
    assert caught.value.status == 403
    assert db.session.scalar(select(func.count()).select_from(audit.AuditEntry)) == 0


def test_the_action_path_commits_or_rolls_back(app):
    def succeed():
        events.emit("thing.test", "thing", 1, actor="测试")
        return "ok"

    def refuse():
        events.emit("thing.test", "thing", 2, actor="测试")
        raise DomainError("不行", status=409)

    with app.test_request_context("/", method="POST"):
        assert actions.perform(succeed, success=lambda r: r, done="好了", back="/") == "ok"
        response = actions.perform(refuse, success=lambda r: r, back="/there")
        assert response.status_code == 303 and response.headers["Location"] == "/there"
        assert get_flashed_messages() == ["好了", "不行"]
        with pytest.raises(TypeError):
            actions.perform(succeed, success=lambda r: r)
    # The refused call's event (and its audit entry) rolled back with it.
    assert list(db.session.scalars(select(audit.AuditEntry.object_id))) == ["1"]


def test_recorded_history_takes_any_declared_status_and_nothing_else():
    assert THING.history("gone", id=3) == {"status": "gone", "id": 3}
    with pytest.raises(ValueError):
        THING.history("lost", id=3)
