"""Citizen-side booking rules: identity, limits, capacity, lookup, cancellation.

Each function takes what it needs explicitly (including ``now``, an aware Asia/Shanghai
datetime) and raises DomainError with field -> message reasons. Callers commit (views through
``portal.actions.perform``). Statuses change only through ``reception.lifecycle``; what the
pages read is in ``reception.queries``; the booking window is in ``reception.window``.
"""
from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal import bureau, calendar, events, privacy, settings
from portal.errors import DomainError

# The one deliberate cross-domain question (CONVENTIONS.md): was this matter evaluated 满意?
from portal.evaluation.interface import satisfied_matter_refusal
from portal.extensions import db
from portal.identity import (
    canonical,
    canonical_reference,
    id_number_error,
    is_canonical_phone,
    normalise_id_number,
    normalise_phone,
    phone_error,
)
from portal.reception import queries, rules, waitlist
from portal.reception.lifecycle import BOOKING, WAITING
from portal.reception.models import (
    PERSON_ACTIVE,
    PLACE_HOLDING,
    Booking,
    Leader,
    ReceptionSession,
)
from portal.reception.window import booking_window, window_message
from portal.reception.window import is_bookable as is_bookable

CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: read out over the phone
CODE_LENGTH = 8


# --- the citizen's history -------------------------------------------------------------------

def suspended_until(id_hash: str, today: date, values: dict) -> date | None:
    """Booking is suspended after N no-shows within the window, for M days from the last."""
    since = today - timedelta(days=values[rules.NO_SHOW_WINDOW.key])
    days = db.session.scalars(
        select(ReceptionSession.day)
        .join(Booking, Booking.session_id == ReceptionSession.id)
        .where(Booking.id_hash == id_hash, Booking.status == "no_show",
               ReceptionSession.day >= since)
        .order_by(ReceptionSession.day.desc())
    ).all()
    if len(days) < values[rules.NO_SHOW_LIMIT.key]:
        return None
    until = days[0] + timedelta(days=values[rules.SUSPEND_DAYS.key])
    return until if until >= today else None


def _active_booking_of(id_hash: str) -> Booking | None:
    return db.session.scalar(
        select(Booking).where(Booking.id_hash == id_hash, Booking.status.in_(PERSON_ACTIVE))
    )


# --- booking -----------------------------------------------------------------------------------

@dataclass
class BookingRequest:
    name: str
    id_number: str
    phone: str
    category: str
    summary: str
    party_size: int
    related_matter_no: str = ""


def field_problems(req: BookingRequest, leader: Leader, today: date,
                   values: dict | None = None) -> dict[str, str]:
    """Field-by-field format and portfolio checks (no database rules), for inline messages."""
    values = values or settings.current_values()
    reasons: dict[str, str] = {}
    name = req.name.strip()
    if not name:
        reasons["name"] = "请填写姓名"
    elif len(name) > 30:
        reasons["name"] = "姓名最多 30 个字"
    if error := id_number_error(req.id_number, today):
        reasons["id_number"] = error
    if error := phone_error(req.phone):
        reasons["phone"] = error
    if req.category not in leader.categories:
        reasons["category"] = (f"{leader.name}同志分管{leader.portfolio_text}，"
                               "请选择其中的类别，或预约分管您所反映事项的领导")
    summary = req.summary.strip()
    if len(summary) < 5:
        reasons["summary"] = "请简要说明反映的事项（至少 5 个字）"
    elif len(summary) > 500:
        reasons["summary"] = "事项简述最多 500 字"
    limit = values[rules.MAX_PARTY.key]
    if not 1 <= req.party_size <= limit:
        reasons["party_size"] = f"来访人数为 1–{limit} 人（集体来访请推选不超过 {limit} 名代表）"
    if len(req.related_matter_no.strip()) > 40:
        reasons["related_matter_no"] = "相关事项编号最多 40 个字符"
    return reasons


def create_booking(session_id: int, req: BookingRequest, now: datetime, *,
                   walk_in: bool = False, actor=None) -> Booking:
    """Book the first free place of a session, or raise DomainError saying why not.

    ``walk_in``: staff register someone at the desk on the day (现场登记) — the same rules on
    the person and the matter, a walk-in place, checked in at once (audited, by ``actor``)."""
    session = db.session.get(ReceptionSession, session_id)
    if session is None:
        raise DomainError("该接访场次不存在", status=404)
    related, id_number = _admit(session, req, now, walk_in)
    booking = _take_place(session, req, id_number, related, now, walk_in)
    if not walk_in:
        events.emit("booking.create", "booking", booking.id, audited=False,
                    code=booking.code, session=session.id)
        return booking
    events.emit("booking.walk_in", "booking", booking.id, actor=actor, code=booking.code,
                session=session.id, place=booking.place_id)
    BOOKING.fire(booking, "check_in", actor, now, code=booking.code, session=session.id,
                 walk_in=True)
    return booking


