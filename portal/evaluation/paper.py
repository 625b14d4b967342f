"""Paper ballots: the clerk (计票人) enters the counts, a second staff member (监票人)
confirms them with their own login before the result stands. The counts must add up.
Callers commit."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from portal.errors import DomainError
from portal.evaluation import queries
from portal.evaluation.fields import actor_id
from portal.evaluation.lifecycle import POLL
from portal.evaluation.poll_records import PaperCount, Poll
from portal.evaluation.sealed_tally import MAX_COUNT
from portal.extensions import db


@dataclass
class PaperCounts:
    issued: int | None
    returned: int | None
    valid: int | None
    invalid: int | None
    manyi: int | None
    bumanyi: int | None
    abstain: int | None = 0


PAPER_LABELS = {"issued": "发出票数", "returned": "收回票数", "valid": "有效票", "invalid": "无效票",
                "manyi": "满意票", "bumanyi": "不满意票", "abstain": "弃权票"}


def paper_errors(c: PaperCounts, present: int, allow_abstain: bool) -> dict[str, str]:
    """The counts must add up: returned ≤ issued ≤ present, valid + invalid = returned,
    满意 + 不满意 (+ 弃权) = valid."""
    reasons = {}
    for name, label in PAPER_LABELS.items():
        value = getattr(c, name)
        if value is None or not 0 <= value <= MAX_COUNT:
            reasons[name] = f"{label}应为 0–{MAX_COUNT} 的整数"
    if reasons:
        return reasons
    if c.issued > present:
        reasons["issued"] = f"发出票数（{c.issued}）不能多于出席人数（{present}）"
    if c.returned > c.issued:
        reasons["returned"] = f"收回票数（{c.returned}）不能多于发出票数（{c.issued}）"
    if c.valid + c.invalid != c.returned:
        reasons["invalid"] = (f"有效票 + 无效票（{c.valid} + {c.invalid} = {c.valid + c.invalid}）"
                              f"应等于收回票数（{c.returned}）")
    if c.abstain and not allow_abstain:
        reasons["abstain"] = "本次投票不设弃权票"
    elif c.manyi + c.bumanyi + c.abstain != c.valid:
        total = c.manyi + c.bumanyi + c.abstain
        reasons["bumanyi"] = (f"满意票 + 不满意票{' + 弃权票' if allow_abstain else ''}"
                              f"（{total}）应等于有效票（{c.valid}）")
    return reasons


def enter_paper_counts(poll: Poll, counts: PaperCounts, actor, now: datetime) -> PaperCount:
    """The clerk (计票人) enters the counts; they stand only after a second user confirms."""
    POLL.check(poll, "paper_enter", actor, now)
    if reasons := paper_errors(counts, poll.present_count, poll.allow_abstain):
        raise DomainError(reasons)
    row = queries.paper_count(poll.id) or PaperCount(poll_id=poll.id)
    for name in PAPER_LABELS:
        setattr(row, name, getattr(counts, name) or 0)
    row.entered_by_id, row.entered_at = actor_id(actor), now
    db.session.add(row)
    POLL.fire(poll, "paper_enter", actor, now,
              **{name: getattr(row, name) for name in PAPER_LABELS})
    return row


def confirm_paper_counts(poll: Poll, actor, now: datetime) -> None:
    """The scrutineer (监票人) confirms with their own login — never the clerk."""
    POLL.fire(poll, "paper_confirm", actor, now)  # the poll stays open; the clerk is refused
    row = queries.paper_count(poll.id)
    row.confirmed_by_id, row.confirmed_at = actor_id(actor), now
    db.session.flush()
