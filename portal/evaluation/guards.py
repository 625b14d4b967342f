"""Guards of evaluation's lifecycles: why a transition may not happen now (Chinese), or None —
and the status questions that are not transitions (may the panel still change? may the matter
still be edited? is the poll open?). The tables that use them are in ``lifecycle``.

A guard reads what a page passes in (``can('evaluation', h, 'hearing.cancel', poll=poll)``:
``poll``, ``letter``, ``paper``, ``hearing``, ``values`` ...) and asks the database otherwise
(``fire`` passes nothing). Its refusal answers 409 unless it is a ``Refusal`` with another status.
"""
from __future__ import annotations

from portal import calendar, settings
from portal.evaluation import queries, rules
from portal.evaluation.codes import CONDITIONS
from portal.evaluation.fields import actor_id
from portal.lifecycle import Context, Guard, Refusal

# --- what guards read: passed in by a page that has it loaded, else asked ------------------------

def _today(context: Context):
    return (context.now or calendar.now()).date()


def _values(context: Context) -> dict:
    return context.extra.get("values") or settings.current_values()


def _poll_of(hearing, context: Context):
    if "poll" in context.extra:
        return context.extra["poll"]
    return queries.current_poll(hearing.id)


def _letter_of(hearing_id: int, context: Context):
    if "letter" in context.extra:
        return context.extra["letter"]
    return queries.letter_for(hearing_id)


def _paper_of(poll, context: Context):
    if "paper" in context.extra:
        return context.extra["paper"]
    return queries.paper_count(poll.id)


def _hearing_of(record, context: Context):
    return context.extra.get("hearing") or queries.hearing_row(record.hearing_id)


# --- status questions that are not transitions ---------------------------------------------------

PANEL_OPEN = frozenset({"planned", "noticed"})
RESULT_PUBLISHED = frozenset({"satisfied", "follow_up", "closed"})


def panel_refusal(hearing, poll) -> str | None:
    """Why the panel (members, recusals) can no longer change, or None."""
    if hearing.status not in PANEL_OPEN:
        return f"评价会当前为“{hearing.status_label}”，不能调整评价小组"
    if poll is not None:
        return "投票已开始，评价小组不能再调整"
    return None


def matter_edit_refusal(matter) -> str | None:
    """Editing a matter keeps its status; once its result is published it stays as it was."""
    return "评价结果已公布，事项信息不能再修改" if matter.status in RESULT_PUBLISHED else None


def follow_up_finished(matter) -> bool:
    return matter.status == "closed"


def accepted(application) -> bool:
    return application.status == "accepted"


def is_live(hearing) -> bool:
    """Not cancelled: the matter's hearing (at most one at a time)."""
    return hearing.status != "cancelled"


def poll_open(poll) -> bool:
    return poll.status == "open"


def poll_closed(poll) -> bool:
    """Closed and current: its counts stand (a superseded poll's do not)."""
    return poll is not None and poll.status == "closed"


# --- guards: why not now (Chinese), or None ------------------------------------------------------

def no_poll(message: str) -> Guard:
    def guard(hearing, context: Context) -> str | None:
        return message if _poll_of(hearing, context) is not None else None

    return guard


def on_hearing_day(act: str) -> Guard:
    def guard(hearing, context: Context) -> str | None:
        if _today(context) == hearing.day:
            return None
        return f"只能在评价会当天（{calendar.format_date(hearing.day)}）{act}"

    return guard


def notice_not_late(hearing, context: Context) -> str | None:
    days = _values(context)[rules.NOTICE_DAYS.key]
    if rules.notice_in_time(context.now or calendar.now(), hearing.day, days):
        return None
    return (f"评价会公告须在评价会前至少 {days} 个整日发布（发布日与评价会日之间至少相隔 {days} 天）。"
            f"评价会定于 {calendar.format_date(hearing.day)}，最迟应于 "
            f"{calendar.format_date(rules.notice_deadline(hearing.day, days))} 发布。请改期后再公告。")


