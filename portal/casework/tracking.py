"""Following one's own case (查询) and rating it (评价): what the citizen may read of a visit,
and the one rating a concluded hand-over gets.

The citizen sees dates, the outcome and the answers given to them — never what staff wrote
for themselves (the request as recorded, the leader's instruction, the task, progress notes'
text, reminders, the extension's reason). ``progress`` reads a fixed few statements whatever
the number of notes; ``timeline`` turns them into plain Chinese steps for the page.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal import calendar, events
from portal.casework.models import RATINGS, HandOver, HandOverNote, HandOverRating, ReceptionRecord, Unit
from portal.errors import DomainError
from portal.extensions import db
from portal.reception.models import Booking

COMMENT_MAX = 500
# Outcomes whose answer was given to the citizen (当场答复 / 引导 / 不予受理); a hand-over's
# 说明 is for the unit.
ANSWERED = {"answered": "答复内容", "redirected": "引导说明", "not_accepted": "不予受理理由"}
ALREADY_RATED = "您已评价过，每件事项只能评价一次"


# --- reading --------------------------------------------------------------------------------------

@dataclass
class Progress:
    booking: Booking  # its session, leader and place loaded (reception.queries.booking_by_code)
    record: ReceptionRecord | None = None
    handover: HandOver | None = None
    unit: str = ""
    progress_dates: list[date] = field(default_factory=list)
    rating: HandOverRating | None = None


def progress(booking: Booking) -> Progress:
    """What happened after the booking: the record, its hand-over with the unit and rating
    (one statement), and the dates progress was reported (one more, when handed over)."""
    row = db.session.execute(
        select(ReceptionRecord, HandOver, Unit.name, HandOverRating)
        .outerjoin(HandOver, HandOver.record_id == ReceptionRecord.id)
        .outerjoin(Unit, Unit.id == HandOver.unit_id)
        .outerjoin(HandOverRating, HandOverRating.handover_id == HandOver.id)
        .where(ReceptionRecord.booking_id == booking.id)).one_or_none()
    if row is None:
        return Progress(booking)
    record, handover, unit, rating = row
    dates: list[date] = []
    if handover is not None:
        dates = list(db.session.scalars(
            select(HandOverNote.noted_on).distinct()
            .where(HandOverNote.handover_id == handover.id, HandOverNote.kind == "progress")
            .order_by(HandOverNote.noted_on)))
    return Progress(booking, record, handover, unit or "", dates, rating)


@dataclass
class Step:
    title: str
    when: date | None = None
    lines: list[str] = field(default_factory=list)
    text: str = ""  # an answer given to the citizen, shown as written (pre-wrapped)
    text_label: str = ""
    state: str = "done"  # "done", "current", "stopped" (declined, no-show, cancelled)


REVIEW = {"confirmed": "已确认", "checked_in": "已确认", "no_show": "已确认",
          "pending": "待审核：工作人员将在接访前审核", "expired": "未经审核，预约已过期"}


def _booking_steps(b: Booking, walk_in: bool) -> list[Step]:
    s = b.session
    first = Step("现场登记" if walk_in else "预约已提交", b.created_at.astimezone(calendar.TZ).date())
    if walk_in:
        steps = [first]
    elif b.status == "declined":
        steps = [first, Step("审核", lines=["未通过"] + ([f"原因：{b.status_reason}"]
                                                       if b.status_reason else []),
                             state="stopped")]
    elif b.status in REVIEW:
        steps = [first, Step("审核", lines=[REVIEW[b.status]],
                             state="current" if b.status == "pending" else "done")]
    else:  # cancelled, or on the waiting list (候补)
        reason = [f"原因：{b.status_reason}"] if b.status_reason else []
        return [first, Step(b.status_label, lines=reason,
                            state="stopped" if b.status in ("cancelled", "lapsed") else "current")]
    visit = [f"接访领导：{s.leader.name}", f"接访地点：{s.place}"]
    if b.status == "checked_in":
        steps.append(Step("接访", s.day, visit + ["已签到"]))
    elif b.status == "no_show":
        steps.append(Step("接访", s.day, visit + ["爽约（未到场）"], state="stopped"))
    elif b.status in ("pending", "confirmed"):
        steps.append(Step("接访", s.day, visit + ["待接访"], state="current"))
    return steps


def _case_steps(p: Progress) -> list[Step]:
    r, h = p.record, p.handover
    outcome = Step("接谈结果", p.booking.session.day, [r.outcome_label])
    if r.outcome in ANSWERED and r.answer:
        outcome.text, outcome.text_label = r.answer, ANSWERED[r.outcome]
    steps = [outcome]
    if h is None:
        return steps
    lines = [f"责任单位：{p.unit}", f"办理期限：{calendar.format_date(h.due_on)}"]
    if h.extension_days:
        lines[-1] = (f"办理期限：已延长至 {calendar.format_date(h.due_on)}"
                     f"（原期限 {calendar.format_date(h.first_due_on)}）")
    steps.append(Step("交办责任单位办理", h.handed_on, lines))
    steps += [Step("责任单位报送办理进展", d) for d in p.progress_dates]
    if h.concluded_on is None:
        steps.append(Step("办理中", lines=["责任单位正在办理，办结后将答复您"], state="current"))
    else:
        steps.append(Step("办结", h.concluded_on, text=h.reply or "", text_label="答复意见"))
    return steps


def timeline(p: Progress) -> list[Step]:
    """The steps of the case so far, oldest first, in plain Chinese. A walk-in (现场登记, on
    one of the session's walk-in places) was not booked or reviewed."""
    place = p.booking.place
    steps = _booking_steps(p.booking, walk_in=place is not None and place.walk_in)
    if p.record is not None:
        steps += _case_steps(p)
    return steps


def can_rate(p: Progress) -> bool:
    return p.handover is not None and p.handover.concluded_on is not None and p.rating is None


# --- rating ---------------------------------------------------------------------------------------

def rating_problems(rating: str | None, comment: str | None) -> dict[str, str]:
    reasons = {}
    if rating not in RATINGS:
        reasons["rating"] = "请选择满意、基本满意或不满意"
    if len((comment or "").strip()) > COMMENT_MAX:
        reasons["comment"] = f"评价意见最多 {COMMENT_MAX} 字"
    return reasons


def rate(handover: HandOver | None, rating: str | None, comment: str | None,
         now: datetime) -> HandOverRating:
    """The citizen's rating of a concluded hand-over (None: the visit was not handed over):
    once — the unique handover_id and the foreign key to (id, 'concluded') back the checks
    under any concurrency."""
    if handover is None or handover.concluded_on is None:
        raise DomainError("该事项尚未办结，办结后才能评价", status=409)
    if reasons := rating_problems(rating, comment):
        raise DomainError(reasons)
    made = HandOverRating(handover_id=handover.id, handover_status="concluded", rating=rating,
                          rated_at=now)
    made.comment = (comment or "").strip()
    try:
        with db.session.begin_nested():
            db.session.add(made)
    except IntegrityError:  # rated already (a second submit, or at the same moment)
        raise DomainError(ALREADY_RATED, status=409) from None
    events.emit("handover.rate", "handover", handover.id, audited=False, rating=rating)
    return made

