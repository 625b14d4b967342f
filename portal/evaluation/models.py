"""Evaluation records. The database holds the invariants a race must not break:

- one open-or-accepted application per matter, one live hearing per matter, one current
  (not superseded) poll per hearing — partial unique indexes;
- one membership per evaluator and hearing, at most one chair per panel;
- one participation per member and poll (the primary key), so nobody votes twice;
- paper counts that add up, and a confirmer who is not the clerk — check constraints.

A secret ballot leaves no per-vote row at all. ``Participation`` records that a member voted
(never how); the choice only increments the poll's running ``Tally``, which is sealed
(encrypted with the data key, constant length) while the poll is open and cleared when it
closes, the counts then standing on the ``Poll``. A per-vote ballot row, however anonymous its
columns, could be paired with its participation row by insertion order (PostgreSQL ``xmin`` and
``ctid``, plain ``SELECT`` and ``pg_dump`` order, SQLite page layout): there is none to pair.
"""
from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    String,
    Text,
    Time,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal import privacy
from portal.extensions import UTCDateTime, db
from portal.identity import id_tail_check_sql, keyed_hash_check_sql

EVALUATOR_CATEGORIES = ("人大代表", "政协委员", "律师", "群众代表", "网友代表", "邻里", "同事", "其他")
LEVELS = {"county": "县评价小组", "township": "镇乡/部门评价小组"}
MATTER_STATUSES = {
    "registered": "待申请",
    "applied": "待审查",
    "refused": "不予受理",
    "accepted": "已受理",
    "scheduled": "已安排评价会",
    "noticed": "已公告",
    "voted": "已表决",
    "satisfied": "评价满意",
    "follow_up": "跟踪督办",
    "closed": "督办办结",
}
RESULTS = {"satisfied": "满意", "unsatisfied": "不满意"}
CHOICES = {"satisfied": "满意", "unsatisfied": "不满意", "abstain": "弃权"}
APPLICATION_STATUSES = {"pending": "待审查", "accepted": "已受理", "refused": "不予受理"}
# The four conditions of an application (DESIGN.md §2), in the order they are checked.
CONDITIONS = {
    "handled": "责任单位已调查核实并出具处理意见",
    "dissatisfied": "信访人对处理意见仍不满意",
    "applied": "责任单位已提出第三方评价申请",
    "confirmed": "评价办已审查确认",
}
HEARING_STATUSES = {"planned": "未公告", "noticed": "已公告", "published": "结果已公布",
                    "cancelled": "已取消"}
POLL_MODES = {"electronic": "电子投票", "paper": "纸质投票"}
POLL_STATUSES = {"open": "投票中", "closed": "已结束", "superseded": "已更正（作废）"}
PASS_RULES = {"half": "满意票超过出席人数的一半", "two_thirds": "满意票超过出席人数的三分之二"}
RECUSAL_SOURCES = {"party": "当事人申请", "office": "评价办决定", "self": "评价员自行回避"}
RECUSAL_DECISIONS = {"pending": "待决定", "granted": "准予回避", "refused": "不予回避"}
PARTIES = {"petitioner": "信访人", "unit": "责任单位"}
DELIVERY_METHODS = {"in_person": "当面送达", "mail": "邮寄送达", "electronic": "电子送达"}
FOLLOWUP_STATUSES = {"open": "督办中", "done": "已办结"}


def _in(column: str, values) -> str:
    return f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")"


def _where(sql: str) -> dict:
    """The same partial-index condition for SQLite and PostgreSQL."""
    return {"sqlite_where": text(sql), "postgresql_where": text(sql)}


USER_FK = "user_account.id"


