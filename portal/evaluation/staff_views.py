"""The evaluation office's pages (/staff/evaluation): matters, applications, the evaluator
pool, follow-up. Hearings, panels, polls and letters are the nested ``hearings`` blueprint.

Views are thin: parse the form, call one service, commit on success (303), roll back on a
refusal and show it on the page with the refusal's status (404 / 409 / 422).
"""
from __future__ import annotations

from flask import Blueprint, abort, flash, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portal import calendar, hypermedia
from portal.access import role_required
from portal.errors import DomainError, apply_to_form, commit_or_flash
from portal.evaluation import hearing_views, pool, results, services, timeline
from portal.evaluation.forms import (
    ApplicationForm,
    ConditionForm,
    DoneForm,
    EvaluatorForm,
    FollowUpForm,
    MatterForm,
    ReasonForm,
)
from portal.evaluation.models import (
    CONDITIONS,
    LEVELS,
    MATTER_STATUSES,
    Application,
    Evaluator,
    FollowUp,
    Hearing,
    Matter,
)
from portal.extensions import db
from portal.forms import EmptyForm, choices
from portal.vocabulary import CATEGORIES

bp = Blueprint("evaluation_staff", __name__, url_prefix="/staff/evaluation")
bp.register_blueprint(hearing_views.bp)
STAFF = ("evaluation",)


@bp.get("/")
@role_required(*STAFF)
def dashboard():
    filters = services.MatterFilter(
        status=request.args.get("status", ""), level=request.args.get("level", ""),
        category=request.args.get("category", ""), q=request.args.get("q", "")[:40])
    matters = services.list_matters(filters)
    marks = services.satisfied_petitioners([m.petitioner_id_hash for m in matters])
    return hypermedia.render(
        "evaluation/staff/dashboard.html", "matters", matters=matters, filters=filters,
        marks=marks, statuses=MATTER_STATUSES, levels=LEVELS, categories=CATEGORIES,
        counts=services.matter_counts(),
        overdue=results.overdue_count(calendar.now().date()))


# --- matters -----------------------------------------------------------------------------------

def _matter(matter_id: int) -> Matter:
    return db.get_or_404(Matter, matter_id)


def _matter_data(form: MatterForm) -> services.MatterData:
    return services.MatterData(
        number=form.number.data, title=form.title.data, category=form.category.data,
        unit=form.unit.data, level=form.level.data, summary=form.summary.data,
        petitioner_name=form.petitioner_name.data, petitioner_id=form.petitioner_id.data or "",
        phone=form.phone.data, address=form.address.data,
        handling_opinion=form.handling_opinion.data, opinion_date=form.opinion_date.data)


@bp.route("/matters/new", methods=["GET", "POST"])
@bp.route("/matters/<int:matter_id>/edit", methods=["GET", "POST"])
@role_required(*STAFF)
def matter_edit(matter_id: int | None = None):
    matter = _matter(matter_id) if matter_id else None
    form = MatterForm(obj=matter)
    if request.method == "GET" and matter:
        form.phone.data, form.address.data = matter.phone, matter.address
        form.handling_opinion.data = matter.handling_opinion
        form.petitioner_id.data = ""
    if form.validate_on_submit():
        try:
            saved = services.save_matter(matter, _matter_data(form), current_user, calendar.now())
        except DomainError as error:
            db.session.rollback()
            apply_to_form(form, error)
            status = error.status
        else:
            db.session.commit()
            flash(f"事项 {saved.number} 已保存")
            return hypermedia.see_other(url_for("evaluation_staff.matter_view", matter_id=saved.id))
    else:
        status = 422 if request.method == "POST" else 200
    return hypermedia.render("evaluation/staff/matter_form.html", form=form, matter=matter,
                             status=status)


