"""A realistic demo county (``flask --app wsgi demo seed``); volume for benchmarks is in
``portal.demo_volume`` and ``portal.evaluation.demo_volume``.

Whenever it runs it leaves sessions on several upcoming days open for booking, so a new user
can book at once; ``--if-empty`` only skips the base data when the database already has some.
"""
from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select
from stdnum.cn import ric

from portal import calendar, demo_volume, privacy, settings
from portal.accounts.services import ensure_accounts
from portal.casework.demo import seed_casework
from portal.evaluation.demo import seed_evaluation
from portal.evaluation.demo_volume import seed_matters
from portal.extensions import db
from portal.reception import management, rules
from portal.reception.lifecycle import BOOKING, SESSION
from portal.reception.models import Booking, Leader, Place, ReceptionSession
from portal.reception.services import CODE_ALPHABET, CODE_LENGTH, booking_window

ACTOR = "演示数据"
CENTRE = "县人民来访接待中心"
TOWNS = ["城关镇人民政府", "青石镇人民政府", "柳河乡人民政府", "白沙镇人民政府"]
DEMO_ACCOUNTS = [  # (username, role, name, password) — demo only; README says to change them
    ("admin", "admin", "系统管理员", "demo-guanli-2026"),
    ("jiedai", "reception", "接待科 王芳", "demo-reception-2026"),
    ("pingjia", "evaluation", "评价办 李强", "demo-evaluation-2026"),
    ("pingjia2", "evaluation", "评价办 周洁", "demo-evaluation2-2026"),
]
LEADERS = [
    ("王建国", "县委书记", ["征地拆迁", "企业改制", "涉法涉诉", "非法集资"]),
    ("李红梅", "县长", ["城乡建设", "社会保障", "劳动人事", "环境保护"]),
    ("陈志强", "常务副县长", ["企业改制", "劳动人事", "非法集资", "物业管理"]),
    ("刘海涛", "副县长", ["征地拆迁", "土地权属", "城乡建设", "物业管理"]),
    ("赵敏", "副县长", ["教育", "医疗卫生", "社会保障", "民政"]),
    ("孙立新", "县委常委、政法委书记", ["涉法涉诉", "农村矛盾纠纷", "土地权属"]),
    ("周文斌", "副县长", ["林业", "环境保护", "农村矛盾纠纷"]),
]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘"
GIVEN = ["建华", "秀英", "志刚", "桂兰", "国强", "玉梅", "德明", "红霞", "海燕", "文军", "丽娟",
         "永福", "春生", "淑芬", "晓东", "金凤", "卫东", "小红", "长林", "翠花"]
SUMMARIES = {
    "征地拆迁": "村里修路征收我家承包地，补偿款至今未足额发放，要求核实补偿标准。",
    "土地权属": "与邻组就一块山林地边界有争议，镇里调解后对方仍不认可。",
    "城乡建设": "小区旁在建工程夜间施工噪声大，多次反映未解决。",
    "企业改制": "原县农机厂改制时工龄买断款计算有误，要求重新核算。",
    "劳动人事": "在工地务工被拖欠工资三个月，包工头失联。",
    "社会保障": "养老保险缴费年限认定有误，影响按时领取养老金。",
    "医疗卫生": "母亲在乡镇卫生院就诊后病情加重，对处理结果有异议。",
    "教育": "孩子就近入学被分到较远学校，要求说明划片依据。",
    "农村矛盾纠纷": "宅基地与邻居有纠纷，村委会调解未果。",
    "林业": "承包林地被他人砍伐，要求查处并赔偿。",
    "物业管理": "物业公司擅自提高收费标准，业主多次协商无果。",
    "非法集资": "参与某合作社集资，负责人跑路，要求追回本金。",
    "环境保护": "村旁养殖场污水直排，影响饮用水安全。",
    "涉法涉诉": "民事判决生效两年仍未执行到位。",
    "民政": "申请低保被驳回，认为家庭情况符合条件。",
}


def make_id_number(rng: random.Random, birth: date | None = None) -> str:
    birth = birth or date(rng.randint(1950, 2000), rng.randint(1, 12), rng.randint(1, 28))
    body = f"{rng.choice(['330781', '330782', '330784', '110105'])}{birth:%Y%m%d}{rng.randint(0, 999):03d}"
    return body + ric.calc_check_digit(body + "0")  # it ignores the last character


