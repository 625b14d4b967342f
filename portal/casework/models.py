"""Reception records, units, hand-overs and their supervision notes.

Case contents (what the citizen asked, the leader's instruction, the answer, the task, the
reply, progress) are encrypted at rest like a booking's summary; only their kind and dates,
which the supervision lists sort and count by, are plain.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal import privacy
from portal.extensions import UTCDateTime, db, sql_in

UNIT_KINDS = {"department": "县直部门", "township": "镇乡"}
OUTCOMES = {
    "answered": "当场答复",
    "handed_over": "交办",
    "redirected": "引导其他途径",
    "not_accepted": "不予受理",
}
# Other channels a visitor is pointed to (依法分类处理), by the words staff use.
CHANNELS = {
    "litigation": "诉讼",
    "review": "复查（信访事项复查、复核）",
    "administrative_review": "行政复议",
    "arbitration": "仲裁",
    "mediation": "人民调解",
    "other": "其他法定途径",
}
HANDOVER_STATUSES = {"open": "办理中", "concluded": "已办结"}
NOTE_KINDS = {"progress": "办理进展", "reminder": "催办"}
RATINGS = {"satisfied": "满意", "basically_satisfied": "基本满意", "unsatisfied": "不满意"}
REMINDER_METHODS = {"phone": "电话催办", "written": "书面催办", "visit": "上门督办"}


class Unit(db.Model):
    """A responsible unit (责任单位): a county department or a township government."""

    __tablename__ = "unit"
    __table_args__ = (CheckConstraint(sql_in("kind", UNIT_KINDS), name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40), unique=True)
    kind: Mapped[str] = mapped_column(String(12))
    active: Mapped[bool] = mapped_column(default=True)

    @property
    def kind_label(self) -> str:
        return UNIT_KINDS[self.kind]


class ReceptionRecord(db.Model):
    """接谈记录: one per visit, written for a visitor who was checked in."""

    __tablename__ = "reception_record"
    __table_args__ = (
        # (booking_id, 'checked_in') must exist in booking: no record for someone not checked
        # in, and a booking with a record cannot be moved to 爽约 (the update is refused).
        ForeignKeyConstraint(["booking_id", "booking_status"], ["booking.id", "booking.status"],
                             name="fk_reception_record_booking_checked_in"),
        CheckConstraint("booking_status = 'checked_in'", name="booking_checked_in"),
        CheckConstraint(sql_in("outcome", OUTCOMES), name="outcome"),
        CheckConstraint(f"channel = '' OR {sql_in('channel', CHANNELS)}", name="channel_known"),
        # Pointed elsewhere names the channel; other outcomes name none.
        CheckConstraint("(outcome = 'redirected') = (channel <> '')", name="channel_iff_redirected"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(unique=True)
    booking_status: Mapped[str] = mapped_column(String(12), default="checked_in")
    request_cipher: Mapped[str] = mapped_column(Text)  # 来访诉求
    instruction_cipher: Mapped[str] = mapped_column(Text)  # 领导批示
    outcome: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str] = mapped_column(String(24), default="")
    # The answer given on the spot, the advice with the channel, or why not accepted.
    answer_cipher: Mapped[str] = mapped_column(Text)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    request = privacy.decrypted("request_cipher")
    instruction = privacy.decrypted("instruction_cipher")
    answer = privacy.decrypted("answer_cipher")

    @property
    def outcome_label(self) -> str:
        label = OUTCOMES[self.outcome]
        return f"{label}（{CHANNELS[self.channel]}）" if self.channel else label


class HandOver(db.Model):
    """交办: a case handed to a unit, with a deadline, supervised until it is concluded."""

    __tablename__ = "handover"
    __table_args__ = (
        CheckConstraint(sql_in("status", HANDOVER_STATUSES), name="status"),
        CheckConstraint("first_due_on > handed_on", name="due_after_handover"),
        # Extended at most once (one set of columns), by a positive number of days, with a
        # reason; the due date is the first one or later. The maximum is a setting, checked by
        # the service.
        CheckConstraint(
            "(extension_days IS NULL AND extended_on IS NULL AND extension_reason = ''"
            " AND due_on = first_due_on)"
            " OR (extension_days BETWEEN 1 AND 366 AND extended_on IS NOT NULL"
            " AND extension_reason <> '' AND due_on > first_due_on)",
            name="extension"),
        # Concluded exactly when the conclusion date and the reply are recorded.
        CheckConstraint(
            "(status = 'open' AND concluded_on IS NULL AND reply_cipher IS NULL)"
            " OR (status = 'concluded' AND concluded_on IS NOT NULL AND reply_cipher IS NOT NULL"
            " AND concluded_on >= handed_on)",
            name="conclusion"),
        Index("ix_handover_status_due_on", "status", "due_on"),
        # The rating's foreign key points at (id, 'concluded'): only a concluded case is rated.
        UniqueConstraint("id", "status"),
        Index("ix_handover_unit_id_status", "unit_id", "status"),
        # The supervision list counts the cases concluded this month.
        Index("ix_handover_status_concluded_on", "status", "concluded_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("reception_record.id"), unique=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    task_cipher: Mapped[str] = mapped_column(Text)  # 交办事项: what the unit is to do
    handed_on: Mapped[date] = mapped_column(Date)
    first_due_on: Mapped[date] = mapped_column(Date)
    due_on: Mapped[date] = mapped_column(Date)  # the deadline in force (after any extension)
    extension_days: Mapped[int | None]
    extended_on: Mapped[date | None] = mapped_column(Date)
    extension_reason: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(12), default="open")
    concluded_on: Mapped[date | None] = mapped_column(Date)
    reply_cipher: Mapped[str | None] = mapped_column(Text)  # 答复意见 given to the citizen
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    unit: Mapped[Unit] = relationship(lazy="raise")
    record: Mapped[ReceptionRecord] = relationship(lazy="raise")

    task = privacy.decrypted("task_cipher")
    reply = privacy.decrypted("reply_cipher")

    @property
    def status_label(self) -> str:
        return HANDOVER_STATUSES[self.status]

    def days_late(self, today: date) -> int:
        """Days past the deadline in force: today for an open case, the conclusion for a
        concluded one; 0 when on time."""
        end = self.concluded_on or today
        return max(0, (end - self.due_on).days)


class HandOverNote(db.Model):
    """A dated entry of a hand-over's supervision: progress reported, or a reminder (催办)."""

    __tablename__ = "handover_note"
    __table_args__ = (
        CheckConstraint(sql_in("kind", NOTE_KINDS), name="kind"),
        CheckConstraint(f"method = '' OR {sql_in('method', REMINDER_METHODS)}", name="method_known"),
        CheckConstraint("(kind = 'reminder') = (method <> '')", name="method_iff_reminder"),
        Index("ix_handover_note_handover_id_on", "handover_id", "noted_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    handover_id: Mapped[int] = mapped_column(ForeignKey("handover.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(10))
    method: Mapped[str] = mapped_column(String(10), default="")
    noted_on: Mapped[date] = mapped_column(Date)
    text_cipher: Mapped[str] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    text = privacy.decrypted("text_cipher")

    @property
    def kind_label(self) -> str:
        return REMINDER_METHODS[self.method] if self.method else NOTE_KINDS[self.kind]


class HandOverRating(db.Model):
    """The citizen's rating of how a concluded case was handled (满意 / 基本满意 / 不满意): once."""

    __tablename__ = "handover_rating"
    __table_args__ = (
        ForeignKeyConstraint(["handover_id", "handover_status"], ["handover.id", "handover.status"],
                             name="fk_handover_rating_handover_concluded"),
        CheckConstraint("handover_status = 'concluded'", name="handover_concluded"),
        CheckConstraint(sql_in("rating", RATINGS), name="rating"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    handover_id: Mapped[int] = mapped_column(unique=True)  # once
    handover_status: Mapped[str] = mapped_column(String(12), default="concluded")
    rating: Mapped[str] = mapped_column(String(20))
    comment_cipher: Mapped[str] = mapped_column(Text)  # optional comment, encrypted ("" too)
    rated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    comment = privacy.decrypted("comment_cipher")

    @property
    def rating_label(self) -> str:
        return RATINGS[self.rating]
