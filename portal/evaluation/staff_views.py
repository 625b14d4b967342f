"""The evaluation office's pages (/staff/evaluation): matters, applications, the evaluator
pool, follow-up. Hearings, panels, polls and letters are the nested ``hearings`` blueprint.

Views are thin: parse the form, run one service through ``portal.actions.perform`` (commit
and 303 on success; on a refusal roll back and show the page again with the refusal's status,
404 / 409 / 422), read through ``queries``.
"""
from __future__ import annotations

from flask import Blueprint, abort, request, url_for
from flask_login import current_user

from portal import calendar, hypermedia
from portal.actions import perform
from portal.evaluation import (
    applications,
    followup,
    guards,
    hearing_views,
    matters,
    pool,
    queries,
    timeline,
    workdays,
)
from portal.evaluation.codes import CONDITIONS, LEVELS, MATTER_STATUSES
from portal.evaluation.forms import (
    ApplicationForm,
    ConditionForm,
    DoneForm,
    EvaluatorForm,
    FollowUpForm,
    MatterForm,
    ReasonForm,
)
from portal.evaluation.models import Application, Evaluator, FollowUp, Matter
from portal.forms import EmptyForm, choices
from portal.vocabulary import CATEGORIES

bp = Blueprint("evaluation_staff", __name__, url_prefix="/staff/evaluation")
bp.register_blueprint(hearing_views.bp)


def _found(row):
    """The record, or 404."""
    if row is None:
        abort(404)
    return row


@bp.get("/")
def dashboard():
    filters = queries.MatterFilter(
        status=request.args.get("status", ""), level=request.args.get("level", ""),
        category=request.args.get("category", ""), q=request.args.get("q", "")[:40])
    found = queries.matters(filters)
    marks = queries.satisfied_petitioners([m.petitioner_id_hash for m in found])
    return hypermedia.render(
        "evaluation/staff/dashboard.html", "matters", matters=found, filters=filters,
        marks=marks, statuses=MATTER_STATUSES, levels=LEVELS, categories=CATEGORIES,
        counts=queries.matter_counts(),
        overdue=queries.overdue_count(calendar.now().date()),
        off_days=workdays.off_day_hearings(queries.upcoming_hearings(calendar.now().date())))


# --- matters -----------------------------------------------------------------------------------

def _matter(matter_id: int) -> Matter:
    return _found(queries.by_id(Matter, matter_id))


def _matter_data(form: MatterForm) -> matters.MatterData:
    return matters.MatterData(
        number=form.number.data, title=form.title.data, category=form.category.data,
        unit=form.unit.data, level=form.level.data, summary=form.summary.data,
        petitioner_name=form.petitioner_name.data, petitioner_id=form.petitioner_id.data or "",
        phone=form.phone.data, address=form.address.data,
        handling_opinion=form.handling_opinion.data, opinion_date=form.opinion_date.data)


def _matter_form_page(form: MatterForm, matter: Matter | None, status: int):
    return hypermedia.render("evaluation/staff/matter_form.html", form=form, matter=matter,
                             status=status)


@bp.route("/matters/new", methods=["GET", "POST"])
@bp.route("/matters/<int:matter_id>/edit", methods=["GET", "POST"])
def matter_edit(matter_id: int | None = None):
    matter = _matter(matter_id) if matter_id else None
    form = MatterForm(obj=matter)
    if request.method == "GET" and matter:
        form.petitioner_id.data = ""
    if not form.validate_on_submit():
        return _matter_form_page(form, matter, 422 if request.method == "POST" else 200)
    return perform(
        lambda: matters.save_matter(matter, _matter_data(form), current_user, calendar.now()),
        done=lambda saved: f"事项 {saved.number} 已保存", form=form,
        success=lambda saved: hypermedia.see_other(
            url_for("evaluation_staff.matter_view", matter_id=saved.id)),
        failure=lambda error: _matter_form_page(form, matter, error.status))