def _matter_page(matter_id: int, status: int = 200, revealed: str | None = None,
                 page_error: str | None = None, **forms):
    matter = _matter(matter_id)
    applications = list(db.session.scalars(
        select(Application).options(selectinload(Application.conditions))
        .where(Application.matter_id == matter.id).order_by(Application.id)))
    hearings = list(db.session.scalars(select(Hearing).where(Hearing.matter_id == matter.id)
                                       .order_by(Hearing.id)))
    marks = services.satisfied_petitioners([matter.petitioner_id_hash])
    today = calendar.now().date()
    context = {
        "application_form": ApplicationForm(unit=matter.unit, applied_on=today),
        "condition_form": ConditionForm(), "refuse_form": ReasonForm(),
        "followup_form": FollowUpForm(unit=matter.unit), "done_form": DoneForm(),
        "action_form": EmptyForm(),
    }
    context.update(forms)
    return hypermedia.render(
        "evaluation/staff/matter.html", status=status, m=matter, applications=applications,
        page_error=page_error,
        hearings=hearings, live=next((h for h in hearings if h.status != "cancelled"), None),
        events=timeline.matter_timeline(matter), followups=results.matter_followups(matter.id),
        other_satisfied=[n for n in marks.get(matter.petitioner_id_hash, []) if n != matter.number],
        conditions=CONDITIONS, revealed=revealed, today=today,
        names=services.user_names(c.confirmed_by_id for a in applications for c in a.conditions),
        **context)


@bp.get("/matters/<int:matter_id>")
@role_required(*STAFF)
def matter_view(matter_id: int):
    return _matter_page(matter_id)


@bp.post("/matters/<int:matter_id>/reveal")
@role_required(*STAFF)
def reveal_id(matter_id: int):
    matter = _matter(matter_id)
    number = services.reveal_id_number(matter, current_user)
    db.session.commit()
    return _matter_page(matter_id, revealed=number)


def _matter_action(matter_id: int, form, form_key: str, action, message: str):
    """Run one service for a matter page form: 303 on success, the page with errors if not."""
    if not form.validate_on_submit():
        return _matter_page(matter_id, status=422, page_error="请检查填写的内容",
                            **{form_key: form})
    try:
        action(form)
    except DomainError as error:
        db.session.rollback()
        apply_to_form(form, error)
        return _matter_page(matter_id, status=error.status, page_error=error.message,
                            **{form_key: form})
    db.session.commit()
    flash(message)
    return hypermedia.see_other(url_for("evaluation_staff.matter_view", matter_id=matter_id))


@bp.post("/matters/<int:matter_id>/applications")
@role_required(*STAFF)
def application_new(matter_id: int):
    matter = _matter(matter_id)
    return _matter_action(matter_id, ApplicationForm(), "application_form", lambda f: (
        services.submit_application(matter, f.unit.data, f.applied_on.data, f.reason.data,
                                    current_user, calendar.now())), "已登记评价申请，请逐项确认受理条件")


def _application(application_id: int) -> Application:
    application = services.load_application(application_id, lock=True)
    if application is None:
        abort(404)
    return application


@bp.post("/applications/<int:application_id>/conditions")
@role_required(*STAFF)
def condition(application_id: int):
    application = _application(application_id)
    return _matter_action(application.matter_id, ConditionForm(), "condition_form", lambda f: (
        services.record_condition(application, f.code.data, f.holds.data == "1", f.note.data,
                                  current_user, calendar.now())), "受理条件已记录")


@bp.post("/applications/<int:application_id>/accept")
@role_required(*STAFF)
def application_accept(application_id: int):
    application = _application(application_id)
    return _matter_action(application.matter_id, EmptyForm(), "action_form", lambda f: (
        services.accept_application(application, current_user, calendar.now())),
        "申请已受理，请安排评价会并组成评价小组")


@bp.post("/applications/<int:application_id>/refuse")
@role_required(*STAFF)
def application_refuse(application_id: int):
    application = _application(application_id)
    return _matter_action(application.matter_id, ReasonForm(), "refuse_form", lambda f: (
        services.refuse_application(application, f.reason.data, current_user, calendar.now())),
        "已决定不予受理")


# --- follow-up ---------------------------------------------------------------------------------

