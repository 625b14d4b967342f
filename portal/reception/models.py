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
from portal.extensions import UTCDateTime, db, sql_in
from portal.identity import id_tail_check_sql, keyed_hash_check_sql
from portal.vocabulary import CATEGORIES

MODES = {"fixed": "定点接访", "visit": "下访", "theme": "专项接访"}
SESSION_STATUSES = {"draft": "未发布", "published": "已发布", "cancelled": "已取消"}
BOOKING_STATUSES = {
    "pending": "待审核",
    "confirmed": "已确认",
    "declined": "未通过",
    "cancelled": "已取消",
    "checked_in": "已签到",
    "no_show": "爽约",
    "expired": "已过期",
    # 候补: a full session's waiting list. A waiting entry holds no place; when one is freed the
    # first is offered it (the place is held for them until they confirm or the offer lapses).
    "waitlisted": "候补中",
    "offered": "候补待确认",
    "lapsed": "候补已失效",
}
# A place is taken by every booking that was not cancelled or declined.
PLACE_HOLDING = ("pending", "confirmed", "checked_in", "no_show", "expired", "offered")
# 一人一号: at most one upcoming booking or waiting-list entry per ID number.
PERSON_ACTIVE = ("pending", "confirmed", "waitlisted", "offered")
# Entries without a place: waiting, or left the list before being offered one.
PLACELESS = ("waitlisted", "cancelled", "lapsed")


MAX_WALK_INS = 30


def _receiving_leader(context) -> int:
    return context.get_current_parameters()["leader_id"]


def _in(column: str, values: tuple[str, ...]):
    return text(sql_in(column, values))


class Leader(db.Model):
    __tablename__ = "leader"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(20))
    post: Mapped[str] = mapped_column(String(60))  # 职务
    active: Mapped[bool] = mapped_column(default=True)
    portfolio: Mapped[list[LeaderCategory]] = relationship(
        back_populates="leader", cascade="all, delete-orphan", lazy="selectin",
        order_by="LeaderCategory.category",
    )

    @property
    def categories(self) -> list[str]:
        return [c.category for c in self.portfolio]

    @property
    def portfolio_text(self) -> str:
        held = set(self.categories)
        return "、".join(c for c in CATEGORIES if c in held)


class LeaderCategory(db.Model):
    __tablename__ = "leader_category"

    leader_id: Mapped[int] = mapped_column(ForeignKey("leader.id", ondelete="CASCADE"),
                                           primary_key=True)
    category: Mapped[str] = mapped_column(String(20), primary_key=True)
    leader: Mapped[Leader] = relationship(back_populates="portfolio", lazy="raise")


