"""Evaluation rules, part 3: the poll — open, vote (electronic) or count (paper), close, correct.

Secret ballot, and why there is no ballot row: any per-vote row, however anonymous its
columns, is written in the voter's transaction, so the database keeps the order it came in
(PostgreSQL ``xmin``/``ctid``, the order of a plain ``SELECT`` or ``pg_dump``, SQLite page
layout and WAL frames) and pairs it with the voter's participation row. So ``cast_ballot``, in
the caller's one transaction, inserts the participation row (its primary key stops a second
vote, whatever the concurrency) and adds the choice to the poll's running tally: the tally row
is locked, decrypted, incremented and sealed again with fresh randomness at a constant length.
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

import logging
import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import event, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from portal import audit, calendar, privacy, settings
from portal.errors import DomainError
from portal.evaluation import rules
from portal.evaluation.models import (
    POLL_MODES,
    Evaluator,
    Hearing,
    Matter,
    OpenVote,
    OpinionLetter,
    PanelMember,
    PaperCount,
    Participation,
    Poll,
    Tally,
)
from portal.evaluation.panels import (
    current_poll,
    load_hearing,
    notice_in_time,
    panel_error,
    quorum,
)
from portal.evaluation.services import _text, _uid
from portal.extensions import db

MAX_COUNT = 999
TALLY_CHOICES = ("satisfied", "unsatisfied", "abstain")
log = logging.getLogger(__name__)


def decide(manyi: int, present: int, pass_rule: str) -> str:
    """满意 when 满意 ballots exceed half (or two thirds) of the members present."""
    if pass_rule == "two_thirds":
        return "satisfied" if manyi * 3 > present * 2 else "unsatisfied"
    return "satisfied" if manyi * 2 > present else "unsatisfied"


def _members_without_login(hearing: Hearing) -> list[str]:
    return [m.evaluator.name for m in hearing.members if m.present and not m.evaluator.user_id]


def _new_poll(hearing: Hearing, mode: str, actor, now: datetime, values: dict) -> Poll:
    size = len(hearing.members)
    present = sum(1 for m in hearing.members if m.present)
    return Poll(
        hearing_id=hearing.id, mode=mode, secret=bool(values[rules.SECRET_BALLOT.key]),
        allow_abstain=bool(values[rules.ALLOW_ABSTAIN.key]),
        pass_rule=values[rules.PASS_RULE.key], status="open", panel_size=size,
        present_count=present, quorum=quorum(size, values), opened_at=now,
        opened_by_id=_uid(actor))


def _insert_poll(poll: Poll) -> None:
    try:
        with db.session.begin_nested():
            db.session.add(poll)
    except IntegrityError:
        raise DomainError("本次评价会已有进行中或已结束的投票", status=409) from None
    if poll.mode == "electronic":
        db.session.add(Tally(poll_id=poll.id, sealed=_seal(poll.id, dict.fromkeys(TALLY_CHOICES, 0))))
        db.session.flush()


def open_poll(hearing: Hearing, mode: str, actor, now: datetime,
              values: dict | None = None) -> Poll:
    """⑤ Open the vote: notice public in time, a proper panel, attendance taken, quorum."""
    values = values or settings.current_values()
    if mode not in POLL_MODES:
        raise DomainError({"mode": "请选择投票方式"})
    if hearing.status != "noticed":
        raise DomainError(f"评价会当前为“{hearing.status_label}”，不能开始投票", status=409)
    if now.date() != hearing.day:
        raise DomainError(f"只能在评价会当天（{calendar.format_date(hearing.day)}）开始投票",
                          status=409)
    days = values[rules.NOTICE_DAYS.key]
    if not notice_in_time(hearing.notice_published_at, hearing.day, days):
        raise DomainError(f"评价会公告未在评价会前 {days} 个整日公开，不能开始投票", status=409)
    if current_poll(hearing.id) is not None:
        raise DomainError("本次评价会已有进行中或已结束的投票", status=409)
    if message := panel_error(hearing, values):
        raise DomainError(message, status=409)
    if any(m.present is None for m in hearing.members):
        raise DomainError("请先登记评价小组成员的出席情况", status=409)
    poll = _new_poll(hearing, mode, actor, now, values)
    if poll.present_count < poll.quorum:
        raise DomainError(
            f"出席 {poll.present_count} 人，不足法定人数 {poll.quorum} 人（评价小组 "
            f"{poll.panel_size} 人的 {values[rules.QUORUM_NUMERATOR.key]}/"
            f"{values[rules.QUORUM_DENOMINATOR.key]}），不能开始投票", status=409)
    if mode == "electronic" and (missing := _members_without_login(hearing)):
        raise DomainError("以下出席的评价员没有评价员账号，不能电子投票，请改用纸质投票："
                          + "、".join(missing), status=409)
    _insert_poll(poll)
    audit.record("evaluation.poll.open", "eval_poll", poll.id, actor=actor, hearing=hearing.id,
                 mode=mode, present=poll.present_count, panel=poll.panel_size)
    return poll


def _locked_poll(poll_id: int, exclusive: bool) -> Poll | None:
    query = select(Poll).where(Poll.id == poll_id).with_for_update(read=not exclusive)
    return db.session.execute(query.execution_options(populate_existing=True)).scalar()


def cast_ballot(poll_id: int, user, choice: str) -> None:
    """A present panel member votes once. Nothing stored says how they voted (unless settings
    made the poll open, 记名): the choice only moves the sealed tally."""
    poll = _locked_poll(poll_id, exclusive=False)
    if poll is None:
        raise DomainError("投票不存在", status=404)
    member = db.session.scalar(
        select(PanelMember).join(Evaluator, Evaluator.id == PanelMember.evaluator_id)
        .where(PanelMember.hearing_id == poll.hearing_id, Evaluator.user_id == _uid(user)))
    if member is None:
        raise DomainError("您不是本次评价会的评价员，不能投票", status=403)
    if poll.status != "open":
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
    _count_vote(poll.id, choice)
    if not poll.secret:
        db.session.add(OpenVote(poll_id=poll.id, member_id=member.id, choice=choice))
    db.session.flush()


def has_voted(poll_id: int, member_id: int) -> bool:
    return db.session.get(Participation, (poll_id, member_id)) is not None


def voted_count(poll_id: int) -> int:
    return db.session.scalar(select(func.count()).select_from(Participation)
                             .where(Participation.poll_id == poll_id))


# --- the sealed tally -------------------------------------------------------------------------

class TallyError(DomainError):
    """The sealed tally cannot be read or does not add up: a wrong DATA_KEY, or tampering."""

    def __init__(self, message: str):
        super().__init__(message + "；请联系系统管理员", status=500)


# Fixed width, so every sealed value has the same length (120 characters); the poll id inside
# stops a tally being copied from one poll to another.
_SEALED = "tally:v1:{poll:010d}:{satisfied:03d}:{unsatisfied:03d}:{abstain:03d}"
_UNSEALED = re.compile(r"tally:v1:(\d{10}):(\d{3}):(\d{3}):(\d{3})")


def _seal(poll_id: int, counts: dict[str, int]) -> str:
    if not all(0 <= counts[c] <= MAX_COUNT for c in TALLY_CHOICES):
        raise TallyError("计票数超出范围")
    return privacy.encrypt(_SEALED.format(poll=poll_id, **counts))


def _unseal(poll_id: int, sealed: str | None) -> dict[str, int]:
    match = _UNSEALED.fullmatch(privacy.decrypt(sealed) or "")
    if match is None or int(match[1]) != poll_id:
        raise TallyError("本次投票的计票数据无法读取（数据密钥不符，或数据被改动）")
    return dict(zip(TALLY_CHOICES, map(int, match.groups()[1:]), strict=True))


def _count_vote(poll_id: int, choice: str) -> None:
    """Add one vote to the sealed tally: lock, decrypt, increment, re-encrypt (fresh IV)."""
    sealed = db.session.scalar(select(Tally.sealed).where(Tally.poll_id == poll_id)
                               .with_for_update())
    counts = _unseal(poll_id, sealed)
    counts[choice] += 1
    db.session.execute(update(Tally).where(Tally.poll_id == poll_id)
                       .values(sealed=_seal(poll_id, counts))
                       .execution_options(synchronize_session=False))


def _checkpoint_sqlite_wal(session: Session) -> None:
    """After a close commits on SQLite: copy the WAL into the database and truncate it, so the
    page images of every vote's commit (participation rows, intermediate tallies) do not
    linger. Best effort: a busy database only leaves the WAL for the next checkpoint."""
    try:
        raw = session.get_bind().raw_connection()  # no SQLAlchemy BEGIN: pysqlite autocommit
        try:
            cursor = raw.cursor()
            timeout = cursor.execute("PRAGMA busy_timeout").fetchone()[0]
            cursor.execute("PRAGMA busy_timeout = 2000")
            busy = cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
            cursor.execute(f"PRAGMA busy_timeout = {int(timeout)}")
        finally:
            raw.close()
        if busy:
            log.warning("WAL checkpoint after closing a poll was blocked; it will happen later")
    except Exception:  # never fail the request that closed the poll
        log.exception("WAL checkpoint after closing a poll failed")


def _checkpoint_after_commit() -> None:
    session = db.session()
    if db.engine.dialect.name == "sqlite" and not event.contains(
            session, "after_commit", _checkpoint_sqlite_wal):
        event.listen(session, "after_commit", _checkpoint_sqlite_wal, once=True)


def _close_tally(poll: Poll) -> dict[str, int]:
    """The electronic count at close (poll row held exclusively): the tally must add up to the
    participation rows (and, in a 记名 poll, to the open votes); then it is cleared — before the
    poll's status changes, which the tally's trigger requires — so that the tally row's last
    writer is the closer, not the last voter."""
    counts = tally(poll)
    voted = voted_count(poll.id)
    if sum(counts.values()) != voted:
        raise TallyError(f"计票数据不一致：计票 {sum(counts.values())} 票，投票记录 {voted} 人")
    if not poll.secret:
        named = dict(db.session.execute(select(OpenVote.choice, func.count()).where(
            OpenVote.poll_id == poll.id).group_by(OpenVote.choice)).all())
        if counts != {c: named.get(c, 0) for c in TALLY_CHOICES}:
            raise TallyError("计票数据与记名投票记录不一致")
    db.session.execute(update(Tally).where(Tally.poll_id == poll.id).values(sealed=None)
                       .execution_options(synchronize_session=False))
    _checkpoint_after_commit()
    return counts


# --- paper ballots -----------------------------------------------------------------------------

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
    if poll.status != "open":
        raise DomainError("投票已结束，计票结果不能再修改；如需更正，请说明理由另行更正", status=409)
    if poll.mode != "paper":
        raise DomainError("本次为电子投票，票数由系统统计", status=409)
    row = db.session.get(PaperCount, poll.id)
    if row is not None and row.confirmed_by_id is not None:
        raise DomainError("计票结果已经确认，不能再修改", status=409)
    if reasons := paper_errors(counts, poll.present_count, poll.allow_abstain):
        raise DomainError(reasons)
    clerk_id = _uid(actor)
    if row is None:
        row = PaperCount(poll_id=poll.id)
    for name in PAPER_LABELS:
        setattr(row, name, getattr(counts, name) or 0)
    row.entered_by_id, row.entered_at = clerk_id, now
    db.session.add(row)
    db.session.flush()
    audit.record("evaluation.poll.paper_enter", "eval_poll", poll.id, actor=actor,
                 **{name: getattr(row, name) for name in PAPER_LABELS})
    return row


def confirm_paper_counts(poll: Poll, actor, now: datetime) -> None:
    """The scrutineer (监票人) confirms with their own login — never the clerk."""
    if poll.status != "open" or poll.mode != "paper":
        raise DomainError("没有待确认的纸质计票结果", status=409)
    row = db.session.get(PaperCount, poll.id)
    if row is None:
        raise DomainError("计票人尚未录入票数", status=409)
    if row.confirmed_by_id is not None:
        raise DomainError("计票结果已经确认", status=409)
    if row.entered_by_id == _uid(actor):
        raise DomainError("计票人不能确认自己录入的票数：请由另一名工作人员（监票人）用本人账号登录确认",
                          status=403)
    row.confirmed_by_id, row.confirmed_at = _uid(actor), now
    db.session.flush()
    audit.record("evaluation.poll.paper_confirm", "eval_poll", poll.id, actor=actor)


# --- closing and correcting --------------------------------------------------------------------

def tally(poll: Poll) -> dict[str, int]:
    """The counts: once closed, those recorded on the poll; while open, the confirmed paper
    counts or the sealed electronic tally (which needs the data key)."""
    if poll.status != "open":
        return {"satisfied": poll.manyi_count, "unsatisfied": poll.bumanyi_count,
                "abstain": poll.abstain_count}
    if poll.mode == "paper":
        row = db.session.get(PaperCount, poll.id)
        return {"satisfied": row.manyi, "unsatisfied": row.bumanyi, "abstain": row.abstain}
    sealed = db.session.scalar(select(Tally.sealed).where(Tally.poll_id == poll.id))
    return _unseal(poll.id, sealed)


def close_poll(poll_id: int, actor, now: datetime) -> Poll:
    """Close the poll: count, and decide the result by the rule fixed when it opened."""
    poll = _locked_poll(poll_id, exclusive=True)
    if poll is None:
        raise DomainError("投票不存在", status=404)
    if poll.status != "open":
        raise DomainError("投票已结束，结果不能修改；如需更正，请说明理由另行发起更正", status=409)
    if poll.mode == "paper":
        row = db.session.get(PaperCount, poll.id)
        if row is None or row.confirmed_by_id is None:
            raise DomainError("纸质计票结果尚未经第二名工作人员（监票人）确认，不能结束投票",
                              status=409)
    counts = tally(poll) if poll.mode == "paper" else _close_tally(poll)
    poll.manyi_count, poll.bumanyi_count = counts["satisfied"], counts["unsatisfied"]
    poll.abstain_count = counts["abstain"]
    poll.valid_count = sum(counts.values())
    poll.result = decide(poll.manyi_count, poll.present_count, poll.pass_rule)
    poll.status, poll.closed_at, poll.closed_by_id = "closed", now, _uid(actor)
    hearing = db.session.get(Hearing, poll.hearing_id)
    matter = db.session.get(Matter, hearing.matter_id)
    matter.status, matter.updated_at = "voted", now
    db.session.flush()
    audit.record("evaluation.poll.close", "eval_poll", poll.id, actor=actor, hearing=hearing.id,
                 valid=poll.valid_count, manyi=poll.manyi_count, bumanyi=poll.bumanyi_count,
                 abstain=poll.abstain_count, result=poll.result)
    return poll


def correct_poll(poll_id: int, reason: str, mode: str, actor, now: datetime) -> Poll:
    """A reasoned correction: the closed poll is superseded (its record kept as it was) and a
    new poll opens with the same attendance. Not once the letter is issued."""
    poll = _locked_poll(poll_id, exclusive=True)
    if poll is None:
        raise DomainError("投票不存在", status=404)
    if poll.status != "closed":
        raise DomainError("只能更正已结束的投票", status=409)
    hearing = db.session.get(Hearing, poll.hearing_id)
    if hearing.result_published_at is not None:
        raise DomainError("评价结果已公布，不能更正表决", status=409)
    issued = db.session.scalar(select(OpinionLetter.issued_at).where(
        OpinionLetter.hearing_id == hearing.id))
    if issued is not None:
        raise DomainError("第三方评价意见书已签发，不能更正表决", status=409)
    reasons: dict[str, str] = {}
    reason = _text(reasons, "reason", reason, "更正理由", 200, minimum=5)
    if mode not in POLL_MODES:
        reasons["mode"] = "请选择投票方式"
    if reasons:
        raise DomainError(reasons)
    hearing = load_hearing(hearing.id)
    if mode == "electronic" and (missing := _members_without_login(hearing)):
        raise DomainError("以下出席的评价员没有评价员账号，不能电子投票：" + "、".join(missing),
                          status=409)
    poll.status = "superseded"
    db.session.flush()
    new = Poll(hearing_id=hearing.id, mode=mode, secret=poll.secret,
               allow_abstain=poll.allow_abstain, pass_rule=poll.pass_rule, status="open",
               panel_size=poll.panel_size, present_count=poll.present_count, quorum=poll.quorum,
               opened_at=now, opened_by_id=_uid(actor), supersedes_id=poll.id,
               correction_reason=reason)
    _insert_poll(new)
    matter = db.session.get(Matter, hearing.matter_id)
    matter.status, matter.updated_at = "noticed", now
    audit.record("evaluation.poll.correct", "eval_poll", new.id, actor=actor,
                 supersedes=poll.id, reason=reason, mode=mode)
    return new


def poll_history(hearing_id: int) -> list[Poll]:
    return list(db.session.scalars(select(Poll).where(Poll.hearing_id == hearing_id)
                                   .order_by(Poll.id)))