@bp.post("/matters/<int:matter_id>/followups")
@role_required(*STAFF)
def followup_new(matter_id: int):
    matter = _matter(matter_id)
    return _matter_action(matter_id, FollowUpForm(), "followup_form", lambda f: (
        results.add_followup(matter, f.unit.data, f.task.data, f.deadline.data, current_user,
                             calendar.now())), "已布置跟踪督办事项")


@bp.post("/followups/<int:followup_id>/done")
@role_required(*STAFF)
def followup_done(followup_id: int):
    followup = services.locked(FollowUp, followup_id)
    if followup is None:
        abort(404)
    back = request.form.get("back") == "list"
    form = DoneForm()
    if form.validate_on_submit():
        try:
            results.complete_followup(followup, form.note.data, current_user, calendar.now())
        except DomainError as error:
            db.session.rollback()
            apply_to_form(form, error)
        else:
            db.session.commit()
            flash("督办事项已办结")
            target = (url_for("evaluation_staff.followups") if back else
                      url_for("evaluation_staff.matter_view", matter_id=followup.matter_id))
            return hypermedia.see_other(target)
    if back:
        return _followups_page(status=422, error=form.note.errors[0] if form.note.errors
                               else "请填写办理情况")
    return _matter_page(followup.matter_id, status=422, page_error="请填写办理情况",
                        done_form=form)


def _followups_page(status: int = 200, error: str | None = None):
    return hypermedia.render(
        "evaluation/staff/followups.html", status=status, open_tasks=results.followups("open"),
        done_tasks=results.followups("done", limit=50), today=calendar.now().date(),
        done_form=DoneForm(), error=error)


@bp.get("/followups")
@role_required(*STAFF)
def followups():
    return _followups_page()


# --- the evaluator pool ------------------------------------------------------------------------

@bp.get("/evaluators")
@role_required(*STAFF)
def evaluators():
    people = pool.list_evaluators()
    return hypermedia.render("evaluation/staff/evaluators.html", evaluators=people,
                             accounts=services.user_names(e.user_id for e in people),
                             action_form=EmptyForm())


@bp.route("/evaluators/new", methods=["GET", "POST"])
@bp.route("/evaluators/<int:evaluator_id>", methods=["GET", "POST"])
@role_required(*STAFF)
def evaluator_edit(evaluator_id: int | None = None):
    evaluator = db.get_or_404(Evaluator, evaluator_id) if evaluator_id else None
    form = EvaluatorForm(obj=evaluator)
    form.user_id.choices = choices([(0, "不关联账号")] + [
        (u.id, f"{u.username}（{u.display_name}）")
        for u in pool.panel_accounts(evaluator.id if evaluator else None)])
    if request.method == "GET" and evaluator:
        form.user_id.data = evaluator.user_id or 0
    status = 200
    if form.validate_on_submit():
        data = pool.EvaluatorData(form.name.data, form.category.data, form.organisation.data,
                                      form.contact.data or "", form.user_id.data or None)
        try:
            pool.save_evaluator(evaluator, data, current_user, calendar.now())
        except DomainError as error:
            db.session.rollback()
            apply_to_form(form, error)
            status = error.status
        else:
            db.session.commit()
            flash(f"评价员 {data.name.strip()} 已保存")
            return hypermedia.see_other(url_for("evaluation_staff.evaluators"))
    elif request.method == "POST":
        status = 422
    return hypermedia.render("evaluation/staff/evaluator_form.html", form=form,
                             evaluator=evaluator, status=status)


@bp.post("/evaluators/<int:evaluator_id>/<any(activate, deactivate):action>")
@role_required(*STAFF)
def evaluator_active(evaluator_id: int, action: str):
    evaluator = db.get_or_404(Evaluator, evaluator_id)
    commit_or_flash(lambda: pool.set_evaluator_active(evaluator, action == "activate", current_user),
                    f"评价员 {evaluator.name} 已{'恢复' if action == 'activate' else '停用'}")
    return hypermedia.see_other(url_for("evaluation_staff.evaluators"))

