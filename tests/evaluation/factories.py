"""Evaluation test data, built through the services wherever a rule is involved.

The fixed clock stands at Wednesday 18 November 2026, 10:00 (Shanghai). The default hearing is
on Monday 23 November: a notice published on the 18th leaves 19–22 in between (4 full days).
"""
from __future__ import annotations

from datetime import UTC, date, datetime, time
from functools import lru_cache

from sqlalchemy import select

from portal import calendar
from portal.accounts.models import User
from portal.accounts.services import hash_password
from portal.evaluation import (
    applications,
    hearings,
    matters,
    panels,
    queries,
    results,
    voting,
)
from portal.evaluation import pool as evaluator_pool
from portal.evaluation.codes import CONDITIONS
from portal.evaluation.models import Evaluator, Hearing, Matter
from portal.evaluation.poll_records import Poll
from portal.extensions import db
from tests import factories as base
from tests.conftest import AuthActions

HEARING_DAY = date(2026, 11, 23)
UNIT = "青石镇人民政府"
PETITIONER = {"name": "吴秋菊", "id_number": base.id_number(seq=321), "phone": "13912345678",
              "address": "青石镇白果村三组 18 号"}
CATEGORIES = ["人大代表", "政协委员", "律师", "群众代表", "网友代表", "邻里", "同事", "其他",
              "人大代表", "政协委员", "律师"]


@lru_cache(maxsize=1)
def _password_hash() -> str:
    return hash_password(AuthActions.password)  # once per process: Argon2id is slow on purpose


def user(role: str, username: str) -> User:
    """A staff or panel account that can log in with AuthActions.password (fast to create)."""
    existing = db.session.scalar(select(User).where(User.username == username))
    if existing:
        return existing
    made = User(username=username, display_name=f"{role} {username}", role=role,
                password_hash=_password_hash(), created_at=datetime.now(UTC))
    db.session.add(made)
    db.session.commit()
    return made


def staff(username: str = "pingjia-a") -> User:
    return user("evaluation", username)


def now() -> datetime:
    return calendar.now()


def matter_data(**overrides) -> matters.MatterData:
    values = dict(
        number="XF-2026-0031", title="白果村土地征收补偿争议", category="征地拆迁", unit=UNIT,
        level="township",
        summary="信访人吴秋菊反映其承包地被征收后补偿款未足额发放，对镇政府处理意见不满意。",
        petitioner_name=PETITIONER["name"], petitioner_id=PETITIONER["id_number"],
        phone=PETITIONER["phone"], address=PETITIONER["address"],
        handling_opinion="经调查，补偿标准符合县政府公布的征地补偿安置方案，已足额发放。",
        opinion_date=date(2026, 10, 8))
    values.update(overrides)
    return matters.MatterData(**values)


def matter(actor=None, **overrides) -> Matter:
    made = matters.save_matter(None, matter_data(**overrides), actor or staff(), now())
    db.session.commit()
    return made


def accepted_matter(actor=None, **overrides) -> Matter:
    actor = actor or staff()
    made = matter(actor, **overrides)
    application = applications.submit_application(made, made.unit, date(2026, 11, 2),
                                              "信访人对处理意见不满意，申请第三方评价。", actor, now())
    for code in CONDITIONS:
        applications.record_condition(application, code, True, "材料齐全", actor, now())
    applications.accept_application(application, actor, now())
    db.session.commit()
    return made


def evaluators(n: int = 9, logins: bool = True, prefix: str = "member",
               organisation: str = "县律师协会") -> list[Evaluator]:
    """n active evaluators named f'{prefix}{i}'; with logins, each is linked to the panel
    account of the same name. Asking again for the same prefix returns the same people."""
    made = []
    for i in range(1, n + 1):
        name = f"{prefix}{i}"[-20:]
        existing = db.session.scalar(select(Evaluator).where(Evaluator.name == name))
        if existing:
            made.append(existing)
            continue
        account = user("panel", f"{prefix}{i}") if logins else None
        evaluator = evaluator_pool.save_evaluator(None, evaluator_pool.EvaluatorData(
            name=name, category=CATEGORIES[(i - 1) % len(CATEGORIES)],
            organisation=f"{organisation}{i}", contact=f"1380000{i:04d}",
            user_id=account.id if account else None), staff(), now())
        made.append(evaluator)
    db.session.commit()
    return made


