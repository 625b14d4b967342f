"""The staff page of one hearing (/staff/evaluation/hearings/<id>): everything it shows and
every form on it, for the first view and for a refused form shown again."""
from __future__ import annotations

from flask import abort, request

from portal import calendar, hypermedia, settings
from portal.evaluation import documents, guards, queries, rules, workdays
from portal.evaluation.fields import normalise_org
from portal.evaluation.forms import (
    AttendanceForm,
    CorrectionForm,
    DecisionForm,
    DeliveryForm,
    LetterForm,
    OpenPollForm,
    PanelForm,
    PaperForm,
    PublishForm,
    ReasonForm,
    RecusalForm,
)
from portal.forms import EmptyForm, choices


def hearing_or_404(hearing_id: int, lock: bool = False):
    hearing = queries.load_hearing(hearing_id, lock=lock)
    if hearing is None:
        abort(404)
    return hearing


def _forms(hearing, paper_row, letter) -> dict:
    chosen = [m.evaluator_id for m in hearing.members]
    chair = next((m.evaluator_id for m in hearing.members if m.is_chair), 0)
    return {
        "panel_form": PanelForm(evaluator_ids=chosen, chair_id=chair),
        "recusal_form": RecusalForm(), "decision_form": DecisionForm(),
        "attendance_form": AttendanceForm(
            present_ids=[m.id for m in hearing.members if m.present]),
        "open_form": OpenPollForm(), "paper_form": PaperForm(obj=paper_row),
        "correction_form": CorrectionForm(), "cancel_form": ReasonForm(),
        "letter_form": LetterForm(reasons=letter.reasons if letter else ""),
        "delivery_form": DeliveryForm(delivered_on=calendar.now().date()),
        "action_form": EmptyForm(), "publish_form": PublishForm(),
    }


def off_day_warning(hearing, today) -> str | None:
    """A hearing still to be held on a day the working calendar now calls a non-working day."""
    if hearing.day < today or not guards.is_live(hearing) or hearing.result_published_at:
        return None
    return workdays.off_day_warning(hearing.day) if workdays.is_off_day(hearing.day) else None


def show(hearing_id: int, status: int = 200, page_error: str | None = None, **forms):
    """The page; a refused form passed in ``forms`` replaces its blank one (data and reasons
    kept)."""
    hearing = hearing_or_404(hearing_id)
    values = settings.current_values()
    poll = queries.current_poll(hearing.id)
    paper_row = queries.paper_count(poll.id) if poll and poll.mode == "paper" else None
    letter = queries.letter_for(hearing.id)
    unit = normalise_org(hearing.matter.unit)
    candidates = queries.panel_candidates()
    context = _forms(hearing, paper_row, letter) | forms
    context["recusal_form"].evaluator_id.choices = choices(
        [(0, "请选择")] + [(m.evaluator_id, m.evaluator.name) for m in hearing.members])
    context["panel_form"].chair_id.choices = choices([(0, "请选择")] + [
        (e.id, e.name) for e in candidates])
    names = queries.user_names([paper_row.entered_by_id if paper_row else None,
                                paper_row.confirmed_by_id if paper_row else None,
                                letter.reasons_by_id if letter else None])
    today = calendar.now().date()
    return hypermedia.render(
        "evaluation/staff/hearing.html", "poll_progress", status=status, h=hearing,
        page_error=page_error, off_day=off_day_warning(hearing, today),
        reasons_by=documents.reasons_author(hearing, letter, names),
        recused=queries.granted_recusals(hearing.id),
        m=hearing.matter, poll=poll, paper=paper_row, letter=letter, names=names,
        voted=queries.voted_count(poll.id) if poll else 0,
        history=queries.superseded_polls(hearing.id),
        deliveries=queries.deliveries(letter.id) if letter else [],
        recusals=queries.hearing_recusals(hearing.id), candidates=candidates,
        conflicts={e.id for e in candidates if unit and normalise_org(e.organisation) == unit},
        values=values, panel_problem=rules.panel_error(hearing, values),
        panel_open=guards.panel_refusal(hearing, poll) is None,
        counted=guards.poll_closed(poll),
        quorum=rules.quorum(len(hearing.members), values),
        notice_deadline=rules.notice_deadline(hearing.day, values[rules.NOTICE_DAYS.key]),
        today=today, **context)


def confirmed() -> bool:
    """The second POST of an act that cannot be undone (``evaluation/confirm.html``)."""
    return request.form.get("confirm") == "1"


def confirm_page(title: str, lines: list[str], action: str, back: str, button: str,
                 fields: tuple = (), back_label: str = "返回", button_class: str = "primary"):
    """Ask once before an act that cannot be undone. Everything the act needs travels in the
    form (``fields``); nothing is stored on the server until it is confirmed."""
    return hypermedia.render("evaluation/confirm.html", title=title, action=action,
                             lines=[line for line in lines if line],
                             back=back, button=button, fields=fields, back_label=back_label,
                             button_class=button_class)


def unvoted(poll) -> int:
    """Members present who have not voted yet (an open electronic poll; else 0)."""
    if poll is None or not guards.poll_open(poll) or poll.mode != "electronic":
        return 0
    return max(poll.present_count - queries.voted_count(poll.id), 0)