def panel_formed(hearing, context: Context) -> str | None:
    message = rules.panel_error(hearing, _values(context))
    return "请先组成评价小组：" + message if message else None


def panel_valid(hearing, context: Context) -> str | None:
    return rules.panel_error(hearing, _values(context))


def notice_was_in_time(hearing, context: Context) -> str | None:
    days = _values(context)[rules.NOTICE_DAYS.key]
    if rules.notice_in_time(hearing.notice_published_at, hearing.day, days):
        return None
    return f"评价会公告未在评价会前 {days} 个整日公开，不能开始投票"


def attendance_taken(hearing, _context: Context) -> str | None:
    if any(m.present is None for m in hearing.members):
        return "请先登记评价小组成员的出席情况"
    return None


def quorum_present(hearing, context: Context) -> str | None:
    values = _values(context)
    size = len(hearing.members)
    present = sum(1 for m in hearing.members if m.present)
    needed = rules.quorum(size, values)
    if present >= needed:
        return None
    return (f"出席 {present} 人，不足法定人数 {needed} 人（评价小组 {size} 人的 "
            f"{values[rules.QUORUM_NUMERATOR.key]}/{values[rules.QUORUM_DENOMINATOR.key]}），"
            "不能开始投票")


def poll_counted(hearing, context: Context) -> str | None:
    return None if poll_closed(_poll_of(hearing, context)) else "表决结束后才能制作第三方评价意见书"


def letter_issued(hearing, context: Context) -> str | None:
    letter = _letter_of(hearing.id, context)
    return None if letter is not None and letter.issued_at else "请先签发第三方评价意见书"


def result_unpublished(poll, context: Context) -> str | None:
    if _hearing_of(poll, context).result_published_at is not None:
        return "评价结果已公布，不能更正表决"
    return None


def letter_unissued(poll, context: Context) -> str | None:
    letter = _letter_of(poll.hearing_id, context)
    if letter is not None and letter.issued_at is not None:
        return "第三方评价意见书已签发，不能更正表决"
    return None


def counted_on_paper(message: str) -> Guard:
    def guard(poll, _context: Context) -> str | None:
        return None if poll.mode == "paper" else message

    return guard


def counts_entered(poll, context: Context) -> str | None:
    return "计票人尚未录入票数" if _paper_of(poll, context) is None else None


def counts_unconfirmed(message: str) -> Guard:
    def guard(poll, context: Context) -> str | None:
        row = _paper_of(poll, context)
        return message if row is not None and row.confirmed_by_id is not None else None

    return guard


def second_user(poll, context: Context) -> str | None:
    row = _paper_of(poll, context)
    if row is not None and row.entered_by_id == actor_id(context.user):
        return Refusal("计票人不能确认自己录入的票数：请由另一名工作人员（监票人）用本人账号登录确认",
                       403)
    return None


def paper_confirmed(poll, context: Context) -> str | None:
    if poll.mode != "paper":
        return None
    row = _paper_of(poll, context)
    if row is None or row.confirmed_by_id is None:
        return "纸质计票结果尚未经第二名工作人员（监票人）确认，不能结束投票"
    return None


def conditions_hold(application, context: Context) -> str | None:
    recorded = context.extra.get("conditions")
    if recorded is None:
        recorded = queries.recorded_conditions(application.id)
    missing = [label for code, label in CONDITIONS.items() if not recorded.get(code)]
    if not missing:
        return None
    return Refusal("以下受理条件尚未确认成立，不能受理：" + "；".join(missing), 422)


def no_task_open(matter, context: Context) -> str | None:
    count = context.extra.get("open_tasks")
    if count is None:
        count = queries.open_task_count(matter.id)
    return "尚有督办事项未办结" if count else None


def panel_still_open(recusal, context: Context) -> str | None:
    hearing = _hearing_of(recusal, context)
    return panel_refusal(hearing, _poll_of(hearing, context))
