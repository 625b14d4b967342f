"""Citizen-side booking rules: window, identity, limits, capacity, lookup, cancellation.

Each function takes what it needs explicitly (including ``now``, an aware Asia/Shanghai
datetime) and raises DomainError with field -> message reasons. Callers commit.
"""
from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import and_, exists, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from portal import calendar, privacy, settings
from portal.errors import DomainError

# The one deliberate cross-domain import: was a matter (or a petitioner's matter) closed 满意?
from portal.evaluation.services import satisfied_matter_refusal, satisfied_petitioners
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
from portal.reception import rules
from portal.reception.models import (
    PERSON_ACTIVE,
    PLACE_HOLDING,
    Booking,
    Leader,
    Place,
    ReceptionSession,
)

CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: read out over the phone
CODE_LENGTH = 8


# --- the booking window ----------------------------------------------------------------------

@dataclass(frozen=True)
class Window:
    opens_at: datetime
    closes_at: datetime

    def state(self, now: datetime) -> str:
        if now < self.opens_at:
            return "not_open"
        if now >= self.closes_at:
            return "closed"
        return "open"


def booking_window(session: ReceptionSession, cal: calendar.WorkingCalendar,
                   values: dict | None = None) -> Window:
    """Opens N days ahead at 00:00; closes at the cut-off on the last working day before."""
    values = values or settings.current_values()
    hour, minute = map(int, str(values[rules.CUTOFF_TIME.key]).split(":"))
    opens = calendar.local(session.day - timedelta(days=values[rules.OPEN_DAYS.key]), time(0, 0))
    closes = calendar.local(cal.previous_working_day(session.day), time(hour, minute))
    return Window(opens, closes)


def is_bookable(session: ReceptionSession, window: Window, now: datetime) -> bool:
    return session.status == "published" and window.state(now) == "open"


def window_message(session: ReceptionSession, window: Window, now: datetime) -> str | None:
    """Why this session cannot be booked now, in Chinese; None when it can."""
    if session.status == "cancelled":
        return f"本场接访已取消：{session.cancel_reason}" if session.cancel_reason else "本场接访已取消"
    if session.status != "published":
        return "本场接访尚未发布"
    state = window.state(now)
    if state == "not_open":
        return f"本场接访将于 {calendar.format_datetime(window.opens_at)} 开放预约"
    if state == "closed":
        return f"本场接访已于 {calendar.format_datetime(window.closes_at)} 截止预约"
    return None


# --- places ----------------------------------------------------------------------------------

def _place_taken(place_id_column):
    return exists().where(
        and_(Booking.place_id == place_id_column, Booking.status.in_(PLACE_HOLDING))
    )


def free_places(session_ids: list[int]) -> dict[int, int]:
    """Free places per session, in one statement."""
    if not session_ids:
        return {}
    rows = db.session.execute(
        select(Place.session_id, func.count(Place.id))
        .where(Place.session_id.in_(session_ids), ~_place_taken(Place.id))
        .group_by(Place.session_id)
    )
    counts = dict.fromkeys(session_ids, 0)
    counts.update({sid: n for sid, n in rows})
    return counts


def total_places(session_ids: list[int]) -> dict[int, int]:
    if not session_ids:
        return {}
    rows = db.session.execute(
        select(Place.session_id, func.count(Place.id))
        .where(Place.session_id.in_(session_ids)).group_by(Place.session_id)
    )
    counts = dict.fromkeys(session_ids, 0)
    counts.update({sid: n for sid, n in rows})
    return counts


def _first_free_place(session_id: int) -> Place | None:
    query = (
        select(Place).where(Place.session_id == session_id, ~_place_taken(Place.id))
        .order_by(Place.number).limit(1)
    )
    if db.session.get_bind().dialect.name == "postgresql":
        # Concurrent bookers skip a place another transaction is taking instead of colliding.
        query = query.with_for_update(skip_locked=True, of=Place)
    return db.session.scalar(query)


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


