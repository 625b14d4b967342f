"""Staff pages for one hearing: panel and recusal, notice, attendance, the poll, the letter,
the published result. A nested blueprint of ``evaluation_staff`` (endpoints
``evaluation_staff.hearings.*``, URLs under /staff/evaluation).

Each POST runs one service through ``portal.actions.perform``: 303 back to the hearing (its
section) with a message, or the page again with the refusal on its form and the refusal's
status."""
from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, abort, flash, request, url_for
from flask_login import current_user

from portal import calendar, hypermedia, settings
from portal.actions import perform
from portal.errors import apply_to_form
from portal.evaluation import (
    documents,
    guards,
    hearings,
    panels,
    paper,
    queries,
    results,
    rules,
    voting,
    workdays,
)
from portal.evaluation.forms import (
    AttendanceForm,
    CorrectionForm,
    DecisionForm,
    DeliveryForm,
    HearingForm,
    LetterForm,
    OpenPollForm,
    PanelForm,
    PaperForm,
    PublishForm,
    ReasonForm,
    RecusalForm,
)
from portal.evaluation.hearing_page import confirm_page, confirmed, hearing_or_404, show, unvoted
from portal.evaluation.models import Matter, Recusal
from portal.evaluation.poll_records import Poll
from portal.forms import EmptyForm, choices

bp = Blueprint("hearings", __name__)


def _found(row):
    """The record, or 404."""
    if row is None:
        abort(404)
    return row


def _locked(model, ident: int):
    return _found(queries.locked(model, ident))


def _go(hearing_id: int, anchor: str = ""):
    url = url_for("evaluation_staff.hearings.view", hearing_id=hearing_id)
    return hypermedia.see_other(url + (f"#{anchor}" if anchor else ""))


def _back(hearing_id: int, anchor: str = ""):
    """The answer to a change that went through: back to the hearing's section."""
    return lambda _result: _go(hearing_id, anchor)


def _refused(hearing_id: int, form_key: str, form):
    """The answer to a refusal: the hearing page again, the refused form showing why."""
    return lambda error: show(hearing_id, status=error.status, page_error=error.message,
                                       **{form_key: form})


def _invalid(hearing_id: int, form_key: str, form):
    """A form that did not validate: the hearing page again, 422."""
    return show(hearing_id, status=422, page_error="请检查填写的内容", **{form_key: form})


@bp.route("/matters/<int:matter_id>/hearings/new", methods=["GET", "POST"])
@bp.route("/hearings/<int:hearing_id>/edit", methods=["GET", "POST"])
def edit(matter_id: int | None = None, hearing_id: int | None = None):
    hearing = hearing_or_404(hearing_id) if hearing_id is not None else None  # 0 is an id
    matter = hearing.matter if hearing else _found(queries.by_id(Matter, matter_id))
    form = HearingForm(obj=hearing)
    if request.method == "GET" and hearing is None:
        form.level.data = matter.level
    if not form.validate_on_submit():
        return _form_page(form, matter, hearing, 422 if request.method == "POST" else 200)
    data = hearings.HearingData(form.day.data, form.start_time.data, form.place.data,
                                form.level.data)

    def save():
        if hearing is None:
            return hearings.create_hearing(matter, data, current_user, calendar.now())
        hearings.update_hearing(hearing, data, current_user, calendar.now())
        return hearing

    return perform(
        save, done=_saved_message, form=form,
        success=lambda saved: _go(saved.id),
        failure=lambda error: _form_page(form, matter,
                                         hearing_or_404(hearing_id) if hearing_id else None,
                                         error.status))


def _saved_message(saved) -> str:
    """Saved; a day the working calendar calls a non-working day is warned about."""
    message = "评价会已安排，请组成评价小组后发布公告"
    return message + ("。注意：" + workdays.off_day_warning(saved.day)
                      if workdays.is_off_day(saved.day) else "")


def _form_page(form: HearingForm, matter: Matter, hearing, status: int):
    days = settings.get(rules.NOTICE_DAYS.key)
    earliest = workdays.earliest_working_day(calendar.now().date() + timedelta(days=days + 1))
    return hypermedia.render(
        "evaluation/staff/hearing_form.html", form=form, matter=matter, hearing=hearing,
        notice_days=days, earliest=earliest, status=status)


@bp.get("/hearings/<int:hearing_id>")
def view(hearing_id: int):
    return show(hearing_id)


# --- the panel and recusal -----------------------------------------------------------------------

@bp.post("/hearings/<int:hearing_id>/panel")
def panel(hearing_id: int):
    hearing = hearing_or_404(hearing_id, lock=True)
    form = PanelForm()
    if not form.validate_on_submit():
        return _invalid(hearing_id, "panel_form", form)
    refused = _refused(hearing_id, "panel_form", form)

    def answer(conflict: panels.UnitConflict | None):
        # Members from the responsible unit: refused, their recusal recorded (and committed).
        if conflict is not None:
            apply_to_form(form, conflict)
            return refused(conflict)
        flash("评价小组已组成")
        return _go(hearing_id, "panel")

    return perform(lambda: panels.set_panel(hearing, form.evaluator_ids.data, form.chair_id.data,
                                            current_user, calendar.now()),
                   success=answer, failure=refused, form=form)


