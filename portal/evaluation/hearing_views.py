"""Staff pages for one hearing: panel and recusal, notice, attendance, the poll, the letter,
the published result. A nested blueprint of ``evaluation_staff`` (endpoints
``evaluation_staff.hearings.*``, URLs under /staff/evaluation)."""
from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, abort, flash, request, url_for
from flask_login import current_user
from sqlalchemy import select

from portal import calendar, hypermedia, settings
from portal.access import role_required
from portal.errors import DomainError, apply_to_form
from portal.evaluation import documents, panels, results, rules, services, voting
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
    ReasonForm,
    RecusalForm,
)
from portal.evaluation.models import Evaluator, Matter, PaperCount, Poll, Recusal
from portal.extensions import db
from portal.forms import EmptyForm, choices

bp = Blueprint("hearings", __name__)
STAFF = ("evaluation",)


def _hearing(hearing_id: int, lock: bool = False):
    hearing = panels.load_hearing(hearing_id, lock=lock)
    if hearing is None:
        abort(404)
    return hearing


def _go(hearing_id: int, anchor: str = ""):
    url = url_for("evaluation_staff.hearings.view", hearing_id=hearing_id)
    return hypermedia.see_other(url + (f"#{anchor}" if anchor else ""))


@bp.route("/matters/<int:matter_id>/hearings/new", methods=["GET", "POST"])
@bp.route("/hearings/<int:hearing_id>/edit", methods=["GET", "POST"])
@role_required(*STAFF)
def edit(matter_id: int | None = None, hearing_id: int | None = None):
    hearing = _hearing(hearing_id) if hearing_id else None
    matter = hearing.matter if hearing else db.get_or_404(Matter, matter_id)
    form = HearingForm(obj=hearing)
    if request.method == "GET" and hearing is None:
        form.level.data = matter.level
    status = 200
    if form.validate_on_submit():
        data = panels.HearingData(form.day.data, form.start_time.data, form.place.data,
                                  form.level.data)
        try:
            if hearing is None:
                hearing = panels.create_hearing(matter, data, current_user, calendar.now())
            else:
                panels.update_hearing(hearing, data, current_user, calendar.now())
        except DomainError as error:
            db.session.rollback()
            apply_to_form(form, error)
            status = error.status
            hearing = _hearing(hearing_id) if hearing_id else None
        else:
            db.session.commit()
            flash("评价会已安排，请组成评价小组后发布公告")
            return _go(hearing.id)
    elif request.method == "POST":
        status = 422
    days = settings.get(rules.NOTICE_DAYS.key)
    return hypermedia.render(
        "evaluation/staff/hearing_form.html", form=form, matter=matter, hearing=hearing,
        notice_days=days, earliest=calendar.now().date() + timedelta(days=days + 1),
        status=status)


def _hearing_page(hearing_id: int, status: int = 200, page_error: str | None = None, **forms):
    hearing = _hearing(hearing_id)
    values = settings.current_values()
    poll = panels.current_poll(hearing.id)
    paper = db.session.get(PaperCount, poll.id) if poll and poll.mode == "paper" else None
    letter = results.letter_for(hearing.id)
    unit = panels.normalise_org(hearing.matter.unit)
    candidates = list(db.session.scalars(select(Evaluator).where(Evaluator.active.is_(True))
                                         .order_by(Evaluator.category, Evaluator.id)))
    chosen = [m.evaluator_id for m in hearing.members]
    chair = next((m.evaluator_id for m in hearing.members if m.is_chair), 0)
    context = {
        "panel_form": PanelForm(evaluator_ids=chosen, chair_id=chair),
        "recusal_form": RecusalForm(), "decision_form": DecisionForm(),
        "attendance_form": AttendanceForm(
            present_ids=[m.id for m in hearing.members if m.present]),
        "open_form": OpenPollForm(), "paper_form": PaperForm(obj=paper),
        "correction_form": CorrectionForm(), "cancel_form": ReasonForm(),
        "letter_form": LetterForm(reasons=letter.reasons if letter else ""),
        "delivery_form": DeliveryForm(delivered_on=calendar.now().date()),
        "action_form": EmptyForm(),
    }
    context.update(forms)
    recusal_choices = choices([(0, "请选择")] + [(m.evaluator_id, m.evaluator.name)
                                                 for m in hearing.members])
    context["recusal_form"].evaluator_id.choices = recusal_choices
    context["panel_form"].chair_id.choices = choices([(0, "请选择")] + [
        (e.id, e.name) for e in candidates])
    names = services.user_names([paper.entered_by_id if paper else None,
                                 paper.confirmed_by_id if paper else None,
                                 letter.reasons_by_id if letter else None])
    return hypermedia.render(
        "evaluation/staff/hearing.html", "poll_progress", status=status, h=hearing,
        page_error=page_error,
        m=hearing.matter, poll=poll, paper=paper, letter=letter, names=names,
        voted=voting.voted_count(poll.id) if poll else 0,
        history=[p for p in voting.poll_history(hearing.id) if p.status == "superseded"],
        deliveries=results.deliveries(letter.id) if letter else [],
        recusals=panels.hearing_recusals(hearing.id), candidates=candidates,
        conflicts={e.id for e in candidates if unit and panels.normalise_org(e.organisation)
                   == unit},
        values=values, panel_problem=panels.panel_error(hearing, values),
        quorum=panels.quorum(len(hearing.members), values),
        notice_deadline=panels.notice_deadline(hearing.day, values[rules.NOTICE_DAYS.key]),
        today=calendar.now().date(), **context)