class Matter(db.Model):
    __tablename__ = "eval_matter"
    __table_args__ = (
        CheckConstraint(_in("status", MATTER_STATUSES), name="status"),
        CheckConstraint(_in("level", LEVELS), name="level"),
        CheckConstraint("result IS NULL OR " + _in("result", RESULTS), name="result"),
        # Identifiers only in canonical form (identity.canonical): one person, one hash.
        CheckConstraint(id_tail_check_sql("petitioner_id_last4"),
                        name="petitioner_id_last4_canonical"),
        CheckConstraint(keyed_hash_check_sql("petitioner_id_hash"), name="keyed_hashes"),
        Index("ix_eval_matter_status", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(40))  # 事项编号, as typed
    number_key: Mapped[str] = mapped_column(String(40), unique=True)  # normalised, for matching
    title: Mapped[str] = mapped_column(String(100))
    category: Mapped[str] = mapped_column(String(20))
    unit: Mapped[str] = mapped_column(String(60))  # 责任单位
    level: Mapped[str] = mapped_column(String(10))
    summary: Mapped[str] = mapped_column(String(500))  # 事项概要 for the public notice
    petitioner_name: Mapped[str] = mapped_column(String(30))
    petitioner_id_cipher: Mapped[str] = mapped_column(Text)
    petitioner_id_hash: Mapped[str] = mapped_column(String(64), index=True)
    petitioner_id_last4: Mapped[str] = mapped_column(String(4))
    petitioner_phone_cipher: Mapped[str] = mapped_column(Text)
    petitioner_address_cipher: Mapped[str] = mapped_column(Text)
    opinion_cipher: Mapped[str] = mapped_column(Text)  # 处理意见 (case content: encrypted)
    opinion_date: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(12), default="registered")
    result: Mapped[str | None] = mapped_column(String(12))
    result_published_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    @property
    def status_label(self) -> str:
        return MATTER_STATUSES[self.status]

    @property
    def level_label(self) -> str:
        return LEVELS[self.level]

    @property
    def result_label(self) -> str:
        return RESULTS.get(self.result or "", "")

    @property
    def is_satisfied(self) -> bool:
        """The mark: evaluated 满意 and published — no further county-leader reception."""
        return self.result == "satisfied" and self.result_published_on is not None

    @property
    def masked_name(self) -> str:
        return privacy.mask_name(self.petitioner_name)

    @property
    def masked_id(self) -> str:
        return privacy.masked_id_number(self.petitioner_id_last4)

    @property
    def phone(self) -> str:
        return privacy.decrypt(self.petitioner_phone_cipher) or ""

    @property
    def address(self) -> str:
        return privacy.decrypt(self.petitioner_address_cipher) or ""

    @property
    def handling_opinion(self) -> str:
        return privacy.decrypt(self.opinion_cipher) or ""


class Application(db.Model):
    """The responsible unit's application for evaluation, with its four conditions."""

    __tablename__ = "eval_application"
    __table_args__ = (
        CheckConstraint(_in("status", APPLICATION_STATUSES), name="status"),
        Index("uq_eval_application_live", "matter_id", unique=True,
              **_where("status IN ('pending', 'accepted')")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    matter_id: Mapped[int] = mapped_column(ForeignKey("eval_matter.id"), index=True)
    unit: Mapped[str] = mapped_column(String(60))  # the applying township or department
    applied_on: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(10), default="pending")
    decision_reason: Mapped[str] = mapped_column(String(200), default="")
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey(USER_FK))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey(USER_FK))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    conditions: Mapped[list[ApplicationCondition]] = relationship(
        back_populates="application", cascade="all, delete-orphan", lazy="raise",
        order_by="ApplicationCondition.code")

    @property
    def status_label(self) -> str:
        return APPLICATION_STATUSES[self.status]


class ApplicationCondition(db.Model):
    __tablename__ = "eval_condition"
    __table_args__ = (CheckConstraint(_in("code", CONDITIONS), name="code"),)

    application_id: Mapped[int] = mapped_column(
        ForeignKey("eval_application.id", ondelete="CASCADE"), primary_key=True)
    code: Mapped[str] = mapped_column(String(20), primary_key=True)
    holds: Mapped[bool]
    note: Mapped[str] = mapped_column(String(200), default="")
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey(USER_FK))
    confirmed_at: Mapped[datetime] = mapped_column(UTCDateTime)

    application: Mapped[Application] = relationship(back_populates="conditions", lazy="raise")

    @property
    def label(self) -> str:
        return CONDITIONS[self.code]


