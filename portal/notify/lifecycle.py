"""The outbox message's lifecycle: the one writer of a message's status.

pending → sending (a sender claimed it) → sent, or back to pending with a later attempt, or
failed after the last attempt; a message held longer than the lease (its sender died) is
released to pending; staff send a failed one again (``retry``, audited). Only ``retry`` is a
staff act: the sender's own moves are not audited (the outbox row is their record).
"""
from __future__ import annotations

from portal.lifecycle import Lifecycle, Transition
from portal.notify.models import MESSAGE_STATUSES

STAFF = frozenset({"reception"})


def _system(event: str, sources: set[str], target: str, label: str) -> Transition:
    return Transition(event, frozenset(sources), target, label, audited=False)


MESSAGE = Lifecycle(
    "message", MESSAGE_STATUSES,
    [
        _system("claim", {"pending"}, "sending", "发送"),
        _system("deliver", {"sending"}, "sent", "记为已发送"),
        _system("reschedule", {"sending"}, "pending", "稍后重试"),
        _system("give_up", {"sending"}, "failed", "记为发送失败"),
        _system("release", {"sending"}, "pending", "收回"),
        Transition("retry", frozenset({"failed"}), "pending", "重新发送", STAFF),
    ],
    initial="pending",
    object_type="outbox_message",
    wrong_status={"retry": "只有发送失败的消息可以重新发送（当前：{status}）"},
)