@bp.get("/hearings/<int:hearing_id>")
@role_required(*STAFF)
def view(hearing_id: int):
    return _hearing_page(hearing_id)


def _action(hearing_id: int, form, form_key: str, action, message, anchor: str = ""):
    """Run one service for a hearing page form: 303 on success, the page with errors if not."""
    if not form.validate_on_submit():
        return _hearing_page(hearing_id, status=422, page_error="请检查填写的内容",
                             **{form_key: form})
    try:
        outcome = action(form)
    except panels.UnitConflict as error:
        # Refused — and the recusal of the unit's members is recorded all the same.
        db.session.rollback()
        panels.record_unit_conflicts(hearing_id, error.conflicts, current_user, calendar.now())
        db.session.commit()
        apply_to_form(form, error)
        return _hearing_page(hearing_id, status=error.status, page_error=error.message,
                             **{form_key: form})
    except DomainError as error:
        db.session.rollback()
        apply_to_form(form, error)
        return _hearing_page(hearing_id, status=error.status, page_error=error.message,
                             **{form_key: form})
    db.session.commit()
    flash(message(outcome) if callable(message) else message)
    return _go(hearing_id, anchor)


@bp.post("/hearings/<int:hearing_id>/panel")
@role_required(*STAFF)
def panel(hearing_id: int):
    hearing = _hearing(hearing_id, lock=True)
    return _action(hearing_id, PanelForm(), "panel_form", lambda f: panels.set_panel(
        hearing, f.evaluator_ids.data, f.chair_id.data, current_user, calendar.now()),
        "评价小组已组成", "panel")


@bp.post("/hearings/<int:hearing_id>/recusals")
@role_required(*STAFF)
def recusal_new(hearing_id: int):
    hearing = _hearing(hearing_id, lock=True)
    form = RecusalForm()
    form.evaluator_id.choices = choices((m.evaluator_id, m.evaluator.name)
                                        for m in hearing.members)
    return _action(hearing_id, form, "recusal_form", lambda f: panels.request_recusal(
        hearing, f.evaluator_id.data, f.reason.data, f.requested_by.data, f.requester.data,
        current_user, calendar.now()),
        lambda r: "回避申请已记录，请作出决定" if r.decision == "pending"
        else "已记录回避，该评价员已退出评价小组", "panel")


@bp.post("/recusals/<int:recusal_id>/decide")
@role_required(*STAFF)
def recusal_decide(recusal_id: int):
    recusal = _locked(Recusal, recusal_id)
    return _action(recusal.hearing_id, DecisionForm(), "decision_form", lambda f: (
        panels.decide_recusal(recusal, f.decision.data == "grant", f.reason.data, current_user,
                              calendar.now())), "回避申请已决定", "panel")


@bp.post("/hearings/<int:hearing_id>/notice")
@role_required(*STAFF)
def notice(hearing_id: int):
    hearing = _hearing(hearing_id, lock=True)
    return _action(hearing_id, EmptyForm(), "action_form", lambda f: panels.publish_notice(
        hearing, current_user, calendar.now()), "评价会公告已发布", "notice")


@bp.post("/hearings/<int:hearing_id>/cancel")
@role_required(*STAFF)
def cancel(hearing_id: int):
    hearing = _hearing(hearing_id, lock=True)
    return _action(hearing_id, ReasonForm(), "cancel_form", lambda f: panels.cancel_hearing(
        hearing, f.reason.data, current_user, calendar.now()), "评价会已取消")


@bp.post("/hearings/<int:hearing_id>/attendance")
@role_required(*STAFF)
def attendance(hearing_id: int):
    hearing = _hearing(hearing_id, lock=True)
    return _action(hearing_id, AttendanceForm(), "attendance_form", lambda f: (
        panels.mark_attendance(hearing, f.present_ids.data, current_user, calendar.now())),
        lambda n: f"已登记出席 {n} 人", "poll")


@bp.post("/hearings/<int:hearing_id>/polls")
@role_required(*STAFF)
def poll_open(hearing_id: int):
    hearing = _hearing(hearing_id, lock=True)
    return _action(hearing_id, OpenPollForm(), "open_form", lambda f: voting.open_poll(
        hearing, f.mode.data, current_user, calendar.now()), "投票已开始", "poll")