@bp.post("/hearings/<int:hearing_id>/recusals")
def recusal_new(hearing_id: int):
    hearing = hearing_or_404(hearing_id, lock=True)
    form = RecusalForm()
    form.evaluator_id.choices = choices((m.evaluator_id, m.evaluator.name)
                                        for m in hearing.members)
    if not form.validate_on_submit():
        return _invalid(hearing_id, "recusal_form", form)
    return perform(
        lambda: panels.request_recusal(hearing, form.evaluator_id.data, form.reason.data,
                                       form.requested_by.data, form.requester.data,
                                       current_user, calendar.now()),
        done=lambda r: "已记录回避，该评价员已退出评价小组" if r.decided_at
        else "回避申请已记录，请作出决定",
        form=form, success=_back(hearing_id, "panel"),
        failure=_refused(hearing_id, "recusal_form", form))


@bp.post("/recusals/<int:recusal_id>/decide")
def recusal_decide(recusal_id: int):
    recusal = _locked(Recusal, recusal_id)
    hearing_id, form = recusal.hearing_id, DecisionForm()
    if not form.validate_on_submit():
        return _invalid(hearing_id, "decision_form", form)
    return perform(
        lambda: panels.decide_recusal(recusal, form.decision.data == "grant", form.reason.data,
                                      current_user, calendar.now()),
        done="回避申请已决定", form=form, success=_back(hearing_id, "panel"),
        failure=_refused(hearing_id, "decision_form", form))


# --- the notice, cancelling, attendance ----------------------------------------------------------

@bp.post("/hearings/<int:hearing_id>/notice")
def notice(hearing_id: int):
    hearing = hearing_or_404(hearing_id, lock=True)
    form = EmptyForm()
    return perform(lambda: hearings.publish_notice(hearing, current_user, calendar.now()),
                   done="评价会公告已发布", form=form, success=_back(hearing_id, "notice"),
                   failure=_refused(hearing_id, "action_form", form))


@bp.post("/hearings/<int:hearing_id>/cancel")
def cancel(hearing_id: int):
    hearing = hearing_or_404(hearing_id, lock=True)
    form = ReasonForm()
    if not form.validate_on_submit():
        return _invalid(hearing_id, "cancel_form", form)
    return perform(lambda: hearings.cancel_hearing(hearing, form.reason.data, current_user,
                                                   calendar.now()),
                   done="评价会已取消", form=form, success=_back(hearing_id),
                   failure=_refused(hearing_id, "cancel_form", form))


@bp.post("/hearings/<int:hearing_id>/attendance")
def attendance(hearing_id: int):
    hearing = hearing_or_404(hearing_id, lock=True)
    form = AttendanceForm()
    if not form.validate_on_submit():
        return _invalid(hearing_id, "attendance_form", form)
    return perform(lambda: hearings.mark_attendance(hearing, form.present_ids.data,
                                                    current_user, calendar.now()),
                   done=lambda n: f"已登记出席 {n} 人", form=form,
                   success=_back(hearing_id, "poll"),
                   failure=_refused(hearing_id, "attendance_form", form))


# --- the poll ------------------------------------------------------------------------------------

@bp.post("/hearings/<int:hearing_id>/polls")
def poll_open(hearing_id: int):
    hearing = hearing_or_404(hearing_id, lock=True)
    form = OpenPollForm()
    if not form.validate_on_submit():
        return _invalid(hearing_id, "open_form", form)
    return perform(lambda: voting.open_poll(hearing, form.mode.data, current_user,
                                            calendar.now()),
                   done="投票已开始", form=form, success=_back(hearing_id, "poll"),
                   failure=_refused(hearing_id, "open_form", form))


def _poll(poll_id: int, lock: bool = False) -> Poll:
    return _locked(Poll, poll_id) if lock else _found(queries.by_id(Poll, poll_id))


@bp.get("/polls/<int:poll_id>/progress")
def poll_progress(poll_id: int):
    """The live "8 of 9 have voted" fragment (counts only, never who voted how)."""
    poll = _poll(poll_id)
    if not hypermedia.is_fragment_request():
        return _go(poll.hearing_id, "poll")
    return hypermedia.render("evaluation/staff/hearing.html", "poll_progress", poll=poll,
                             voted=queries.voted_count(poll.id))


@bp.post("/polls/<int:poll_id>/paper", endpoint="paper")
def paper_counts(poll_id: int):
    poll = _poll(poll_id, lock=True)
    hearing_id, form = poll.hearing_id, PaperForm()
    if not form.validate_on_submit():
        return _invalid(hearing_id, "paper_form", form)
    counts = paper.PaperCounts(form.issued.data, form.returned.data, form.valid.data,
                               form.invalid.data, form.manyi.data, form.bumanyi.data,
                               form.abstain.data or 0)
    return perform(lambda: paper.enter_paper_counts(poll, counts, current_user, calendar.now()),
                   done="票数已录入，请由另一名工作人员（监票人）登录确认", form=form,
                   success=_back(hearing_id, "poll"),
                   failure=_refused(hearing_id, "paper_form", form))