def create_booking(session_id: int, req: BookingRequest, now: datetime) -> Booking:
    """Book the first free place of a session, or raise DomainError saying why not."""
    session = db.session.get(ReceptionSession, session_id)
    if session is None:
        raise DomainError("该接访场次不存在", status=404)
    leader = db.session.get(Leader, session.leader_id)
    values = settings.current_values()
    cal = calendar.WorkingCalendar()
    window = booking_window(session, cal, values)
    if message := window_message(session, window, now):
        raise DomainError(message, status=409)
    reasons = field_problems(req, leader, now.date(), values)
    if reasons:
        raise DomainError(reasons)
    related = canonical_reference(req.related_matter_no)
    # The one cross-domain question (CONVENTIONS.md): was this matter evaluated 满意?
    if related and (message := satisfied_matter_refusal(related)):
        raise DomainError({"related_matter_no": message}, status=409)

    id_number = normalise_id_number(req.id_number)
    id_hash = privacy.lookup_hash(id_number)
    if until := suspended_until(id_hash, now.date(), values):
        raise DomainError(
            {"id_number": f"因多次预约后未到（爽约），该身份证号暂停预约至 {calendar.format_date(until)}。"
                          "如有急事，请到县人民来访接待中心现场登记或拨打信访举报电话。"},
            status=409,
        )
    if _active_booking_of(id_hash):
        raise DomainError({"id_number": _ONE_PER_PERSON}, status=409)

    phone = normalise_phone(req.phone)
    for _attempt in range(5):
        place = _first_free_place(session.id)
        if place is None:
            raise DomainError("本场接访名额已满，请选择其他场次", status=409)
        booking = Booking(
            code=_new_code(), session_id=session.id, place_id=place.id, name=req.name.strip(),
            id_cipher=privacy.encrypt(id_number), id_hash=id_hash, id_last4=id_number[-4:],
            phone_cipher=privacy.encrypt(phone), phone_hash=privacy.lookup_hash(phone),
            category=req.category, summary_cipher=privacy.encrypt(req.summary.strip()),
            party_size=req.party_size, related_matter_no=related, status="pending",
            created_at=now, updated_at=now,
        )
        try:
            with db.session.begin_nested():
                db.session.add(booking)
        except IntegrityError:
            # Someone took this place (or booked with this ID) between our read and write.
            if _active_booking_of(id_hash):
                raise DomainError({"id_number": _ONE_PER_PERSON}, status=409) from None
            continue
        return booking
    raise DomainError("本场接访名额已满，请选择其他场次", status=409)


_ONE_PER_PERSON = ("该身份证号已有一个未完成的预约（一人一号）。"
                   "如需改约，请先用预约码和手机号码取消原预约。")


def _new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(code: str) -> str:
    return canonical(code)[:20]


# --- lookup and cancellation -------------------------------------------------------------------

def find_booking(code: str, phone: str) -> Booking | None:
    """The booking with this code, if the phone number matches it."""
    booking = load_booking(code)
    phone = normalise_phone(phone)
    if booking is None or not is_canonical_phone(phone):
        return None
    if not hmac.compare_digest(booking.phone_hash, privacy.lookup_hash(phone)):
        return None
    return booking


def load_booking(code: str) -> Booking | None:
    """The booking with this code, its session, leader and place loaded (no phone check)."""
    return db.session.scalar(
        select(Booking).options(joinedload(Booking.session).joinedload(ReceptionSession.leader),
                                joinedload(Booking.place))
        .where(Booking.code == normalise_code(code))
    )


def _session_of(booking: Booking) -> ReceptionSession:
    # Through the identity map: free when the caller loaded it, one query otherwise.
    return db.session.get(ReceptionSession, booking.session_id)


def can_cancel(booking: Booking, now: datetime, cal: calendar.WorkingCalendar | None = None) -> bool:
    if booking.status not in PERSON_ACTIVE:
        return False
    window = booking_window(_session_of(booking), cal or calendar.WorkingCalendar())
    return now < window.closes_at


def cancel_booking(booking: Booking, reason: str, now: datetime) -> None:
    """The citizen cancels; the place is free again at once (the index stops counting it)."""
    reason = (reason or "").strip()
    if booking.status not in PERSON_ACTIVE:
        raise DomainError(f"该预约当前状态为“{booking.status_label}”，不能取消", status=409)
    if not reason:
        raise DomainError({"reason": "请填写取消原因"})
    if len(reason) > 200:
        raise DomainError({"reason": "取消原因最多 200 字"})
    if not can_cancel(booking, now):
        window = booking_window(_session_of(booking), calendar.WorkingCalendar())
        raise DomainError(
            f"已过取消截止时间（{calendar.format_datetime(window.closes_at)}）。"
            "如不能按时到场，请致电县信访局说明。", status=409)
    booking.status = "cancelled"
    booking.status_reason = reason
    booking.updated_at = now


# --- the public schedule -----------------------------------------------------------------------

def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def published_sessions(start: date, end: date, leader_id: int | None = None,
                       place: str | None = None) -> list[ReceptionSession]:
    """Published sessions between two days (inclusive), leaders loaded in the same query."""
    query = (
        select(ReceptionSession)
        .options(joinedload(ReceptionSession.leader))
        .where(ReceptionSession.status == "published", ReceptionSession.day >= start,
               ReceptionSession.day <= end)
        .order_by(ReceptionSession.day, ReceptionSession.start_time, ReceptionSession.id)
    )
    if leader_id:
        query = query.where(ReceptionSession.leader_id == leader_id)
    if place:
        query = query.where(ReceptionSession.place == place)
    return list(db.session.scalars(query).unique())


def satisfied_marks(bookings: list[Booking]) -> dict[str, list[str]]:
    """ID hash -> numbers of that person's matters evaluated 满意, for staff lists (one query)."""
    return satisfied_petitioners([b.id_hash for b in bookings])