def _poll(poll_id: int, lock: bool = False) -> Poll:
    return _locked(Poll, poll_id) if lock else db.get_or_404(Poll, poll_id)


def _locked(model, ident: int):
    row = services.locked(model, ident)
    if row is None:
        abort(404)
    return row


@bp.get("/polls/<int:poll_id>/progress")
@role_required(*STAFF)
def poll_progress(poll_id: int):
    """The live "8 of 9 have voted" fragment (counts only, never who voted how)."""
    poll = _poll(poll_id)
    if not hypermedia.is_fragment_request():
        return _go(poll.hearing_id, "poll")
    return hypermedia.render("evaluation/staff/hearing.html", "poll_progress", poll=poll,
                             voted=voting.voted_count(poll.id))


@bp.post("/polls/<int:poll_id>/paper")
@role_required(*STAFF)
def paper(poll_id: int):
    poll = _poll(poll_id, lock=True)
    return _action(poll.hearing_id, PaperForm(), "paper_form", lambda f: (
        voting.enter_paper_counts(poll, voting.PaperCounts(
            f.issued.data, f.returned.data, f.valid.data, f.invalid.data, f.manyi.data,
            f.bumanyi.data, f.abstain.data or 0), current_user, calendar.now())),
        "票数已录入，请由另一名工作人员（监票人）登录确认", "poll")


@bp.post("/polls/<int:poll_id>/confirm")
@role_required(*STAFF)
def paper_confirm(poll_id: int):
    poll = _poll(poll_id, lock=True)
    return _action(poll.hearing_id, EmptyForm(), "action_form", lambda f: (
        voting.confirm_paper_counts(poll, current_user, calendar.now())),
        "计票结果已确认", "poll")


@bp.post("/polls/<int:poll_id>/close")
@role_required(*STAFF)
def poll_close(poll_id: int):
    poll = _poll(poll_id, lock=True)
    return _action(poll.hearing_id, EmptyForm(), "action_form", lambda f: (
        voting.close_poll(poll.id, current_user, calendar.now())),
        lambda p: f"投票已结束：评价结果为“{p.result_label}”", "poll")


@bp.post("/polls/<int:poll_id>/correct")
@role_required(*STAFF)
def poll_correct(poll_id: int):
    poll = _poll(poll_id, lock=True)
    return _action(poll.hearing_id, CorrectionForm(), "correction_form", lambda f: (
        voting.correct_poll(poll.id, f.reason.data, f.mode.data, current_user, calendar.now())),
        "已作更正：原表决作废并留存，新的投票已开始", "poll")


@bp.post("/hearings/<int:hearing_id>/letter")
@role_required(*STAFF)
def letter_save(hearing_id: int):
    hearing = _hearing(hearing_id, lock=True)
    return _action(hearing_id, LetterForm(), "letter_form", lambda f: (
        results.save_letter_reasons(hearing, f.reasons.data, current_user, calendar.now())),
        "评价意见已保存", "letter")


@bp.post("/hearings/<int:hearing_id>/letter/issue")
@role_required(*STAFF)
def letter_issue(hearing_id: int):
    hearing = _hearing(hearing_id, lock=True)
    return _action(hearing_id, EmptyForm(), "action_form", lambda f: (
        results.issue_letter(hearing, current_user, calendar.now())),
        lambda letter: f"意见书已签发（{letter.number}），可打印并送达双方", "letter")


@bp.get("/hearings/<int:hearing_id>/letter")
@role_required(*STAFF)
def letter_print(hearing_id: int):
    hearing = _hearing(hearing_id)
    poll = panels.current_poll(hearing.id)
    letter = results.letter_for(hearing.id)
    if poll is None or poll.status != "closed" or letter is None:
        abort(404)
    return hypermedia.render("evaluation/staff/letter.html",
                             **documents.letter_context(hearing, poll, letter))


@bp.post("/hearings/<int:hearing_id>/deliveries")
@role_required(*STAFF)
def delivery(hearing_id: int):
    _hearing(hearing_id, lock=True)
    letter = results.letter_for(hearing_id)
    if letter is None:
        abort(404)
    return _action(hearing_id, DeliveryForm(), "delivery_form", lambda f: (
        results.record_delivery(letter, f.party.data, f.method.data, f.recipient.data,
                                f.delivered_on.data, current_user, calendar.now())),
        "送达情况已记录", "letter")


@bp.post("/hearings/<int:hearing_id>/publish")
@role_required(*STAFF)
def publish(hearing_id: int):
    hearing = _hearing(hearing_id, lock=True)
    return _action(hearing_id, EmptyForm(), "action_form", lambda f: (
        results.publish_result(hearing, current_user, calendar.now())),
        "评价结果已公布", "result")