def _matter_page(matter_id: int, status: int = 200, revealed: str | None = None,
                 page_error: str | None = None, **forms):
    matter = _matter(matter_id)
    found = queries.matter_applications(matter.id)
    hearings = queries.matter_hearings(matter.id)
    marks = queries.satisfied_petitioners([matter.petitioner_id_hash])
    today = calendar.now().date()
    context = {
        "application_form": ApplicationForm(unit=matter.unit, applied_on=today),
        "condition_form": ConditionForm(), "refuse_form": ReasonForm(),
        "followup_form": FollowUpForm(unit=matter.unit), "done_form": DoneForm(),
        "action_form": EmptyForm(),
    }
    context.update(forms)
    return hypermedia.render(
        "evaluation/staff/matter.html", status=status, m=matter, applications=found,
        page_error=page_error, hearings=hearings,
        live=next((h for h in hearings if guards.is_live(h)), None),
        editable=guards.matter_edit_refusal(matter) is None,
        follow_up_finished=guards.follow_up_finished(matter),
        events=timeline.matter_timeline(matter), followups=queries.matter_followups(matter.id),
        other_satisfied=[n for n in marks.get(matter.petitioner_id_hash, []) if n != matter.number],
        conditions=CONDITIONS, revealed=revealed, today=today,
        names=queries.user_names(c.confirmed_by_id for a in found for c in a.conditions),
        **context)


@bp.get("/matters/<int:matter_id>")
def matter_view(matter_id: int):
    return _matter_page(matter_id)


def _to_matter(matter_id: int):
    return hypermedia.see_other(url_for("evaluation_staff.matter_view", matter_id=matter_id))


@bp.post("/matters/<int:matter_id>/reveal")
def reveal_id(matter_id: int):
    matter = _matter(matter_id)
    return perform(lambda: matters.reveal_id_number(matter, current_user),
                   success=lambda number: _matter_page(matter_id, revealed=number),
                   back=url_for("evaluation_staff.matter_view", matter_id=matter_id))


def _invalid(matter_id: int, form_key: str, form):
    """A matter page form that did not validate: the page again, 422."""
    return _matter_page(matter_id, status=422, page_error="请检查填写的内容", **{form_key: form})


def _refused_on(matter_id: int, form_key: str, form):
    """The answer to a refusal of a matter page form: the page again with the reasons."""
    return lambda error: _matter_page(matter_id, status=error.status, page_error=error.message,
                                      **{form_key: form})


@bp.post("/matters/<int:matter_id>/applications")
def application_new(matter_id: int):
    matter = _matter(matter_id)
    form = ApplicationForm()
    if not form.validate_on_submit():
        return _invalid(matter_id, "application_form", form)
    return perform(
        lambda: applications.submit_application(matter, form.unit.data, form.applied_on.data,
                                                form.reason.data, current_user, calendar.now()),
        done="已登记评价申请，请逐项确认受理条件", form=form,
        success=lambda _: _to_matter(matter_id),
        failure=_refused_on(matter_id, "application_form", form))


def _application(application_id: int) -> Application:
    application = queries.load_application(application_id, lock=True)
    if application is None:
        abort(404)
    return application


@bp.post("/applications/<int:application_id>/conditions")
def condition(application_id: int):
    application = _application(application_id)
    matter_id, form = application.matter_id, ConditionForm()
    if not form.validate_on_submit():
        return _invalid(matter_id, "condition_form", form)
    return perform(
        lambda: applications.record_condition(application, form.code.data,
                                              form.holds.data == "1", form.note.data,
                                              current_user, calendar.now()),
        done="受理条件已记录", form=form, success=lambda _: _to_matter(matter_id),
        failure=_refused_on(matter_id, "condition_form", form))


@bp.post("/applications/<int:application_id>/accept")
def application_accept(application_id: int):
    application = _application(application_id)
    matter_id, form = application.matter_id, EmptyForm()
    return perform(
        lambda: applications.accept_application(application, current_user, calendar.now()),
        done="申请已受理，请安排评价会并组成评价小组", form=form,
        success=lambda _: _to_matter(matter_id),
        failure=_refused_on(matter_id, "action_form", form))


@bp.post("/applications/<int:application_id>/refuse")
def application_refuse(application_id: int):
    application = _application(application_id)
    matter_id, form = application.matter_id, ReasonForm()
    if not form.validate_on_submit():
        return _invalid(matter_id, "refuse_form", form)
    return perform(
        lambda: applications.refuse_application(application, form.reason.data, current_user,
                                                calendar.now()),
        done="已决定不予受理", form=form, success=lambda _: _to_matter(matter_id),
        failure=_refused_on(matter_id, "refuse_form", form))


# --- follow-up ---------------------------------------------------------------------------------