def hearing(matter_obj=None, day: date = HEARING_DAY, at: time = time(9, 30)) -> Hearing:
    matter_obj = matter_obj or accepted_matter()
    made = hearings.create_hearing(matter_obj, hearings.HearingData(day, at, "县人民来访接待中心",
                                                                    matter_obj.level), staff(), now())
    db.session.commit()
    return made


def paneled_hearing(n: int = 9, logins: bool = True, prefix: str = "member",
                    **kwargs) -> tuple[Hearing, list[Evaluator]]:
    made = hearing(**kwargs)
    pool = evaluators(n, logins, prefix)
    loaded = queries.load_hearing(made.id)
    assert panels.set_panel(loaded, [e.id for e in pool], pool[0].id, staff(), now()) is None
    db.session.commit()
    return loaded, pool


def noticed_hearing(n: int = 9, logins: bool = True, prefix: str = "member",
                    **kwargs) -> tuple[Hearing, list[Evaluator]]:
    made, pool = paneled_hearing(n, logins, prefix, **kwargs)
    hearings.publish_notice(made, staff(), now())
    db.session.commit()
    return made, pool


def at_hearing(clock, hearing_obj: Hearing, hour: int = 9) -> None:
    clock.set(datetime.combine(hearing_obj.day, time(hour, 40)))


def present(hearing_obj: Hearing, count: int | None = None) -> Hearing:
    loaded = queries.load_hearing(hearing_obj.id)
    members = loaded.members if count is None else loaded.members[:count]
    hearings.mark_attendance(loaded, [m.id for m in members], staff(), now())
    db.session.commit()
    return queries.load_hearing(hearing_obj.id)


def open_poll(hearing_obj: Hearing, mode: str = "electronic") -> Poll:
    poll = voting.open_poll(queries.load_hearing(hearing_obj.id), mode, staff(), now())
    db.session.commit()
    return poll


def vote_all(poll: Poll, choices: list[str], prefix: str = "member") -> None:
    for i, choice in enumerate(choices, 1):
        voting.cast_ballot(poll.id, user("panel", f"{prefix}{i}"), choice)
        db.session.commit()


def published_result(clock, choices=None, number: str = "XF-2026-0031",
                     **matter_overrides) -> tuple[Hearing, Poll]:
    """A whole evaluation up to the published result (default: 6 满意 of 9). The clock is
    left at the hearing; call again with another number for more results (same panel)."""
    clock.set(datetime(2026, 11, 18, 10, 0))
    made, _pool = noticed_hearing(matter_obj=accepted_matter(number=number, **matter_overrides))
    at_hearing(clock, made)
    present(made)
    poll = open_poll(made)
    vote_all(poll, choices or ["satisfied"] * 6 + ["unsatisfied"] * 3)
    voting.close_poll(poll.id, staff(), now())
    loaded = queries.load_hearing(made.id)
    results.save_letter_reasons(
        loaded, "经评议，责任单位调查核实充分，处理意见适当。吴秋菊的诉求已依法处理。", staff(), now())
    results.issue_letter(loaded, staff(), now())
    # Not yet delivered (tests record deliveries themselves): published with a reason.
    results.publish_result(loaded, staff(), now(), early_reason="当事人暂未签收，先行公布")
    db.session.commit()
    return queries.load_hearing(made.id), db.session.get(Poll, poll.id)


def services_values() -> dict:
    from portal import settings

    return settings.current_values()
