"""Demo data for third-party evaluation (called from ``portal.demo._seed_base``).

An evaluator pool (nine of them with ``panel`` logins panel1..panel9), and matters at each
stage: registered, applied, refused, accepted, scheduled, a noticed hearing ahead, a published
满意 result with its letter and deliveries, and a 不满意 result under follow-up (one task
overdue). Past steps go through the same services with a ``now`` in the past.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from portal import calendar
from portal.accounts.models import User
from portal.accounts.services import ensure_accounts
from portal.evaluation import (
    applications,
    followup,
    hearings,
    matters,
    panels,
    paper,
    queries,
    results,
    voting,
)
from portal.evaluation import pool as evaluator_pool
from portal.evaluation.codes import CONDITIONS
from portal.evaluation.models import Evaluator, Matter
from portal.extensions import db

ACTOR = "演示数据"
PANEL_PASSWORD = "demo-panel-2026"
PANEL_ACCOUNTS = [(f"panel{i}", "panel", f"评价员 {i}", PANEL_PASSWORD) for i in range(1, 10)]
# (name, category, organisation); the first nine get the panel1..panel9 logins.
POOL = [
    ("张立群", "人大代表", "县人大常委会"), ("黄秀珍", "政协委员", "县政协"),
    ("郭振宇", "律师", "正衡律师事务所"), ("林晓燕", "群众代表", "城关镇东门社区"),
    ("何建军", "网友代表", "县网络文明志愿者协会"), ("马国平", "人大代表", "县教育局"),
    ("罗文静", "律师", "明理律师事务所"), ("梁志远", "政协委员", "县工商联"),
    ("宋丽华", "群众代表", "柳河乡柳林村"), ("唐永康", "律师", "正衡律师事务所"),
    ("许春梅", "邻里", "白果村三组"), ("韩德胜", "同事", "县农机公司"),
    ("冯亚楠", "网友代表", "县青年志愿者协会"), ("邓海波", "群众代表", "青石镇人民政府"),
    ("曹玉芳", "其他", "县退休教师协会"),
]
# Demo petitioners: their given names, ID numbers, phones and addresses must never be public.
PETITIONERS = [
    ("吴秋菊", "青石镇白果村三组 18 号"), ("郑德福", "柳河乡柳林村五组 6 号"),
    ("钱桂香", "城关镇东门社区 12 栋 302 室"), ("孔满仓", "白沙镇沙湾村二组 9 号"),
    ("严玉兰", "青石镇石桥村一组 21 号"), ("潘长庚", "城关镇西街 45 号"),
    ("傅春燕", "柳河乡河口村四组 3 号"), ("邹金宝", "白沙镇新街 88 号"),
]
MATTERS = [  # (title, category, unit, level, summary)
    ("白果村土地征收补偿争议", "征地拆迁", "青石镇人民政府", "township",
     "信访人反映其承包地被征收后补偿款未足额发放，对镇政府的处理意见不满意。"),
    ("农机厂改制工龄买断款核算", "企业改制", "县人力资源和社会保障局", "county",
     "信访人反映原县农机厂改制时工龄买断款计算有误，对复核意见不满意。"),
    ("东门社区物业收费调整", "物业管理", "县住房和城乡建设局", "county",
     "信访人反映物业公司擅自提高收费标准，对主管部门的处理意见不满意。"),
    ("沙湾村宅基地界址纠纷", "农村矛盾纠纷", "白沙镇人民政府", "township",
     "信访人反映与邻居宅基地界址纠纷经调解未果，对镇政府处理意见不满意。"),
    ("石桥村养殖场污水排放", "环境保护", "县生态环境分局", "county",
     "信访人反映村旁养殖场污水直排影响饮水安全，对查处结果不满意。"),
    ("西街低保申请复核", "民政", "城关镇人民政府", "township",
     "信访人反映其家庭情况符合低保条件但申请被驳回，对复核意见不满意。"),
    ("河口村林地被砍伐赔偿", "林业", "柳河乡人民政府", "township",
     "信访人反映承包林地被他人砍伐，对乡政府的处理和赔偿意见不满意。"),
    ("新街门面拆迁安置", "征地拆迁", "白沙镇人民政府", "township",
     "信访人反映门面房拆迁后安置用房面积不足，对镇政府处理意见不满意。"),
]
REASONS_SATISFIED = ("评价小组经听取双方陈述、查阅材料认为：责任单位对信访人反映的问题进行了调查核实，"
                     "补偿标准符合公布的补偿安置方案，补偿款已足额发放，处理意见适当，程序合法。")
REASONS_UNSATISFIED = ("评价小组认为：责任单位未充分核实信访人提供的工龄证明材料，工龄认定依据不足，"
                       "建议重新调查核实，依规核算工龄买断款，并书面答复信访人。")


def _at(day: date, hour: int = 9, minute: int = 0) -> datetime:
    return calendar.local(day, time(hour, minute))


def _working(cal: calendar.WorkingCalendar, day: date, step: int) -> date:
    while not cal.is_working_day(day):
        day += timedelta(days=step)
    return day


def _id_number(rng: random.Random, birth: date) -> str:
    from stdnum.cn import ric

    body = f"330781{birth:%Y%m%d}{rng.randint(0, 999):03d}"
    return body + ric.calc_check_digit(body + "0")


def _matter(rng, index: int, actor, now: datetime) -> Matter:
    title, category, unit, level, summary = MATTERS[index]
    name, address = PETITIONERS[index]
    birth = date(rng.randint(1950, 1990), rng.randint(1, 12), rng.randint(1, 28))
    return matters.save_matter(None, matters.MatterData(
        number=f"XF-{now.year}-{31 + index * 7:04d}", title=title, category=category, unit=unit,
        level=level, summary=summary, petitioner_name=name,
        petitioner_id=_id_number(rng, birth), phone=f"139{rng.randint(0, 99_999_999):08d}",
        address=address, opinion_date=now.date() - timedelta(days=30),
        handling_opinion="经调查核实，责任单位已依法依规作出处理，并书面答复信访人。"), actor, now)


def _apply(matter: Matter, actor, now: datetime, accept: bool | None = True):
    application = applications.submit_application(
        matter, matter.unit, now.date(), "信访人对处理意见仍不满意，申请进行第三方评价。", actor, now)
    codes = list(CONDITIONS) if accept is not None else list(CONDITIONS)[:2]
    for code in codes:
        holds = accept is not False or code != "dissatisfied"
        applications.record_condition(application, code, holds,
                                  "已核对材料" if holds else "信访人已书面表示接受处理意见", actor, now)
    if accept:
        applications.accept_application(application, actor, now)
    elif accept is False:
        applications.refuse_application(application, "信访人已书面表示接受处理意见，不符合评价条件",
                                        actor, now)
    return application


def _hearing(matter: Matter, day: date, pool: list[Evaluator], actor, now: datetime,
             notice: bool = True):
    hearing = hearings.create_hearing(
        matter, hearings.HearingData(day, time(9, 30), "县人民来访接待中心", matter.level), actor, now)
    hearing = queries.load_hearing(hearing.id)
    panels.set_panel(hearing, [e.id for e in pool[:9]], pool[0].id, actor, now)
    if notice:
        hearings.publish_notice(hearing, actor, now)
    return hearing


def _evaluate(hearing, mode: str, choices: list[str], reasons: str, clerk, scrutineer,
              users: list[User], day: date, publish_day: date):
    at = _at(day, 9, 40)
    hearings.mark_attendance(hearing, [m.id for m in hearing.members], clerk, at)
    poll = voting.open_poll(hearing, mode, clerk, at)
    if mode == "electronic":
        for user, choice in zip(users, choices, strict=False):
            voting.cast_ballot(poll.id, user, choice)
    else:
        manyi, bumanyi = choices.count("satisfied"), choices.count("unsatisfied")
        paper.enter_paper_counts(poll, paper.PaperCounts(
            len(choices), len(choices), manyi + bumanyi, len(choices) - manyi - bumanyi,
            manyi, bumanyi, 0), clerk, _at(day, 10, 20))
        paper.confirm_paper_counts(poll, scrutineer, _at(day, 10, 25))
    voting.close_poll(poll.id, clerk, _at(day, 10, 30))
    hearing = queries.load_hearing(hearing.id)
    results.save_letter_reasons(hearing, reasons, clerk, _at(day, 10, 50))
    letter = results.issue_letter(hearing, clerk, _at(day, 11, 0))
    name = hearing.matter.petitioner_name
    results.record_delivery(letter, "petitioner", "in_person", name, day, clerk, _at(day, 11, 10))
    results.record_delivery(letter, "unit", "in_person", f"{hearing.matter.unit}信访办",
                            day, clerk, _at(day, 11, 15))
    results.publish_result(hearing, clerk, _at(publish_day, 9, 0))
    return hearing


@dataclass
class _Seed:
    rng: random.Random
    today: date
    now: datetime
    clerk: User
    scrutineer: User
    panel_users: list[User]
    pool: list[Evaluator] = field(default_factory=list)
    cal: calendar.WorkingCalendar = field(default_factory=calendar.WorkingCalendar)

    def next_working(self, day: date) -> date:
        return _working(self.cal, day + timedelta(days=1), 1)


def _seed_pool(seed: _Seed) -> None:
    long_ago = seed.now - timedelta(days=60)
    for i, (name, category, organisation) in enumerate(POOL):
        seed.pool.append(evaluator_pool.save_evaluator(None, evaluator_pool.EvaluatorData(
            name=name, category=category, organisation=organisation,
            contact=f"138{seed.rng.randint(0, 99_999_999):08d}",
            user_id=seed.panel_users[i].id if i < 9 else None), seed.clerk, long_ago))
    db.session.flush()


def _seed_unsatisfied(seed: _Seed) -> None:
    """A 不满意 result six weeks ago (paper ballots), under follow-up with one task overdue."""
    clerk, today = seed.clerk, seed.today
    day = _working(seed.cal, today - timedelta(days=42), -1)
    notice_at = _at(day - timedelta(days=7), 15)
    matter = _matter(seed.rng, 1, clerk, notice_at - timedelta(days=5))
    _apply(matter, clerk, notice_at - timedelta(days=3))
    hearing = _hearing(matter, day, seed.pool, clerk, notice_at)
    _evaluate(hearing, "paper", ["satisfied"] * 3 + ["unsatisfied"] * 6, REASONS_UNSATISFIED,
              clerk, seed.scrutineer, seed.panel_users, day, seed.next_working(day))
    # The task opened on publication (30 days) is overdue by now; two more, one done.
    published = _at(seed.next_working(day), 9, 30)
    followup.add_followup(matter, "县人力资源和社会保障局", "重新核算工龄买断款并书面答复信访人",
                          today + timedelta(days=20), clerk, published)
    done = followup.add_followup(matter, "县农机公司（原县农机厂）",
                                 "提供改制时职工花名册和工龄认定原始材料",
                                 day + timedelta(days=10), clerk, published)
    followup.complete_followup(done, "已提供职工花名册和 1995 年工龄认定表", clerk,
                               _at(day + timedelta(days=8), 16))


def _seed_satisfied(seed: _Seed) -> None:
    """A 满意 result three weeks ago (electronic, secret ballot), letter delivered to both."""
    day = _working(seed.cal, seed.today - timedelta(days=21), -1)
    notice_at = _at(day - timedelta(days=6), 16)
    matter = _matter(seed.rng, 0, seed.clerk, notice_at - timedelta(days=5))
    _apply(matter, seed.clerk, notice_at - timedelta(days=3))
    hearing = _hearing(matter, day, seed.pool, seed.clerk, notice_at)
    _evaluate(hearing, "electronic", ["satisfied"] * 7 + ["unsatisfied"] * 2, REASONS_SATISFIED,
              seed.clerk, seed.scrutineer, seed.panel_users, day, seed.next_working(day))


def _seed_ahead(seed: _Seed) -> None:
    """A noticed hearing a week ahead, with a party's recusal request refused; then the earlier
    stages: scheduled (panel formed, notice not yet out), accepted, applied, refused,
    registered."""
    rng, clerk, now, pool = seed.rng, seed.clerk, seed.now, seed.pool
    day = _working(seed.cal, seed.today + timedelta(days=7), 1)
    matter = _matter(rng, 2, clerk, now - timedelta(days=6))
    _apply(matter, clerk, now - timedelta(days=4))
    hearing = _hearing(matter, day, pool, clerk, now)
    recusal = panels.request_recusal(hearing, pool[3].id, "信访人认为该评价员与物业公司负责人相识",
                                     "party", "信访人", clerk, now)
    panels.decide_recusal(recusal, False, "经核实，该评价员与物业公司无利害关系", clerk, now)
    matter = _matter(rng, 3, clerk, now - timedelta(days=3))
    _apply(matter, clerk, now - timedelta(days=2))
    _hearing(matter, _working(seed.cal, seed.today + timedelta(days=14), 1), pool[5:14], clerk,
             now, notice=False)
    matter = _matter(rng, 4, clerk, now - timedelta(days=2))
    _apply(matter, clerk, now - timedelta(days=1))
    _apply(_matter(rng, 5, clerk, now - timedelta(days=1)), clerk, now, accept=None)
    _apply(_matter(rng, 6, clerk, now - timedelta(days=9)), clerk, now - timedelta(days=8),
           accept=False)
    _matter(rng, 7, clerk, now)


def seed_evaluation(rng: random.Random, today: date, now: datetime) -> str:
    lines = ensure_accounts(PANEL_ACCOUNTS, ACTOR)
    users = {u.username: u for u in db.session.scalars(select(User))}
    clerk = users.get("pingjia") or next(u for u in users.values() if u.role == "evaluation")
    scrutineer = users.get("pingjia2") or next(
        u for u in users.values() if u.role in ("evaluation", "admin") and u.id != clerk.id)
    seed = _Seed(rng, today, now, clerk, scrutineer, [users[f"panel{i}"] for i in range(1, 10)])
    _seed_pool(seed)
    _seed_unsatisfied(seed)
    _seed_satisfied(seed)
    _seed_ahead(seed)
    db.session.flush()
    lines.append(f"{len(seed.pool)} evaluators, {len(MATTERS)} evaluation matters "
                 "(a noticed hearing, a 满意 and a 不满意 result)")
    return "\n".join(lines)