def make_phone(rng: random.Random) -> str:
    return f"1{rng.choice('3456789')}{rng.randint(0, 999_999_999):09d}"


def _person(rng: random.Random) -> tuple[str, str, str]:
    return rng.choice(SURNAMES) + rng.choice(GIVEN), make_id_number(rng), make_phone(rng)


def _code(rng: random.Random) -> str:
    return "".join(rng.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def seed_demo(if_empty: bool = False, extra_bookings: int = 0, today: date | None = None,
              rng: random.Random | None = None, extra_matters: int = 0) -> str:
    rng = rng or random.Random()
    now = calendar.now()
    today = today or now.date()
    report = []
    has_data = db.session.scalar(select(func.count(Leader.id))) > 0
    if not (if_empty and has_data):
        report.append(_seed_base(rng, today, now))
    report.append(_ensure_open_sessions(rng, today, now))
    db.session.commit()
    # Volume for benchmarks, in bulk (portal.demo_volume): it commits in chunks of its own.
    if extra_bookings:
        report.append(demo_volume.seed_volume(rng, extra_bookings, now))
    if extra_matters:
        report.append(seed_matters(rng, extra_matters, now))
    if extra_bookings or extra_matters:
        demo_volume.analyze()
        db.session.commit()
    return "\n".join(r for r in report if r)


def _seed_base(rng: random.Random, today: date, now: datetime) -> str:
    lines = ensure_accounts(DEMO_ACCOUNTS, ACTOR)
    leaders = [management.save_leader(None, n, p, c, ACTOR) for n, p, c in LEADERS]
    cal = calendar.WorkingCalendar()
    monday = today - timedelta(days=today.weekday())
    # Monday sessions at the centre, two weeks back to three weeks ahead, and a few older
    # reception days whose hand-overs are far along (concluded, extended, one overdue).
    sessions = []
    for week in (-12, -9, -6, *range(-2, 4)):
        day = monday + timedelta(weeks=week)
        if day < today:
            sessions.append(_past_session(leaders[(week + 2) % len(leaders)], day, now))
        elif cal.is_working_day(day):
            made, _ = management.create_sessions(management.SessionPlan(
                leader_id=leaders[(week + 2) % len(leaders)].id, first_day=day,
                start_time=time(9, 0), end_time=time(11, 30), place=CENTRE, publish=True,
                walk_in_places=5),
                ACTOR, now)
            sessions += made
    # Township visits (下访) and a themed reception (专项接访) in the coming weeks.
    for offset, leader, town, mode, theme in (
        (9, leaders[3], TOWNS[1], "visit", ""),
        (16, leaders[6], TOWNS[2], "visit", ""),
        (11, leaders[4], CENTRE, "theme", "教育和医疗卫生专项接访"),
    ):
        day = _next_working(cal, today + timedelta(days=offset))
        made, _ = management.create_sessions(management.SessionPlan(
            leader_id=leader.id, first_day=day, start_time=time(14, 30), end_time=time(16, 30),
            place=town, mode=mode, theme=theme, slot_minutes=30, publish=True), ACTOR, now)
        sessions += made
    # A draft not yet published, and a cancelled session with people to call.
    day = _next_working(cal, today + timedelta(days=20))
    management.create_sessions(management.SessionPlan(
        leader_id=leaders[1].id, first_day=day, start_time=time(9, 0), end_time=time(11, 0),
        place=CENTRE), ACTOR, now)
    sessions += _desk_today(rng, leaders[0], today, now)
    db.session.flush()
    lines.append(f"{len(leaders)} leaders, {len(sessions)} sessions")
    # What followed the past reception days: records, hand-overs, their supervision.
    lines.append(seed_casework(rng, today))
    # Third-party evaluation: pool, panel logins (printed like the accounts above), matters.
    lines.append(seed_evaluation(rng, today, now))
    return "\n".join(lines)


def _desk_today(rng: random.Random, leader: Leader, today: date,
                now: datetime) -> list[ReceptionSession]:
    """On a working day without a session, one this afternoon, so the desk can be tried at
    once: three confirmed visitors to check in, walk-in places free."""
    if not calendar.WorkingCalendar().is_working_day(today) or db.session.scalar(
            select(func.count(ReceptionSession.id)).where(ReceptionSession.day == today)):
        return []
    session = _new_session(leader, today, now, start=time(14, 30), end=time(16, 30), slot=30)
    session.walk_in_places = 5
    db.session.add_all(Place(session_id=session.id, number=number, start_time=session.end_time,
                             walk_in=True) for number in range(5, 10))
    for number in (1, 2, 3):
        _add_booking(rng, session, leader, number, "confirmed", now)
    return [session]


def _next_working(cal: calendar.WorkingCalendar, day: date) -> date:
    while not cal.is_working_day(day):
        day += timedelta(days=1)
    return day


def _new_session(leader: Leader, day: date, now: datetime, start=time(9, 0), end=time(11, 30),
                 place=CENTRE, slot=20, status="published") -> ReceptionSession:
    session = ReceptionSession(**SESSION.history(
        status, leader_id=leader.id, day=day, start_time=start, end_time=end, place=place,
        mode="fixed", slot_minutes=slot, created_at=now))
    session.places = [Place(number=i, start_time=t) for i, t in
                      enumerate(management.place_times(start, end, slot), 1)]
    db.session.add(session)
    db.session.flush()
    return session


def _add_booking(rng, session: ReceptionSession, leader: Leader, number: int, status: str,
                 now: datetime, reason: str = "", person=None) -> Booking:
    name, id_number, phone = person or _person(rng)
    category = rng.choice(leader.categories)
    place = db.session.scalar(select(Place).where(Place.session_id == session.id,
                                                  Place.number == number))
    booking = Booking(**BOOKING.history(
        status, code=_code(rng), session_id=session.id, place_id=place.id, name=name,
        id_cipher=privacy.encrypt(id_number), id_hash=privacy.lookup_hash(id_number),
        id_last4=id_number[-4:], phone_cipher=privacy.encrypt(phone),
        phone_hash=privacy.lookup_hash(phone), category=category,
        summary_cipher=privacy.encrypt(SUMMARIES[category]), party_size=rng.choice([1, 1, 1, 2, 3]),
        status_reason=reason, created_at=now, updated_at=now))
    db.session.add(booking)
    db.session.flush()
    return booking


def _past_session(leader: Leader, day: date, now: datetime) -> ReceptionSession:
    """A reception day that has happened: visitors checked in, one no-show, one declined."""
    rng = random.Random(day.toordinal())
    session = _new_session(leader, day, now)
    for number, status in enumerate(["checked_in", "checked_in", "checked_in", "no_show",
                                     "checked_in", "cancelled"], 1):
        reason = "个人原因，改日再约" if status == "cancelled" else ""
        _add_booking(rng, session, leader, number, status, now, reason)
    _add_booking(rng, session, leader, 7, "declined", now,
                 "所反映事项已进入诉讼程序，请依法通过司法途径解决")
    session.closed = True
    return session


def _ensure_open_sessions(rng: random.Random, today: date, now: datetime) -> str:
    """Make sure at least three upcoming days have a published session open for booking."""
    cal = calendar.WorkingCalendar()
    values = settings.current_values()
    leaders = db.session.scalars(select(Leader).where(Leader.active.is_(True))
                                 .order_by(Leader.id)).all()
    if not leaders:
        return ""
    upcoming = db.session.scalars(
        select(ReceptionSession).where(ReceptionSession.status == "published",
                                       ReceptionSession.day >= today)).all()
    open_days = {s.day for s in upcoming
                 if booking_window(s, cal, values).state(now) == "open"}
    added = 0
    day = today
    horizon = today + timedelta(days=values[rules.OPEN_DAYS.key])
    while len(open_days) < 3 and day <= horizon:
        day += timedelta(days=1)
        if day in open_days or not cal.is_working_day(day):
            continue
        leader = leaders[day.toordinal() % len(leaders)]
        candidate = ReceptionSession(**SESSION.history(
            "published", leader_id=leader.id, day=day, start_time=time(9, 0),
            end_time=time(11, 30), place=CENTRE))
        if booking_window(candidate, cal, values).state(now) != "open":
            continue
        session = _new_session(leader, day, now)
        # A few places already taken, in different states, so the lists look lived-in.
        for number, status in ((1, "confirmed"), (2, "pending"), (3, "confirmed")):
            _add_booking(rng, session, leader, number, status, now)
        open_days.add(day)
        added += 1
    return f"{added} sessions added so that {len(open_days)} upcoming days are open for booking"