@bp.post("/polls/<int:poll_id>/confirm")
def paper_confirm(poll_id: int):
    poll = _poll(poll_id, lock=True)
    hearing_id, form = poll.hearing_id, EmptyForm()
    return perform(lambda: paper.confirm_paper_counts(poll, current_user, calendar.now()),
                   done="计票结果已确认", form=form, success=_back(hearing_id, "poll"),
                   failure=_refused(hearing_id, "action_form", form))


@bp.post("/polls/<int:poll_id>/close")
def poll_close(poll_id: int):
    poll = _poll(poll_id, lock=True)
    hearing_id, form = poll.hearing_id, EmptyForm()
    if (missing := unvoted(poll)) and not confirmed():
        return confirm_page(
            "结束投票", [f"出席 {poll.present_count} 人，还有 {missing} 人未投票。",
                        "结束后未投票的评价员不能再投票，计票结果不能修改。确定现在结束投票吗？"],
            url_for("evaluation_staff.hearings.poll_close", poll_id=poll.id),
            url_for("evaluation_staff.hearings.view", hearing_id=hearing_id) + "#poll",
            f"确认结束投票（{missing} 人未投）", back_label="返回，等待投票", button_class="danger")
    return perform(lambda: voting.close_poll(poll.id, current_user, calendar.now()),
                   done=lambda p: f"投票已结束：评价结果为“{p.result_label}”", form=form,
                   success=_back(hearing_id, "poll"),
                   failure=_refused(hearing_id, "action_form", form))


@bp.post("/polls/<int:poll_id>/correct")
def poll_correct(poll_id: int):
    poll = _poll(poll_id, lock=True)
    hearing_id, form = poll.hearing_id, CorrectionForm()
    if not form.validate_on_submit():
        return _invalid(hearing_id, "correction_form", form)
    return perform(lambda: voting.correct_poll(poll.id, form.reason.data, form.mode.data,
                                               current_user, calendar.now()),
                   done="已作更正：原表决作废并留存，新的投票已开始", form=form,
                   success=_back(hearing_id, "poll"),
                   failure=_refused(hearing_id, "correction_form", form))


# --- the letter and the result -------------------------------------------------------------------

@bp.post("/hearings/<int:hearing_id>/letter")
def letter_save(hearing_id: int):
    hearing = hearing_or_404(hearing_id, lock=True)
    form = LetterForm()
    if not form.validate_on_submit():
        return _invalid(hearing_id, "letter_form", form)
    return perform(lambda: results.save_letter_reasons(hearing, form.reasons.data, current_user,
                                                       calendar.now()),
                   done="评价意见已保存", form=form, success=_back(hearing_id, "letter"),
                   failure=_refused(hearing_id, "letter_form", form))


@bp.post("/hearings/<int:hearing_id>/letter/issue")
def letter_issue(hearing_id: int):
    hearing = hearing_or_404(hearing_id, lock=True)
    form = EmptyForm()
    return perform(lambda: results.issue_letter(hearing, current_user, calendar.now()),
                   done=lambda letter: f"意见书已签发（{letter.number}），可打印并送达双方",
                   form=form, success=_back(hearing_id, "letter"),
                   failure=_refused(hearing_id, "action_form", form))


@bp.get("/hearings/<int:hearing_id>/letter")
def letter_print(hearing_id: int):
    hearing = hearing_or_404(hearing_id)
    poll = queries.current_poll(hearing.id)
    letter = queries.letter_for(hearing.id)
    if not guards.poll_closed(poll) or letter is None:
        abort(404)
    return hypermedia.render("evaluation/staff/letter.html",
                             **documents.letter_context(hearing, poll, letter))


@bp.post("/hearings/<int:hearing_id>/deliveries")
def delivery(hearing_id: int):
    hearing_or_404(hearing_id, lock=True)
    letter = queries.letter_for(hearing_id)
    if letter is None:
        abort(404)
    form = DeliveryForm()
    if not form.validate_on_submit():
        return _invalid(hearing_id, "delivery_form", form)
    return perform(lambda: results.record_delivery(letter, form.party.data, form.method.data,
                                                   form.recipient.data, form.delivered_on.data,
                                                   current_user, calendar.now()),
                   done="送达情况已记录", form=form, success=_back(hearing_id, "letter"),
                   failure=_refused(hearing_id, "delivery_form", form))


@bp.post("/hearings/<int:hearing_id>/publish")
def publish(hearing_id: int):
    hearing = hearing_or_404(hearing_id, lock=True)
    form = PublishForm()
    if not form.validate_on_submit():
        return _invalid(hearing_id, "publish_form", form)
    return perform(lambda: results.publish_result(hearing, current_user, calendar.now(),
                                                  early_reason=form.reason.data),
                   done="评价结果已公布", form=form, success=_back(hearing_id, "result"),
                   failure=_refused(hearing_id, "publish_form", form))
