"""The poll and what a vote leaves behind. The database holds the invariants a race must not
break: one current (not superseded) poll per hearing — a partial unique index; one
participation per member and poll (the primary key), so nobody votes twice; paper counts that
add up, and a confirmer who is not the clerk — check constraints.

A secret ballot leaves no per-vote row at all. ``Participation`` records that a member voted
(never how); the choice only increments the poll's running ``Tally``, which is sealed
(encrypted with the data key, constant length) while the poll is open and cleared when it
closes, the counts then standing on the ``Poll``. A per-vote ballot row, however anonymous its
columns, could be paired with its participation row by insertion order (PostgreSQL ``xmin`` and
``ctid``, plain ``SELECT`` and ``pg_dump`` order, SQLite page layout): there is none to pair.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from portal.evaluation.codes import (
    CHOICES,
    PASS_RULES,
    POLL_MODES,
    POLL_STATUSES,
    RESULTS,
    USER_FK,
    in_list,
    partial_where,
)
from portal.extensions import UTCDateTime, db


class Poll(db.Model):
    """A vote at a hearing. Closed polls never change; a correction supersedes them."""

    __tablename__ = "eval_poll"
    __table_args__ = (
        CheckConstraint(in_list("mode", POLL_MODES), name="mode"),
        CheckConstraint(in_list("status", POLL_STATUSES), name="status"),
        CheckConstraint(in_list("pass_rule", PASS_RULES), name="pass_rule"),
        CheckConstraint("result IS NULL OR " + in_list("result", RESULTS), name="result"),
        CheckConstraint("status = 'open' OR result IS NOT NULL", name="closed_has_result"),
        CheckConstraint("present_count >= 0 AND present_count <= panel_size AND quorum >= 0",
                        name="present"),
        CheckConstraint("valid_count IS NULL OR (valid_count >= 0 AND manyi_count >= 0 AND "
                        "bumanyi_count >= 0 AND abstain_count >= 0 AND "
                        "manyi_count + bumanyi_count + abstain_count = valid_count AND "
                        "valid_count <= present_count)", name="tally"),
        Index("uq_eval_poll_current", "hearing_id", unique=True,
              **partial_where("status <> 'superseded'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    hearing_id: Mapped[int] = mapped_column(ForeignKey("eval_hearing.id"), index=True)
    mode: Mapped[str] = mapped_column(String(10))
    secret: Mapped[bool] = mapped_column(default=True)
    allow_abstain: Mapped[bool] = mapped_column(default=False)
    pass_rule: Mapped[str] = mapped_column(String(12))
    status: Mapped[str] = mapped_column(String(12))  # set by its lifecycle
    panel_size: Mapped[int]
    present_count: Mapped[int]
    quorum: Mapped[int]
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey(USER_FK))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey(USER_FK))
    valid_count: Mapped[int | None]
    manyi_count: Mapped[int | None]
    bumanyi_count: Mapped[int | None]
    abstain_count: Mapped[int | None]
    result: Mapped[str | None] = mapped_column(String(12))
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("eval_poll.id"), unique=True)
    correction_reason: Mapped[str] = mapped_column(String(200), default="")

    @property
    def mode_label(self) -> str:
        return POLL_MODES[self.mode]

    @property
    def status_label(self) -> str:
        return POLL_STATUSES[self.status]

    @property
    def result_label(self) -> str:
        return RESULTS.get(self.result or "", "")

    @property
    def pass_rule_label(self) -> str:
        return PASS_RULES[self.pass_rule]


class PaperCount(db.Model):
    """Paper ballots counted by a clerk (计票人), confirmed by a second user (监票人)."""

    __tablename__ = "eval_paper_count"
    __table_args__ = (
        CheckConstraint("issued >= 0 AND returned >= 0 AND valid >= 0 AND invalid >= 0 AND "
                        "manyi >= 0 AND bumanyi >= 0 AND abstain >= 0", name="non_negative"),
        CheckConstraint("returned <= issued", name="returned"),
        CheckConstraint("valid + invalid = returned", name="valid"),
        CheckConstraint("manyi + bumanyi + abstain = valid", name="choices"),
        CheckConstraint("confirmed_by_id IS NULL OR confirmed_by_id <> entered_by_id",
                        name="second_user"),
    )

    poll_id: Mapped[int] = mapped_column(ForeignKey("eval_poll.id"), primary_key=True)
    issued: Mapped[int]
    returned: Mapped[int]
    valid: Mapped[int]
    invalid: Mapped[int]
    manyi: Mapped[int]
    bumanyi: Mapped[int]
    abstain: Mapped[int] = mapped_column(default=0)
    entered_by_id: Mapped[int] = mapped_column(ForeignKey(USER_FK))
    entered_at: Mapped[datetime] = mapped_column(UTCDateTime)
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey(USER_FK))
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Tally(db.Model):
    """The running count of an electronic poll, one row per poll, written by every vote.

    ``sealed`` is the Fernet encryption of fixed-width counts bound to the poll id (see
    ``sealed_tally``): a database reader without the data key learns neither the counts nor, from the
    length, their size. It is set when the poll opens and cleared (NULL) when it closes, so the
    row's last writer is the closer. Triggers refuse deletes, and any change once the poll is
    no longer open.
    """

    __tablename__ = "eval_tally"

    poll_id: Mapped[int] = mapped_column(ForeignKey("eval_poll.id"), primary_key=True,
                                         autoincrement=False)
    sealed: Mapped[str | None] = mapped_column(Text)


class Participation(db.Model):
    """That a member has voted in a poll (never how). The primary key forbids a second vote."""

    __tablename__ = "eval_participation"
    __table_args__ = ({"sqlite_with_rowid": False},)

    poll_id: Mapped[int] = mapped_column(ForeignKey("eval_poll.id"), primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("eval_panel_member.id"), primary_key=True)


class OpenVote(db.Model):
    """Only for polls that settings make open (记名投票): who voted how."""

    __tablename__ = "eval_open_vote"
    __table_args__ = (CheckConstraint(in_list("choice", CHOICES), name="choice"),)

    poll_id: Mapped[int] = mapped_column(ForeignKey("eval_poll.id"), primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("eval_panel_member.id"), primary_key=True)
    choice: Mapped[str] = mapped_column(String(12))