class Evaluator(db.Model):
    """A person in the evaluator pool (评价员库); optionally linked to a ``panel`` login."""

    __tablename__ = "eval_evaluator"
    __table_args__ = (CheckConstraint(_in("category", EVALUATOR_CATEGORIES), name="category"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(20))
    category: Mapped[str] = mapped_column(String(10))
    organisation: Mapped[str] = mapped_column(String(60), default="")
    contact: Mapped[str] = mapped_column(String(60), default="")
    active: Mapped[bool] = mapped_column(default=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey(USER_FK), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Hearing(db.Model):
    """The evaluation hearing (评价会): its time and place, notice and published result."""

    __tablename__ = "eval_hearing"
    __table_args__ = (
        CheckConstraint(_in("status", HEARING_STATUSES), name="status"),
        CheckConstraint(_in("level", LEVELS), name="level"),
        Index("uq_eval_hearing_live", "matter_id", unique=True,
              **_where("status <> 'cancelled'")),
        Index("ix_eval_hearing_day", "day"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    matter_id: Mapped[int] = mapped_column(ForeignKey("eval_matter.id"), index=True)
    level: Mapped[str] = mapped_column(String(10))
    day: Mapped[date] = mapped_column(Date)
    start_time: Mapped[time] = mapped_column(Time)
    place: Mapped[str] = mapped_column(String(60))
    status: Mapped[str] = mapped_column(String(10), default="planned")
    cancel_reason: Mapped[str] = mapped_column(String(200), default="")
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The notice as published, frozen: masked party name and summary (no personal data).
    notice_published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    notice_party: Mapped[str] = mapped_column(String(40), default="")
    notice_title: Mapped[str] = mapped_column(String(100), default="")
    notice_summary: Mapped[str] = mapped_column(String(500), default="")
    result_published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey(USER_FK))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    matter: Mapped[Matter] = relationship(lazy="raise")
    members: Mapped[list[PanelMember]] = relationship(
        back_populates="hearing", lazy="raise", order_by="PanelMember.id",
        cascade="all, delete-orphan")

    @property
    def status_label(self) -> str:
        return HEARING_STATUSES[self.status]

    @property
    def level_label(self) -> str:
        return LEVELS[self.level]


class PanelMember(db.Model):
    __tablename__ = "eval_panel_member"
    __table_args__ = (
        UniqueConstraint("hearing_id", "evaluator_id"),
        Index("uq_eval_panel_member_chair", "hearing_id", unique=True,
              sqlite_where=text("is_chair = 1"), postgresql_where=text("is_chair")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    hearing_id: Mapped[int] = mapped_column(ForeignKey("eval_hearing.id", ondelete="CASCADE"))
    evaluator_id: Mapped[int] = mapped_column(ForeignKey("eval_evaluator.id"), index=True)
    is_chair: Mapped[bool] = mapped_column(default=False)
    present: Mapped[bool | None]  # None until attendance is taken

    hearing: Mapped[Hearing] = relationship(back_populates="members", lazy="raise")
    evaluator: Mapped[Evaluator] = relationship(lazy="raise")


class Recusal(db.Model):
    """回避: who, why, who asked, and the decision."""

    __tablename__ = "eval_recusal"
    __table_args__ = (
        CheckConstraint(_in("requested_by", RECUSAL_SOURCES), name="source"),
        CheckConstraint(_in("decision", RECUSAL_DECISIONS), name="decision"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    hearing_id: Mapped[int] = mapped_column(ForeignKey("eval_hearing.id"), index=True)
    evaluator_id: Mapped[int] = mapped_column(ForeignKey("eval_evaluator.id"))
    reason: Mapped[str] = mapped_column(String(200))
    requested_by: Mapped[str] = mapped_column(String(10))
    requester: Mapped[str] = mapped_column(String(40), default="")  # e.g. 信访人、责任单位
    decision: Mapped[str] = mapped_column(String(10), default="pending")
    decision_reason: Mapped[str] = mapped_column(String(200), default="")
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey(USER_FK))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey(USER_FK))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    evaluator: Mapped[Evaluator] = relationship(lazy="raise")

    @property
    def source_label(self) -> str:
        return RECUSAL_SOURCES[self.requested_by]

    @property
    def decision_label(self) -> str:
        return RECUSAL_DECISIONS[self.decision]


class Poll(db.Model):
    """A vote at a hearing. Closed polls never change; a correction supersedes them."""

    __tablename__ = "eval_poll"
    __table_args__ = (
        CheckConstraint(_in("mode", POLL_MODES), name="mode"),
        CheckConstraint(_in("status", POLL_STATUSES), name="status"),
        CheckConstraint(_in("pass_rule", PASS_RULES), name="pass_rule"),
        CheckConstraint("result IS NULL OR " + _in("result", RESULTS), name="result"),
        CheckConstraint("status = 'open' OR result IS NOT NULL", name="closed_has_result"),
        CheckConstraint("present_count >= 0 AND present_count <= panel_size AND quorum >= 0",
                        name="present"),
        CheckConstraint("valid_count IS NULL OR (valid_count >= 0 AND manyi_count >= 0 AND "
                        "bumanyi_count >= 0 AND abstain_count >= 0 AND "
                        "manyi_count + bumanyi_count + abstain_count = valid_count AND "
                        "valid_count <= present_count)", name="tally"),
        Index("uq_eval_poll_current", "hearing_id", unique=True,
              **_where("status <> 'superseded'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    hearing_id: Mapped[int] = mapped_column(ForeignKey("eval_hearing.id"), index=True)
    mode: Mapped[str] = mapped_column(String(10))
    secret: Mapped[bool] = mapped_column(default=True)
    allow_abstain: Mapped[bool] = mapped_column(default=False)
    pass_rule: Mapped[str] = mapped_column(String(12))
    status: Mapped[str] = mapped_column(String(12), default="open")
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
    ``voting``): a database reader without the data key learns neither the counts nor, from the
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
    __table_args__ = (CheckConstraint(_in("choice", CHOICES), name="choice"),)

    poll_id: Mapped[int] = mapped_column(ForeignKey("eval_poll.id"), primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("eval_panel_member.id"), primary_key=True)
    choice: Mapped[str] = mapped_column(String(12))


class OpinionLetter(db.Model):
    """第三方评价意见书: generated from the record; the chair's reasons; issued once."""

    __tablename__ = "eval_letter"

    id: Mapped[int] = mapped_column(primary_key=True)
    hearing_id: Mapped[int] = mapped_column(ForeignKey("eval_hearing.id"), unique=True)
    poll_id: Mapped[int] = mapped_column(ForeignKey("eval_poll.id"))
    number: Mapped[str | None] = mapped_column(String(40), unique=True)  # 文号, set on issue
    reasons: Mapped[str] = mapped_column(Text, default="")
    reasons_by_id: Mapped[int | None] = mapped_column(ForeignKey(USER_FK))
    issued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey(USER_FK))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Delivery(db.Model):
    __tablename__ = "eval_delivery"
    __table_args__ = (
        UniqueConstraint("letter_id", "party"),
        CheckConstraint(_in("party", PARTIES), name="party"),
        CheckConstraint(_in("method", DELIVERY_METHODS), name="method"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    letter_id: Mapped[int] = mapped_column(ForeignKey("eval_letter.id"))
    party: Mapped[str] = mapped_column(String(12))
    method: Mapped[str] = mapped_column(String(12))
    recipient: Mapped[str] = mapped_column(String(40))
    delivered_on: Mapped[date] = mapped_column(Date)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey(USER_FK))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    @property
    def party_label(self) -> str:
        return PARTIES[self.party]

    @property
    def method_label(self) -> str:
        return DELIVERY_METHODS[self.method]


class FollowUp(db.Model):
    """跟踪督办: a task for a 不满意 matter, listed until done."""

    __tablename__ = "eval_followup"
    __table_args__ = (
        CheckConstraint(_in("status", FOLLOWUP_STATUSES), name="status"),
        CheckConstraint("status = 'open' OR done_at IS NOT NULL", name="done_at"),
        Index("ix_eval_followup_status_deadline", "status", "deadline"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    matter_id: Mapped[int] = mapped_column(ForeignKey("eval_matter.id"), index=True)
    unit: Mapped[str] = mapped_column(String(60))
    task: Mapped[str] = mapped_column(String(300))
    deadline: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(6), default="open")
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    done_note: Mapped[str] = mapped_column(String(300), default="")
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey(USER_FK))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey(USER_FK))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    matter: Mapped[Matter] = relationship(lazy="raise")

    @property
    def status_label(self) -> str:
        return FOLLOWUP_STATUSES[self.status]

    def overdue(self, today: date) -> bool:
        return self.status == "open" and self.deadline < today
