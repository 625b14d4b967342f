"""Who may use which view: one declared table, enforced before every request.

Every endpoint of the URL map has a rule here; an endpoint without one is refused to everyone
(and ``tests/test_access_table.py`` fails), so a new view cannot be published by forgetting
its rule. Object-level checks (a panel member's own hearing, a citizen's code and phone) stay
in the services and queries that load the object.

A refusal of a signed-in account is an audited act (``access.denied``): staff probing other
roles' pages show up in the audit log. Anonymous visitors to staff pages are sent to login.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, abort, current_app, request, url_for
from flask_login import current_user

from portal import events, hypermedia
from portal.extensions import db


@dataclass(frozen=True)
class Rule:
    """``roles`` may use the view; ``None`` means anyone, signed in or not. Administrators pass
    every staff rule except the panel's: a vote is a panel member's own act."""

    roles: frozenset[str] | None
    admin: bool = True

    def admits(self, role: str | None) -> bool:
        if self.roles is None:
            return True
        return role in self.roles or (self.admin and role == "admin")

    @property
    def public(self) -> bool:
        return self.roles is None


PUBLIC = Rule(None)
SIGNED_IN = Rule(frozenset({"admin", "reception", "evaluation", "panel"}))
ADMIN = Rule(frozenset({"admin"}))
RECEPTION = Rule(frozenset({"reception"}))
EVALUATION = Rule(frozenset({"evaluation"}))
PANEL = Rule(frozenset({"panel"}), admin=False)
# Figures about both mechanisms: reception staff and the evaluation office (and administrators).
STATS = Rule(frozenset({"reception", "evaluation"}))


def _rules(blueprint: str, rule: Rule, views: str) -> dict[str, Rule]:
    return {f"{blueprint}.{view}": rule for view in views.split()}


ACCESS: dict[str, Rule] = {
    "static": PUBLIC,
    "public.home": PUBLIC,
    "public.switch_care_mode": PUBLIC,  # the elder-friendly mode: a preference cookie
    # The citizen's side: schedule, booking, receipt, waiting list, lookup, progress, rating.
    **_rules("reception", PUBLIC, """
        schedule session_detail free_places validate_field join_waitlist receipt receipt_ics
        receipt_print lookup cancel accept forget_receipt"""),
    **_rules("casework_public", PUBLIC, "progress progress_access rate"),
    # 第三方评价 notices, results and their feed.
    **_rules("evaluation", PUBLIC, "index notices notice results_list result feed"),
    # Accounts.
    **_rules("accounts", PUBLIC, "login logout"),
    "accounts.home": SIGNED_IN,
    **_rules("accounts", ADMIN, "users set_user_active end_sessions reset_password lift_login_restrictions"),
    # Administration; the working calendar is kept by reception staff too.
    **_rules("admin", ADMIN, "rule_settings audit_log audit_export_download confirm_calendar_year"),
    **_rules("admin", RECEPTION, "working_calendar delete_calendar_override"),
    # Reception: schedule, bookings, the desk, the day, casework, exports, messages.
    **_rules("reception_staff", RECEPTION, """
        dashboard leaders leader_edit leader_active session_new session_view session_edit
        session_action series_view series_edit series_cancel booking_action reveal_id
        free_count"""),
    **_rules("reception_desk", RECEPTION, """
        checkin_desk check_in_code checkin_page booking_act reveal walk_in walk_in_places
        duty_leader"""),
    **_rules("casework_day", RECEPTION, "day day_counts day_print day_action record reveal_id"),
    **_rules("casework", RECEPTION, """
        supervision handover handover_action units unit_edit unit_active leader_ledgers
        leader_ledger unit_ledger"""),
    **_rules("casework_exports", RECEPTION, "index download"),
    **_rules("notify", RECEPTION, "outbox retry calls notified"),
    # 第三方评价: staff and panels.
    **_rules("evaluation_staff", EVALUATION, """
        dashboard application_new application_accept application_refuse condition matter_view
        matter_edit reveal_id evaluators evaluator_edit evaluator_active followups
        followup_new followup_done"""),
    **_rules("evaluation_staff.hearings", EVALUATION, """
        view edit notice panel recusal_new recusal_decide delivery attendance letter_save
        letter_issue letter_print paper paper_confirm poll_open poll_progress poll_close
        poll_correct publish cancel"""),
    **_rules("evaluation_panel", PANEL, "home hearing vote reasons"),
    # Statistics: the staff dashboard and its exports; the public transparency page.
    **_rules("stats", STATS, "dashboard export"),
    "stats_public.transparency": PUBLIC,
}


def rule_for(endpoint: str | None) -> Rule | None:
    return ACCESS.get(endpoint) if endpoint else None


def login_redirect():
    """Send an anonymous visitor to the login page (htmx calls navigate instead of swapping)."""
    target = url_for("accounts.login", next=request.full_path if request.method == "GET" else None)
    return hypermedia.see_other(target)


def enforce():
    """Before every request, after the session checks: apply the table."""
    endpoint = request.endpoint
    if endpoint is None:  # no route: the 404/405 is raised after the request hooks
        return None
    rule = rule_for(endpoint)
    if rule is None:
        current_app.logger.error("no access rule for endpoint %s: refused", endpoint)
        abort(403)
    if rule.public:
        return None
    if not current_user.is_authenticated:
        return login_redirect()
    if not rule.admits(current_user.role):
        record_denial(endpoint)
        abort(403)
    return None


def record_denial(endpoint: str, reason: str = "") -> None:
    """An audited refusal of a signed-in account, committed on its own: the request itself
    changes nothing. (Citizens have no account: their wrong phones are rate-limited.)"""
    db.session.rollback()
    if not current_user.is_authenticated:
        return
    detail = {"reason": reason[:200]} if reason else {}
    events.emit("access.denied", "route", endpoint[:40], actor=current_user._get_current_object(),
                method=request.method, path=request.path[:200], role=current_user.role, **detail)
    db.session.commit()


def init_app(app: Flask) -> None:
    app.before_request(enforce)