def walk_in_refusal(session: ReceptionSession, today: date) -> str | None:
    """Why nobody can be registered at the desk for this session now, or None."""
    if session.status == "cancelled":
        return "本场接访已取消，不能现场登记"
    if session.status != "published":
        return "本场尚未发布，不能现场登记"
    if session.closed:
        return "本场已结束，不能现场登记"
    return "只能在接访当天现场登记" if session.day != today else None


def _admit(session: ReceptionSession, req: BookingRequest, now: datetime,
           walk_in: bool = False) -> tuple[str, str]:
    """Every rule before a place is taken; returns the canonical matter and ID numbers."""
    leader = db.session.get(Leader, session.leader_id)
    values = settings.current_values()
    if walk_in:
        # The person stands at the desk on the day: the online booking window is not theirs.
        message = walk_in_refusal(session, now.date())
    else:
        message = window_message(session, booking_window(session, calendar.WorkingCalendar(),
                                                         values), now)
    if message:
        raise DomainError(message, status=409)
    reasons = field_problems(req, leader, now.date(), values)
    if reasons:
        raise DomainError(reasons)
    related = canonical_reference(req.related_matter_no)
    if related and (message := satisfied_matter_refusal(related)):
        raise DomainError({"related_matter_no": f"{message}如需咨询，请{bureau.current().reach()}。"},
                          status=409)
    id_number = normalise_id_number(req.id_number)
    id_hash = privacy.lookup_hash(id_number)
    # The no-show suspension is about booking ahead and not coming; a walk-in has come (the
    # refusal itself sends the citizen to register at the desk).
    if not walk_in and (until := suspended_until(id_hash, now.date(), values)):
        raise DomainError(
            {"id_number": f"因多次预约后未到（爽约），该身份证号暂停预约至 {calendar.format_date(until)}。"
                          f"如有急事，请{bureau.current().reach()}现场登记。"},
            status=409,
        )
    if walk_in:
        _refuse_second_place(session.id, id_hash)
    if _active_booking_of(id_hash):
        raise DomainError({"id_number": _ONE_PER_PERSON}, status=409)
    return related, id_number


def _refuse_second_place(session_id: int, id_hash: str) -> None:
    """One place per person per session: someone who holds one is checked in on it."""
    held = db.session.scalar(select(Booking.code).where(
        Booking.session_id == session_id, Booking.id_hash == id_hash,
        Booking.status.in_(PLACE_HOLDING)))
    if held:
        raise DomainError({"id_number": f"该来访人已预约本场（预约码 {held}），请直接签到"},
                          status=409)


def _new_booking(session_id: int, req: BookingRequest, id_number: str, related: str,
                 now: datetime, place_id: int | None = None, status: str | None = None) -> Booking:
    """A booking (or, ``status`` WAITING, a waiting-list entry) of the admitted request."""
    phone = normalise_phone(req.phone)
    return BOOKING.new(
        Booking, status, code=_new_code(), session_id=session_id, place_id=place_id,
        name=req.name.strip(), id_cipher=privacy.encrypt(id_number),
        id_hash=privacy.lookup_hash(id_number), id_last4=id_number[-4:], phone=phone,
        phone_hash=privacy.lookup_hash(phone), category=req.category,
        summary=req.summary.strip(), party_size=req.party_size, related_matter_no=related,
        created_at=now, updated_at=now,
    )


def _inserted(booking: Booking) -> bool:
    """Insert; False when the database refuses it (a place or an ID number taken meanwhile)."""
    try:
        with db.session.begin_nested():
            db.session.add(booking)
    except IntegrityError:
        return False
    return True


def _take_place(session: ReceptionSession, req: BookingRequest, id_number: str, related: str,
                now: datetime, walk_in: bool = False) -> Booking:
    """Insert the booking on the first free place; the database refuses a place (or an ID
    number) someone took meanwhile, and the next free place is tried."""
    id_hash = privacy.lookup_hash(id_number)
    for _attempt in range(5):
        place = waitlist.first_free_place(session.id, walk_in)
        if place is None:
            break
        booking = _new_booking(session.id, req, id_number, related, now, place.id)
        if _inserted(booking):
            return booking
        # Someone took this place (or booked with this ID) between our read and write.
        if walk_in:
            _refuse_second_place(session.id, id_hash)
        if _active_booking_of(id_hash):
            raise DomainError({"id_number": _ONE_PER_PERSON}, status=409)
    if walk_in and not session.walk_in_places:
        raise DomainError("本场未设现场登记名额（0 个），请先在本场页面增加名额", status=409)
    if walk_in:
        raise DomainError(f"本场现场登记名额已满（{session.walk_in_places} 个）", status=409)
    raise DomainError(FULL, status=409)


