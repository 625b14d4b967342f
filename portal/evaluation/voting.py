"""⑤ The poll: open it, vote (electronic; paper counts are in ``paper``), close, correct.

Secret ballot, and why there is no ballot row: any per-vote row, however anonymous its
columns, is written in the voter's transaction, so the database keeps the order it came in
(PostgreSQL ``xmin``/``ctid``, the order of a plain ``SELECT`` or ``pg_dump``, SQLite page
layout and WAL frames) and pairs it with the voter's participation row. So ``cast_ballot``, in
the caller's one transaction, inserts the participation row (its primary key stops a second
vote, whatever the concurrency) and adds the choice to the poll's running tally
(``sealed_tally``): the tally row is locked, decrypted, incremented and sealed again with fresh
randomness at a constant length.
Nothing stored says how anyone voted; without the data key not even the running counts show.
Voters share-lock the poll row and closing takes it exclusively, so no vote slips in after the
count (PostgreSQL; SQLite write transactions are serialised by BEGIN IMMEDIATE).

Closing checks that the tally adds up to the participation rows, writes the counts on the poll
and clears the sealed tally; on SQLite the WAL, which keeps every committed page image
(intermediate tallies included), is then checkpointed and truncated.

Tallies are computed, never typed in as a result. A closed poll never changes: a correction is
a new poll that supersedes it, with a reason, in the audit log.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal import events, settings
from portal.errors import DomainError
from portal.evaluation import queries, rules, sealed_tally
from portal.evaluation.codes import POLL_MODES
from portal.evaluation.fields import actor_id, clean_text
from portal.evaluation.guards import poll_open
from portal.evaluation.lifecycle import HEARING, MATTER, POLL
from portal.evaluation.models import Evaluator, Hearing, Matter, PanelMember
from portal.evaluation.poll_records import OpenVote, Participation, Poll
from portal.extensions import db


def _members_without_login(hearing: Hearing) -> list[str]:
    return [m.evaluator.name for m in hearing.members if m.present and not m.evaluator.user_id]


def _new_poll(hearing: Hearing, mode: str, actor, now: datetime, values: dict) -> Poll:
    size = len(hearing.members)
    present = sum(1 for m in hearing.members if m.present)
    return POLL.new(
        Poll, hearing_id=hearing.id, mode=mode, secret=bool(values[rules.SECRET_BALLOT.key]),
        allow_abstain=bool(values[rules.ALLOW_ABSTAIN.key]),
        pass_rule=values[rules.PASS_RULE.key], panel_size=size,
        present_count=present, quorum=rules.quorum(size, values), opened_at=now,
        opened_by_id=actor_id(actor))


def _insert_poll(poll: Poll) -> None:
    try:
        with db.session.begin_nested():
            db.session.add(poll)
    except IntegrityError:
        raise DomainError("本次评价会已有进行中或已结束的投票", status=409) from None
    if poll.mode == "electronic":
        db.session.add(sealed_tally.start(poll.id))
        db.session.flush()


def open_poll(hearing: Hearing, mode: str, actor, now: datetime,
              values: dict | None = None) -> Poll:
    """⑤ Open the vote: notice public in time, a proper panel, attendance taken, quorum (the
    hearing's ``open_poll`` guards); electronic only when every member present has a login."""
    values = values or settings.current_values()
    if mode not in POLL_MODES:
        raise DomainError({"mode": "请选择投票方式"})
    HEARING.check(hearing, "open_poll", actor, now, values=values)
    if mode == "electronic" and (missing := _members_without_login(hearing)):
        raise DomainError("以下出席的评价员没有评价员账号，不能电子投票，请改用纸质投票："
                          + "、".join(missing), status=409)
    poll = _new_poll(hearing, mode, actor, now, values)
    _insert_poll(poll)
    events.emit("evaluation.poll.open", "eval_poll", poll.id, actor=actor, hearing=hearing.id,
                mode=mode, present=poll.present_count, panel=poll.panel_size)
    return poll


def _locked_poll(poll_id: int, exclusive: bool) -> Poll | None:
    query = select(Poll).where(Poll.id == poll_id).with_for_update(read=not exclusive)
    return db.session.execute(query.execution_options(populate_existing=True)).scalar()


def cast_ballot(poll_id: int, user, choice: str) -> None:
    """A present panel member votes once. Nothing stored says how they voted (unless settings
    made the poll open, 记名): the choice only moves the sealed tally. No event is emitted:
    a vote leaves no trace in the audit log (which records who acted, and when)."""
    poll = _locked_poll(poll_id, exclusive=False)
    if poll is None:
        raise DomainError("投票不存在", status=404)
    member = db.session.scalar(
        select(PanelMember).join(Evaluator, Evaluator.id == PanelMember.evaluator_id)
        .where(PanelMember.hearing_id == poll.hearing_id, Evaluator.user_id == actor_id(user)))
    if member is None:
        raise DomainError("您不是本次评价会的评价员，不能投票", status=403)
    if not poll_open(poll):
        raise DomainError("投票已结束", status=409)
    if poll.mode != "electronic":
        raise DomainError("本次评价会采用纸质投票", status=409)
    if not member.present:
        raise DomainError("您未登记出席本次评价会，不能投票", status=403)
    allowed = ("satisfied", "unsatisfied") + (("abstain",) if poll.allow_abstain else ())
    if choice not in allowed:
        raise DomainError({"choice": "请选择“满意”或“不满意”"
                           + ("或“弃权”" if poll.allow_abstain else "")})
    try:
        with db.session.begin_nested():
            db.session.add(Participation(poll_id=poll.id, member_id=member.id))
    except IntegrityError:
        raise DomainError("您已投票，每人只能投一次", status=409) from None
    sealed_tally.count_vote(poll.id, choice)
    if not poll.secret:
        db.session.add(OpenVote(poll_id=poll.id, member_id=member.id, choice=choice))
    db.session.flush()


def tally(poll: Poll) -> dict[str, int]:
    """The counts: once closed, those recorded on the poll; while open, the confirmed paper
    counts or the sealed electronic tally (which needs the data key)."""
    if not poll_open(poll):
        return {"satisfied": poll.manyi_count, "unsatisfied": poll.bumanyi_count,
                "abstain": poll.abstain_count}
    if poll.mode == "paper":
        row = queries.paper_count(poll.id)
        return {"satisfied": row.manyi, "unsatisfied": row.bumanyi, "abstain": row.abstain}
    return sealed_tally.running_counts(poll.id)


def close_poll(poll_id: int, actor, now: datetime) -> Poll:
    """Close the poll: count, and decide the result by the rule fixed when it opened."""
    poll = _locked_poll(poll_id, exclusive=True)
    if poll is None:
        raise DomainError("投票不存在", status=404)
    POLL.check(poll, "close", actor, now)
    counts = tally(poll) if poll.mode == "paper" else sealed_tally.close(poll)
    poll.manyi_count, poll.bumanyi_count = counts["satisfied"], counts["unsatisfied"]
    poll.abstain_count = counts["abstain"]
    poll.valid_count = sum(counts.values())
    poll.result = rules.decide(poll.manyi_count, poll.present_count, poll.pass_rule)
    poll.closed_at, poll.closed_by_id = now, actor_id(actor)
    hearing = db.session.get(Hearing, poll.hearing_id)
    POLL.fire(poll, "close", actor, now, hearing=hearing.id, valid=poll.valid_count,
              manyi=poll.manyi_count, bumanyi=poll.bumanyi_count, abstain=poll.abstain_count,
              result=poll.result)
    matter = db.session.get(Matter, hearing.matter_id)
    MATTER.fire(matter, "vote", actor, now)
    matter.updated_at = now
    return poll


def correct_poll(poll_id: int, reason: str, mode: str, actor, now: datetime) -> Poll:
    """A reasoned correction: the closed poll is superseded (its record kept as it was) and a
    new poll opens with the same attendance. Not once the letter is issued."""
    poll = _locked_poll(poll_id, exclusive=True)
    if poll is None:
        raise DomainError("投票不存在", status=404)
    POLL.check(poll, "supersede", actor, now)
    reasons: dict[str, str] = {}
    reason = clean_text(reasons, "reason", reason, "更正理由", 200, minimum=5)
    if mode not in POLL_MODES:
        reasons["mode"] = "请选择投票方式"
    if reasons:
        raise DomainError(reasons)
    hearing = queries.load_hearing(poll.hearing_id)
    if mode == "electronic" and (missing := _members_without_login(hearing)):
        raise DomainError("以下出席的评价员没有评价员账号，不能电子投票：" + "、".join(missing),
                          status=409)
    POLL.fire(poll, "supersede", actor, now)
    new = POLL.new(Poll, hearing_id=hearing.id, mode=mode, secret=poll.secret,
                   allow_abstain=poll.allow_abstain, pass_rule=poll.pass_rule,
                   panel_size=poll.panel_size, present_count=poll.present_count,
                   quorum=poll.quorum, opened_at=now, opened_by_id=actor_id(actor),
                   supersedes_id=poll.id, correction_reason=reason)
    _insert_poll(new)
    matter = db.session.get(Matter, hearing.matter_id)
    MATTER.fire(matter, "revote", actor, now)
    matter.updated_at = now
    events.emit("evaluation.poll.correct", "eval_poll", new.id, actor=actor,
                supersedes=poll.id, reason=reason, mode=mode)
    return new
