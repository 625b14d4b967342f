"""Evaluation pages: public notices, results and feed; the panel member's hearings and vote.

The staff blueprint (``evaluation_staff``, /staff/evaluation) lives in ``staff_views`` and is
re-exported here, so the factory imports all three blueprints from this module. Every change
runs through ``portal.actions.perform`` (one transaction; the refusal shown on the page).
"""
from __future__ import annotations

from flask import Blueprint, Response, abort, url_for
from flask_login import current_user

from portal import calendar, hypermedia, request_guard, settings
from portal.actions import perform
from portal.evaluation import documents, queries, results, rules, voting
from portal.evaluation.codes import CHOICES, RESULTS
from portal.evaluation.forms import LetterForm, VoteForm
from portal.evaluation.guards import poll_closed, poll_open
from portal.evaluation.hearing_page import confirm_page, confirmed
from portal.evaluation.poll_records import Poll
from portal.evaluation.staff_views import bp as staff_bp

public_bp = Blueprint("evaluation", __name__, url_prefix="/evaluation")
panel_bp = Blueprint("evaluation_panel", __name__, url_prefix="/staff/panel")

__all__ = ["public_bp", "staff_bp", "panel_bp"]


def _found(row):
    """The record, or 404."""
    if row is None:
        abort(404)
    return row


def _page() -> int:
    page = request_guard.arg_int("page", 1) or 1
    return min(max(page, 1), 500)


# --- public ------------------------------------------------------------------------------------

@public_bp.get("/")
def index():
    return hypermedia.see_other(url_for("evaluation.notices"))


@public_bp.get("/notices/")
def notices():
    today = calendar.now().date()
    page = _page()
    upcoming, past, more = queries.notices(today, page)
    return hypermedia.render("evaluation/notices.html", upcoming=upcoming, past=past, more=more,
                             page=page, today=today,
                             notice_days=settings.get(rules.NOTICE_DAYS.key))


@public_bp.get("/notices/<int:hearing_id>")
def notice(hearing_id: int):
    hearing = queries.notice(hearing_id)
    if hearing is None:
        abort(404)
    return hypermedia.render(
        "evaluation/notice.html", h=hearing, today=calendar.now().date(),
        composition=queries.panel_composition([hearing.id])[hearing.id],
        has_result=hearing.result_published_at is not None)


@public_bp.get("/results/")
def results_list():
    page = _page()
    rows, more = queries.results(page)
    return hypermedia.render("evaluation/results.html", results=rows, more=more, page=page)


@public_bp.get("/results/<int:hearing_id>")
def result(hearing_id: int):
    row = queries.result(hearing_id)
    if row is None:
        abort(404)
    return hypermedia.render("evaluation/result.html", r=row,
                             composition=queries.panel_composition([hearing_id])[hearing_id])


@public_bp.get("/feed.xml")
def feed():
    upcoming, past, _ = queries.notices(calendar.now().date())
    rows, _ = queries.results()
    body = documents.atom_feed(upcoming + past, rows)
    return Response(body, mimetype="application/atom+xml",
                    headers={"Cache-Control": "public, max-age=300"})


# --- panel members -----------------------------------------------------------------------------

@panel_bp.get("/")
def home():
    return hypermedia.render("evaluation/panel/home.html",
                             hearings=queries.panel_hearings_for(current_user.id),
                             today=calendar.now().date())


def _own_hearing(hearing_id: int):
    """The hearing and the current user's place on its panel; 404 for anyone else's."""
    hearing = queries.hearing_for_panel(hearing_id)
    member = queries.member_for_user(hearing, current_user.id) if hearing else None
    if member is None:
        abort(404)
    return hearing, member