@bp.post("/matters/<int:matter_id>/followups")
def followup_new(matter_id: int):
    matter = _matter(matter_id)
    form = FollowUpForm()
    if not form.validate_on_submit():
        return _invalid(matter_id, "followup_form", form)
    return perform(
        lambda: followup.add_followup(matter, form.unit.data, form.task.data, form.deadline.data,
                                      current_user, calendar.now()),
        done="已布置跟踪督办事项", form=form, success=lambda _: _to_matter(matter_id),
        failure=_refused_on(matter_id, "followup_form", form))


def _done_refused(to_list: bool, matter_id: int, form: DoneForm):
    """A task that could not be marked done: the list or the matter page again, 422."""
    if to_list:
        return _followups_page(status=422, error=form.note.errors[0] if form.note.errors
                               else "请填写办理情况")
    return _matter_page(matter_id, status=422, page_error="请填写办理情况", done_form=form)


@bp.post("/followups/<int:followup_id>/done")
def followup_done(followup_id: int):
    task = queries.locked(FollowUp, followup_id)
    if task is None:
        abort(404)
    to_list, matter_id, form = request.form.get("back") == "list", task.matter_id, DoneForm()
    if not form.validate_on_submit():
        return _done_refused(to_list, matter_id, form)
    return perform(
        lambda: followup.complete_followup(task, form.note.data, current_user, calendar.now()),
        done="督办事项已办结", form=form,
        success=lambda _: hypermedia.see_other(
            url_for("evaluation_staff.followups") if to_list else
            url_for("evaluation_staff.matter_view", matter_id=matter_id)),
        failure=lambda _error: _done_refused(to_list, matter_id, form))


def _followups_page(status: int = 200, error: str | None = None):
    return hypermedia.render(
        "evaluation/staff/followups.html", status=status, open_tasks=queries.followups("open"),
        done_tasks=queries.followups("done", limit=50), today=calendar.now().date(),
        done_form=DoneForm(), error=error)


@bp.get("/followups")
def followups():
    return _followups_page()


# --- the evaluator pool ------------------------------------------------------------------------

@bp.get("/evaluators")
def evaluators():
    people = queries.list_evaluators()
    return hypermedia.render("evaluation/staff/evaluators.html", evaluators=people,
                             accounts=queries.user_names(e.user_id for e in people),
                             action_form=EmptyForm())


def _evaluator_form_page(form: EvaluatorForm, evaluator: Evaluator | None, status: int):
    return hypermedia.render("evaluation/staff/evaluator_form.html", form=form,
                             evaluator=evaluator, status=status)


@bp.route("/evaluators/new", methods=["GET", "POST"])
@bp.route("/evaluators/<int:evaluator_id>", methods=["GET", "POST"])
def evaluator_edit(evaluator_id: int | None = None):
    evaluator = _found(queries.by_id(Evaluator, evaluator_id)) if evaluator_id else None
    form = EvaluatorForm(obj=evaluator)
    form.user_id.choices = choices([(0, "不关联账号")] + [
        (u.id, f"{u.username}（{u.display_name}）")
        for u in queries.panel_accounts(evaluator.id if evaluator else None)])
    if request.method == "GET" and evaluator:
        form.user_id.data = evaluator.user_id or 0
    if not form.validate_on_submit():
        return _evaluator_form_page(form, evaluator, 422 if request.method == "POST" else 200)
    data = pool.EvaluatorData(form.name.data, form.category.data, form.organisation.data,
                              form.contact.data or "", form.user_id.data or None)
    return perform(
        lambda: pool.save_evaluator(evaluator, data, current_user, calendar.now()),
        done=f"评价员 {data.name.strip()} 已保存", form=form,
        success=lambda _: hypermedia.see_other(url_for("evaluation_staff.evaluators")),
        failure=lambda error: _evaluator_form_page(form, evaluator, error.status))


@bp.post("/evaluators/<int:evaluator_id>/<any(activate, deactivate):action>")
def evaluator_active(evaluator_id: int, action: str):
    evaluator = _found(queries.by_id(Evaluator, evaluator_id))
    back = url_for("evaluation_staff.evaluators")
    return perform(
        lambda: pool.set_evaluator_active(evaluator, action == "activate", current_user),
        done=f"评价员 {evaluator.name} 已{'恢复' if action == 'activate' else '停用'}",
        success=lambda _: hypermedia.see_other(back), back=back)