class ReceptionSession(db.Model):
    __tablename__ = "reception_session"
    __table_args__ = (
        CheckConstraint("end_time > start_time", name="time_order"),
        CheckConstraint("slot_minutes BETWEEN 5 AND 240", name="slot_minutes"),
        CheckConstraint("status IN ('draft', 'published', 'cancelled')", name="status"),
        CheckConstraint("mode IN ('fixed', 'visit', 'theme')", name="mode"),
        CheckConstraint(f"walk_in_places BETWEEN 0 AND {MAX_WALK_INS}", name="walk_in_places"),
        Index("ix_reception_session_day_status", "day", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    leader_id: Mapped[int] = mapped_column(ForeignKey("leader.id"), index=True)
    # 值班领导: accountable for the day; the receiving leader unless staff name another.
    duty_leader_id: Mapped[int] = mapped_column(ForeignKey("leader.id"), default=_receiving_leader)
    day: Mapped[date] = mapped_column(Date)
    start_time: Mapped[time] = mapped_column(Time)
    end_time: Mapped[time] = mapped_column(Time)
    place: Mapped[str] = mapped_column(String(60))  # 接访地点
    mode: Mapped[str] = mapped_column(String(10), default="fixed")
    theme: Mapped[str] = mapped_column(String(60), default="")  # 专项接访的主题
    slot_minutes: Mapped[int] = mapped_column(default=20)
    status: Mapped[str] = mapped_column(String(10), default="draft")
    cancel_reason: Mapped[str] = mapped_column(String(200), default="")
    closed: Mapped[bool] = mapped_column(default=False)  # day run and no-shows recorded
    # 现场登记: places for walk-ins, numbered after the bookable ones and never offered online.
    walk_in_places: Mapped[int] = mapped_column(default=0)
    series_id: Mapped[str | None] = mapped_column(String(32), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    leader: Mapped[Leader] = relationship(lazy="raise", foreign_keys=[leader_id])
    duty_leader: Mapped[Leader] = relationship(lazy="raise", foreign_keys=[duty_leader_id])
    places: Mapped[list[Place]] = relationship(
        back_populates="session", cascade="all, delete-orphan", order_by="Place.number",
        lazy="raise",
    )

    @property
    def mode_label(self) -> str:
        return MODES[self.mode]

    @property
    def status_label(self) -> str:
        return SESSION_STATUSES[self.status]


class Place(db.Model):
    """A numbered place (号源) of a session, with its time; it holds at most one booking."""

    __tablename__ = "reception_place"
    __table_args__ = (UniqueConstraint("session_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("reception_session.id", ondelete="CASCADE"))
    number: Mapped[int]
    start_time: Mapped[time] = mapped_column(Time)
    walk_in: Mapped[bool] = mapped_column(default=False)  # 现场登记 only; after the booked ones
    session: Mapped[ReceptionSession] = relationship(back_populates="places", lazy="raise")


class Booking(db.Model):
    __tablename__ = "booking"
    __table_args__ = (
        CheckConstraint(sql_in("status", BOOKING_STATUSES), name="status"),
        CheckConstraint("party_size BETWEEN 1 AND 5", name="party_size"),
        CheckConstraint(f"place_id IS NOT NULL OR {sql_in('status', PLACELESS)}",
                        name="place_unless_waiting"),
        CheckConstraint("status <> 'offered' OR offer_expires_at IS NOT NULL", name="offer_expires"),
        # Identifiers are stored only in canonical form (identity.canonical): a second
        # spelling of one ID number must never become a second person.
        CheckConstraint(id_tail_check_sql("id_last4"), name="id_last4_canonical"),
        CheckConstraint(keyed_hash_check_sql("id_hash", "phone_hash"), name="keyed_hashes"),
        # Capacity: one place, one booking — enforced by the database under any concurrency.
        Index("uq_booking_place_taken", "place_id", unique=True,
              sqlite_where=_in("status", PLACE_HOLDING),
              postgresql_where=_in("status", PLACE_HOLDING)),
        # 一人一号: one upcoming booking per ID number.
        Index("uq_booking_person_active", "id_hash", unique=True,
              sqlite_where=_in("status", PERSON_ACTIVE),
              postgresql_where=_in("status", PERSON_ACTIVE)),
        # One place per person per session: a walk-in who already holds a place is checked in
        # on it, never given a second one.
        Index("uq_booking_person_session", "session_id", "id_hash", unique=True,
              sqlite_where=_in("status", PLACE_HOLDING),
              postgresql_where=_in("status", PLACE_HOLDING)),
        # The reception record points at (id, 'checked_in'): a record needs a visitor checked
        # in, and a booking with a record cannot leave that status (casework.models).
        UniqueConstraint("id", "status"),
        Index("ix_booking_session_status", "session_id", "status"),
        # "Is this place taken?" probes: the partial unique index above cannot serve them when
        # the status list arrives as bound parameters (measured: 16 s vs 0.4 ms at 200k rows).
        Index("ix_booking_place_status", "place_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(12), unique=True)  # 预约码
    session_id: Mapped[int] = mapped_column(ForeignKey("reception_session.id"))
    place_id: Mapped[int | None] = mapped_column(ForeignKey("reception_place.id"))  # None: 候补
    name: Mapped[str] = mapped_column(String(30))
    id_cipher: Mapped[str] = mapped_column(Text)
    id_hash: Mapped[str] = mapped_column(String(64), index=True)
    id_last4: Mapped[str] = mapped_column(String(4))
    phone_cipher: Mapped[str] = mapped_column(Text)
    phone_hash: Mapped[str] = mapped_column(String(64))
    category: Mapped[str] = mapped_column(String(20))
    summary_cipher: Mapped[str] = mapped_column(Text)
    party_size: Mapped[int] = mapped_column(default=1)
    related_matter_no: Mapped[str] = mapped_column(String(40), default="")
    status: Mapped[str] = mapped_column(String(12), default="pending")
    status_reason: Mapped[str] = mapped_column(String(200), default="")  # decline/cancel reason
    cancelled_by_staff: Mapped[bool] = mapped_column(default=False)
    notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    offer_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # 候补: confirm by
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    session: Mapped[ReceptionSession] = relationship(lazy="raise")
    place: Mapped[Place | None] = relationship(lazy="raise")

    @property
    def status_label(self) -> str:
        return BOOKING_STATUSES[self.status]

    # Encrypted at rest; read as plain text (the full ID number is revealed only through
    # management.reveal_id_number, an audited act).
    phone = privacy.decrypted("phone_cipher")
    summary = privacy.decrypted("summary_cipher")

    @property
    def masked_id(self) -> str:
        return privacy.masked_id_number(self.id_last4)