def _panel_page(hearing_id: int, status: int = 200, error: str | None = None,
                letter_form: LetterForm | None = None):
    hearing, member = _own_hearing(hearing_id)
    poll = queries.current_poll(hearing.id)
    letter = queries.letter_for(hearing.id)
    if letter_form is None:
        letter_form = LetterForm(reasons=letter.reasons if letter else "")
    return hypermedia.render(
        "evaluation/panel/hearing.html", "poll", status=status, h=hearing, member=member,
        poll=poll, voting=bool(poll and poll_open(poll)), counted=poll_closed(poll),
        voted=bool(poll and queries.has_voted(poll.id, member.id)), error=error,
        letter=letter, letter_form=letter_form, vote_form=VoteForm())


@panel_bp.get("/hearings/<int:hearing_id>")
def hearing(hearing_id: int):
    return _panel_page(hearing_id)


def _vote_refused(hearing_id: int, error):
    """A refused vote: the page again with the reason — or 403 for someone not on the panel."""
    loaded = queries.load_hearing(hearing_id)
    if loaded is None or queries.member_for_user(loaded, current_user.id) is None:
        return hypermedia.render("error.html", status=403, title="无权投票", message=error.message)
    return _panel_page(hearing_id, status=error.status, error=error.message)


def _would_count(poll: Poll, choice: str) -> bool:
    """Would this vote be counted now? Only then is the voter asked to confirm it; every
    refusal (not on the panel, absent, closed, voted already) comes from ``cast_ballot``."""
    hearing = queries.load_hearing(poll.hearing_id)
    member = queries.member_for_user(hearing, current_user.id) if hearing else None
    allowed = set(RESULTS) | ({"abstain"} if poll.allow_abstain else set())
    return bool(member is not None and member.present and poll_open(poll)
                and poll.mode == "electronic" and choice in allowed
                and not queries.has_voted(poll.id, member.id))


def _confirm_vote(poll: Poll, choice: str):
    """提交后不能更改: the choice is shown back and carried in the confirming form only —
    nothing about it is stored until the member confirms."""
    secret = "本次为无记名投票，系统只记录您已投票，不记录您投了什么。" if poll.secret else ""
    return confirm_page(
        "提交表决", [f"您选择的是：“{CHOICES[choice]}”。每人一票，提交后不能更改。", secret],
        url_for("evaluation_panel.vote", poll_id=poll.id),
        url_for("evaluation_panel.hearing", hearing_id=poll.hearing_id) + "#vote",
        f"确认提交：{CHOICES[choice]}", fields=(("choice", choice),),
        back_label="返回重新选择")


@panel_bp.post("/polls/<int:poll_id>/vote")
def vote(poll_id: int):
    poll = _found(queries.by_id(Poll, poll_id))
    form = VoteForm()
    hearing_id = poll.hearing_id
    if not form.validate_on_submit():
        return _panel_page(hearing_id, status=422, error="请选择“满意”或“不满意”")
    if not confirmed() and _would_count(poll, form.choice.data):
        return _confirm_vote(poll, form.choice.data)
    return perform(
        lambda: voting.cast_ballot(poll_id, current_user, form.choice.data),
        done="您的投票已提交。本次为无记名投票，系统不记录您投了什么。" if poll.secret
        else "您的投票已提交。",
        success=lambda _: hypermedia.see_other(
            url_for("evaluation_panel.hearing", hearing_id=hearing_id)),
        failure=lambda error: _vote_refused(hearing_id, error))


@panel_bp.post("/hearings/<int:hearing_id>/reasons")
def reasons(hearing_id: int):
    hearing, _member = _own_hearing(hearing_id)
    form = LetterForm()
    if not form.validate_on_submit():
        return _panel_page(hearing_id, status=422, letter_form=form)
    return perform(
        lambda: results.save_letter_reasons(hearing, form.reasons.data, current_user,
                                            calendar.now()),
        done="评价意见已保存，评价办签发意见书时据此制作", form=form,
        success=lambda _: hypermedia.see_other(
            url_for("evaluation_panel.hearing", hearing_id=hearing_id)),
        failure=lambda error: _panel_page(hearing_id, status=error.status, letter_form=form))
