"""The outbox: one row per message to a citizen, from its creation to its delivery."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from portal import privacy
from portal.extensions import UTCDateTime, db, sql_in

MESSAGE_STATUSES = {"pending": "待发送", "sending": "发送中", "sent": "已发送", "failed": "发送失败"}
KINDS = {
    "booking_received": "预约已收到",
    "booking_confirmed": "预约已确认",
    "booking_declined": "预约未通过",
    "session_cancelled": "接访取消",
    "reminder": "接访前一天提醒",
    "waitlist_offered": "候补名额",
    "handover_concluded": "交办事项办结",
}


class OutboxMessage(db.Model):
    __tablename__ = "outbox_message"
    __table_args__ = (
        CheckConstraint(sql_in("status", MESSAGE_STATUSES), name="status"),
        CheckConstraint(sql_in("kind", KINDS), name="kind"),
        CheckConstraint("attempts >= 0", name="attempts"),
        CheckConstraint("(status = 'sent') = (sent_at IS NOT NULL)", name="sent_at"),
        # A sender holds a message only while sending it (its lease starts at claimed_at).
        CheckConstraint("(status = 'sending') = (claimed_at IS NOT NULL)", name="claimed"),
        Index("ix_outbox_message_status_next_attempt_at", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(24))
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("booking.id"), index=True)
    phone_cipher: Mapped[str] = mapped_column(Text)
    body_cipher: Mapped[str] = mapped_column(Text)  # names a code and a person: encrypted
    # Messages that must exist once (a reminder per booking and day): a second one is refused.
    dedupe_key: Mapped[str | None] = mapped_column(String(80), unique=True)
    status: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    channel: Mapped[str] = mapped_column(String(10), default="")  # the channel last tried
    last_error: Mapped[str] = mapped_column(String(200), default="")  # never a phone number
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    phone = privacy.decrypted("phone_cipher")
    body = privacy.decrypted("body_cipher")

    @property
    def status_label(self) -> str:
        return MESSAGE_STATUSES[self.status]

    @property
    def kind_label(self) -> str:
        return KINDS[self.kind]
