"""Demo data for casework (called from ``portal.demo``): the county's responsible units, and a
reception record for every visitor of the past reception days — answered on the spot, pointed
to another channel, not accepted, or handed over to a unit; the hand-overs at every stage of
supervision (progress, a reminder, an extension, concluded on time and late, one overdue).
Past steps go through the same services with a ``now`` in the past.
"""
from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from portal import calendar
from portal.casework import services
from portal.casework.models import HandOver, ReceptionRecord, Unit
from portal.extensions import db
from portal.reception.lifecycle import StaffActor
from portal.reception.models import Booking, Place, ReceptionSession

ACTOR = StaffActor("演示数据")  # reception's powers, named in the audit log
DEPARTMENTS = [
    "县自然资源和规划局", "县住房和城乡建设局", "县人力资源和社会保障局", "县教育局",
    "县卫生健康局", "县民政局", "县生态环境分局", "县林业局", "县农业农村局", "县公安局",
    "县市场监督管理局", "县司法局",
]
TOWNSHIPS = ["城关镇人民政府", "青石镇人民政府", "柳河乡人民政府", "白沙镇人民政府"]
# Which unit a matter of each category usually goes to.
UNIT_FOR = {
    "征地拆迁": "县自然资源和规划局", "土地权属": "县自然资源和规划局",
    "城乡建设": "县住房和城乡建设局", "物业管理": "县住房和城乡建设局",
    "企业改制": "县人力资源和社会保障局", "劳动人事": "县人力资源和社会保障局",
    "社会保障": "县人力资源和社会保障局", "医疗卫生": "县卫生健康局", "教育": "县教育局",
    "民政": "县民政局", "环境保护": "县生态环境分局", "林业": "县林业局",
    "农村矛盾纠纷": "青石镇人民政府", "非法集资": "县公安局", "涉法涉诉": "县司法局",
}
OUTCOMES = ["handed_over", "answered", "handed_over", "redirected", "handed_over",
            "not_accepted"]


def _at(day: date, hour: int = 11) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=calendar.TZ)


def seed_units() -> dict[str, Unit]:
    existing = {u.name: u for u in db.session.scalars(select(Unit))}
    for kind, names in (("department", DEPARTMENTS), ("township", TOWNSHIPS)):
        for name in names:
            if name not in existing:
                existing[name] = services.save_unit(None, name, kind, ACTOR)
    return existing


def seed_casework(rng: random.Random, today: date) -> str:
    units = seed_units()
    visits = db.session.execute(
        select(Booking, ReceptionSession.day)
        .join(ReceptionSession, ReceptionSession.id == Booking.session_id)
        .join(Place, Place.id == Booking.place_id)
        .outerjoin(ReceptionRecord, ReceptionRecord.booking_id == Booking.id)
        .where(Booking.status == "checked_in", ReceptionSession.day < today,
               ReceptionRecord.id.is_(None))
        .order_by(ReceptionSession.day, Place.number)).all()
    handed = 0
    for index, (booking, day) in enumerate(visits):
        outcome = OUTCOMES[index % len(OUTCOMES)]
        handover = None
        if outcome == "handed_over":
            unit = units[UNIT_FOR.get(booking.category, "城关镇人民政府")]
            handover = services.HandOverInput(
                unit.id, f"请核实来访人反映的{booking.category}问题，依法依规提出处理意见，"
                         "书面答复来访人并报县信访局。")
        record = services.save_record(booking, _record(outcome, booking.category), handover,
                                      ACTOR, _at(day))
        if handover:
            _supervise(rng, record, day, today, handed)
            handed += 1
    return f"{len(units)} units, {len(visits)} reception records, {handed} hand-overs"


def _record(outcome: str, category: str) -> services.RecordInput:
    answers = {
        "answered": ("经查阅政策，领导当场向来访人解释了相关规定和办理程序，来访人表示理解。", ""),
        "redirected": ("该事项属于民事纠纷且已有生效判决，告知来访人依法申请强制执行。",
                       "litigation"),
        "not_accepted": ("该事项已经复查复核终结，信访部门不再受理，已向来访人说明。", ""),
        "handed_over": ("", ""),
    }
    answer, channel = answers[outcome]
    return services.RecordInput(
        request=f"来访人反映{category}方面的问题，要求有关部门核实并依法处理。",
        instruction="请责任单位认真核实，依法依规处理，按期答复。"
        if outcome == "handed_over" else "做好解释说明工作。",
        outcome=outcome, channel=channel, answer=answer)


def _supervise(rng: random.Random, record: ReceptionRecord, day: date, today: date,
               index: int) -> None:
    """Move a hand-over along as the weeks since ``day`` allow: progress after ten days, a
    reminder near the deadline, one extended, every third concluded."""
    handover = db.session.scalar(select(HandOver).where(HandOver.record_id == record.id))
    progress_on = day + timedelta(days=10)
    if progress_on <= today:
        services.add_note(handover, "progress", "责任单位已约谈来访人，正在调查核实。",
                          progress_on, ACTOR, _at(progress_on, 16))
    remind_on = handover.due_on - timedelta(days=5)
    if day < remind_on <= today:
        services.add_note(handover, "reminder", "期限将到，请按期办结并书面答复。", remind_on,
                          ACTOR, _at(remind_on, 10), method=rng.choice(["phone", "written"]))
    if index % 4 == 1 and remind_on <= today:
        services.extend(handover, 20, "涉及多个部门，需进一步调查取证", ACTOR, _at(remind_on, 15))
    concluded_on = day + timedelta(days=[20, 62][index % 2])  # on time; 2 days late
    if index % 3 == 0 and concluded_on <= today:
        services.conclude(handover, "经核实，已依规作出处理，并当面向来访人送达书面答复意见。",
                          concluded_on, ACTOR, _at(concluded_on, 17))
