"""The home page: composes the reception schedule with evaluation notices and results.

Also the switch of the elder-friendly mode (长辈版 / 关怀模式): a POST (with its CSRF token)
that only sets a preference cookie and sends the browser back to the page it came from. The
mode is the same pages with a class on <html> (larger type, stronger contrast, more room, no
motion): no copies of any page.
"""
from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, current_app, has_request_context, redirect, request

from portal import calendar, hypermedia
from portal.accounts.sessions import safe_next_path
from portal.config import cookie_name
from portal.evaluation import interface as evaluation
from portal.reception import queries as reception

bp = Blueprint("public", __name__)

CARE_COOKIE = "care_mode"
CARE_DAYS = 365


@bp.get("/")
def home():
    today = calendar.now().date()
    week = reception.current_week(today)
    next_week = week + timedelta(weeks=1)
    schedule = reception.schedule(week, today, weeks=2)  # one set of queries for both weeks
    return hypermedia.render(
        "home.html", week=week, next_week=next_week, schedule=schedule,
        this_week=[s for s in schedule["sessions"] if s.day < next_week],
        following=[s for s in schedule["sessions"] if s.day >= next_week],
        evaluation=evaluation.latest(today), today=today,
    )


def care_mode() -> bool:
    """Whether this browser asked for the elder-friendly mode."""
    return request.cookies.get(cookie_name(CARE_COOKIE, current_app.config["HTTPS"])) == "1"


@bp.app_context_processor
def _care_mode_context():
    if not has_request_context():  # mails and CLI output
        return {"care_mode": False, "care_back": "/"}
    # The switch sends the citizen back here: the page itself for a GET, else its path.
    back = request.full_path.rstrip("?") if request.method == "GET" else request.path
    return {"care_mode": care_mode(), "care_back": back}


@bp.post("/care-mode")
def switch_care_mode():
    """Turn the elder-friendly mode on (``on=1``) or off, then back to the page (303)."""
    response = redirect(safe_next_path(request.form.get("next")) or "/", code=303)
    name = cookie_name(CARE_COOKIE, current_app.config["HTTPS"])
    if request.form.get("on") == "1":
        response.set_cookie(name, "1", max_age=CARE_DAYS * 86400, path="/", samesite="Lax",
                            secure=current_app.config["HTTPS"], httponly=True)
    else:
        response.delete_cookie(name, path="/", samesite="Lax",
                               secure=current_app.config["HTTPS"], httponly=True)
    return response
