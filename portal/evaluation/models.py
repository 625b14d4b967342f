"""Evaluation records: matters, applications, the evaluator pool, hearings with their panels
and recusals, opinion letters and their delivery, follow-up tasks. The poll and what votes leave
behind are in ``poll_records``.

The database holds the invariants a race must not break:

- one open-or-accepted application per matter, one live hearing per matter — partial unique
  indexes;
- one membership per evaluator and hearing, at most one chair per panel.

Statuses are set only by ``portal.lifecycle`` (the tables are in ``evaluation.lifecycle``).
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
from sqlalchemy.orm import Mapped, mapped_column, relationship, synonym

from portal import privacy
from portal.evaluation.codes import (
    APPLICATION_STATUSES,
    CONDITIONS,
    DELIVERY_METHODS,
    EVALUATOR_CATEGORIES,
    FOLLOWUP_STATUSES,
    HEARING_STATUSES,
    LEVELS,
    MATTER_STATUSES,
    PARTIES,
    RECUSAL_DECISIONS,
    RECUSAL_SOURCES,
    RESULTS,
    USER_FK,
    in_list,
    partial_where,
)
from portal.extensions import UTCDateTime, db
from portal.identity import id_tail_check_sql, keyed_hash_check_sql


class Matter(db.Model):
    __tablename__ = "eval_matter"
    __table_args__ = (
        CheckConstraint(in_list("status", MATTER_STATUSES), name="status"),
        CheckConstraint(in_list("level", LEVELS), name="level"),
        CheckConstraint("result IS NULL OR " + in_list("result", RESULTS), name="result"),
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
    status: Mapped[str] = mapped_column(String(12))  # set by its lifecycle
    result: Mapped[str | None] = mapped_column(String(12))
    result_published_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # 息诉息访: the petitioner's first booking or other new matter from 00:00 (China) the day
    # after publication on. Kept by database triggers (migration 0013) whoever writes; never
    # set here (the value in memory may be stale: statistics read it in SQL).
    petitioner_returned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # Encrypted at rest; read (and written) as plain text. The ID number has no such attribute:
    # revealing it is an audited act (``matters.reveal_id_number``).
    phone = privacy.decrypted("petitioner_phone_cipher")
    address = privacy.decrypted("petitioner_address_cipher")
    handling_opinion = privacy.decrypted("opinion_cipher")

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



class Application(db.Model):
    """The responsible unit's application for evaluation, with its four conditions."""

    __tablename__ = "eval_application"
    __table_args__ = (
        CheckConstraint(in_list("status", APPLICATION_STATUSES), name="status"),
        Index("uq_eval_application_live", "matter_id", unique=True,
              **partial_where("status IN ('pending', 'accepted')")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    matter_id: Mapped[int] = mapped_column(ForeignKey("eval_matter.id"), index=True)
    unit: Mapped[str] = mapped_column(String(60))  # the applying township or department
    applied_on: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(10))  # set by its lifecycle
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
    __table_args__ = (CheckConstraint(in_list("code", CONDITIONS), name="code"),)

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
    __table_args__ = (CheckConstraint(in_list("category", EVALUATOR_CATEGORIES), name="category"),)

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
        CheckConstraint(in_list("status", HEARING_STATUSES), name="status"),
        CheckConstraint(in_list("level", LEVELS), name="level"),
        Index("uq_eval_hearing_live", "matter_id", unique=True,
              **partial_where("status <> 'cancelled'")),
        Index("ix_eval_hearing_day", "day"),
        # The results list and the feed walk published results newest first.
        Index("ix_eval_hearing_result_published_at_id", "result_published_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    matter_id: Mapped[int] = mapped_column(ForeignKey("eval_matter.id"), index=True)
    level: Mapped[str] = mapped_column(String(10))
    day: Mapped[date] = mapped_column(Date)
    start_time: Mapped[time] = mapped_column(Time)
    place: Mapped[str] = mapped_column(String(60))
    status: Mapped[str] = mapped_column(String(10))  # set by its lifecycle
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
        CheckConstraint(in_list("requested_by", RECUSAL_SOURCES), name="source"),
        CheckConstraint(in_list("decision", RECUSAL_DECISIONS), name="decision"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    hearing_id: Mapped[int] = mapped_column(ForeignKey("eval_hearing.id"), index=True)
    evaluator_id: Mapped[int] = mapped_column(ForeignKey("eval_evaluator.id"))
    reason: Mapped[str] = mapped_column(String(200))
    requested_by: Mapped[str] = mapped_column(String(10))
    requester: Mapped[str] = mapped_column(String(40), default="")  # e.g. 信访人、责任单位
    decision: Mapped[str] = mapped_column(String(10))  # set by its lifecycle (``status``)
    decision_reason: Mapped[str] = mapped_column(String(200), default="")
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey(USER_FK))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey(USER_FK))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    evaluator: Mapped[Evaluator] = relationship(lazy="raise")
    # The decision is this record's status (``lifecycle.RECUSAL``).
    status = synonym("decision")

    @property
    def source_label(self) -> str:
        return RECUSAL_SOURCES[self.requested_by]

    @property
    def decision_label(self) -> str:
        return RECUSAL_DECISIONS[self.decision]


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
        CheckConstraint(in_list("party", PARTIES), name="party"),
        CheckConstraint(in_list("method", DELIVERY_METHODS), name="method"),
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
        CheckConstraint(in_list("status", FOLLOWUP_STATUSES), name="status"),
        CheckConstraint("status = 'open' OR done_at IS NOT NULL", name="done_at"),
        Index("ix_eval_followup_status_deadline", "status", "deadline"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    matter_id: Mapped[int] = mapped_column(ForeignKey("eval_matter.id"), index=True)
    unit: Mapped[str] = mapped_column(String(60))
    task: Mapped[str] = mapped_column(String(300))
    deadline: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(6))  # set by its lifecycle
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
        return self.done_at is None and self.deadline < today