FULL = "本场接访名额已满，请选择其他场次"


# --- 候补: the waiting list of a full session -------------------------------------------------

def waitlist_refusal(session: ReceptionSession, free: int, waiting: int,
                     values: dict | None = None) -> str | None:
    """Why nobody can join this session's waiting list now (its window aside), or None."""
    limit = (values or settings.current_values())[rules.WAITLIST_MAX.key]
    if limit == 0:
        return "本场不设候补，请选择其他场次"
    if free:
        return "本场还有名额，请直接预约"
    return "本场候补已满，请选择其他场次" if waiting >= limit else None


def join_waitlist(session_id: int, req: BookingRequest, now: datetime) -> Booking:
    """Join a full session's waiting list: the booking's rules (``_admit``), no place yet."""
    session = db.session.get(ReceptionSession, session_id)
    if session is None:
        raise DomainError("该接访场次不存在", status=404)
    related, id_number = _admit(session, req, now)
    # One joiner of a session at a time (PostgreSQL; SQLite serialises writers): the limit holds.
    waitlist.lock_row(ReceptionSession, session.id)
    if message := waitlist_refusal(session, queries.free_places([session.id])[session.id],
                                   queries.waiting_count(session.id)):
        raise DomainError(message, status=409)
    for _attempt in range(3):
        booking = _new_booking(session.id, req, id_number, related, now, status=WAITING)
        if _inserted(booking):
            events.emit("booking.waitlist", "booking", booking.id, audited=False,
                        code=booking.code, session=session.id)
            return booking
        if _active_booking_of(privacy.lookup_hash(id_number)):
            raise DomainError({"id_number": _ONE_PER_PERSON}, status=409)
    raise DomainError("系统繁忙，请稍后重试", status=409)


_ONE_PER_PERSON = ("该身份证号已有一个未完成的预约（一人一号）。"
                   "如需改约，请先用预约码和手机号码取消原预约。")


def _new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(code: str) -> str:
    return canonical(code)[:20]


# --- lookup and cancellation -------------------------------------------------------------------

def find_booking(code: str, phone: str) -> Booking | None:
    """The booking with this code, if the phone number matches it."""
    booking = queries.booking_by_code(normalise_code(code))
    phone = normalise_phone(phone)
    if booking is None or not is_canonical_phone(phone):
        return None
    if not hmac.compare_digest(booking.phone_hash, privacy.lookup_hash(phone)):
        return None
    return booking


def can_cancel(booking: Booking, now: datetime) -> bool:
    """May the citizen (no staff login involved) cancel this booking now?"""
    return BOOKING.can(booking, "cancel", None, now)


def cancel_booking(booking: Booking, reason: str, now: datetime) -> bool:
    """The citizen cancels; the place is free again at once (the index stops counting it).
    Returns whether a place was let go (a waiting-list entry holds none)."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError({"reason": "请填写取消原因"})
    if len(reason) > 200:
        raise DomainError({"reason": "取消原因最多 200 字"})
    waitlist.lock(booking)
    held = booking.status in PLACE_HOLDING
    BOOKING.fire(booking, "cancel", None, now, code=booking.code)
    booking.status_reason = reason
    booking.updated_at = now
    if held:  # a waiting entry's own cancel frees nothing
        waitlist.offer_free_places(booking.session_id, now)
    return held


WRONG_PHONE = "手机号码与预约时填写的不一致，请核对后重新输入"


def accept_offer(booking: Booking, phone: str, now: datetime) -> None:
    """候补: the citizen confirms the place offered to them (code and phone, while it is
    held); the booking then awaits review like any other."""
    phone = normalise_phone(phone or "")
    if not is_canonical_phone(phone) or not hmac.compare_digest(
            booking.phone_hash, privacy.lookup_hash(phone)):
        raise DomainError({"phone": WRONG_PHONE})
    waitlist.lock(booking)
    BOOKING.fire(booking, "accept", None, now, code=booking.code, session=booking.session_id)
    booking.updated_at = now
