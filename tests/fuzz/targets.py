"""Every form of the portal, as the fuzzer addresses it: the endpoint, who posts it, the kind of
row its URL points at, and its fields (read from the WTForms class the view uses).

``test_coverage.py`` checks that these endpoints, with ``BUTTONS``, are exactly the app's POST
endpoints: a new form without a line here fails the suite.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from portal.accounts.forms import LoginForm, PasswordForm, UserForm
from portal.admin.audit_export import FORMATS as AUDIT_FORMATS
from portal.admin.forms import CalendarOverrideForm
from portal.casework.export_views import ExportForm
from portal.casework.forms import RecordForm
from portal.casework.public_views import RatingForm
from portal.casework.supervision_forms import FORMS as HANDOVER_FORMS
from portal.casework.supervision_forms import UnitForm
from portal.evaluation import forms as ev
from portal.reception import forms as rc
from tests.fuzz.fields import Spec, form_fields, setting_fields

# The demo seed's accounts (portal/demo.py, portal/evaluation/demo.py), one per role.
ACCOUNTS = {"admin": ("admin", "demo-guanli-2026"), "reception": ("jiedai", "demo-reception-2026"),
            "evaluation": ("pingjia", "demo-evaluation-2026"), "panel": ("panel1", "demo-panel-2026")}

# POST endpoints that take no field at all (a button: the CSRF token and the URL say it all).
# Their path variables are covered by the URL-map walks of tests/test_request_guard.py.
BUTTONS = {
    "accounts.logout", "accounts.set_user_active", "accounts.lift_login_restrictions",
    "accounts.end_sessions",
    "admin.delete_calendar_override", "admin.confirm_calendar_year", "reception.forget_receipt",
    "reception_staff.reveal_id", "reception_staff.leader_active", "reception_desk.reveal",
    "casework_day.reveal_id", "casework_day.day_action", "casework.unit_active", "notify.notified",
    "evaluation_staff.application_accept", "evaluation_staff.evaluator_active",
    "evaluation_staff.reveal_id", "evaluation_staff.hearings.notice",
    "evaluation_staff.hearings.letter_issue", "evaluation_staff.hearings.paper_confirm",
}


@dataclass(frozen=True)
class Target:
    endpoint: str
    role: str | None  # None: the public
    subject: str | None  # the kind of row the URL points at (world.SUBJECTS)
    fields: dict[str, Spec] = field(default_factory=dict)
    method: str = "POST"  # GET: the fields go in the query string

    def __str__(self) -> str:
        return self.endpoint if self.method == "POST" else f"{self.endpoint}?"


def _both(*forms, **extra: Spec) -> dict[str, Spec]:
    merged: dict[str, Spec] = {}
    for form in forms:
        merged.update(form_fields(form))
    return {**merged, **extra}


CONFIRM = Spec("choice", ("1", ""))
BACK = Spec("hidden")
HANDOVER = {name: spec for prefix, form in HANDOVER_FORMS.items()
            for name, spec in form_fields(form, prefix).items()}

PUBLIC = [
    Target("accounts.login", None, None, form_fields(LoginForm)),
    Target("public.switch_care_mode", None, None,
           {"on": Spec("choice", ("1", "0")), "next": Spec("text", limit=300)}),
    Target("reception.session_detail", None, "session", form_fields(rc.BookingForm)),
    Target("reception.join_waitlist", None, "session", form_fields(rc.BookingForm)),
    Target("reception.lookup", None, "booking", form_fields(rc.LookupForm)),
    Target("reception.cancel", None, "booking", form_fields(rc.CancelForm)),
    Target("reception.accept", None, "booking", form_fields(rc.AcceptForm)),
    Target("casework_public.progress_access", None, "booking", form_fields(rc.LookupForm)),
    Target("casework_public.rate", None, "booking", form_fields(RatingForm)),
]

RECEPTION = [
    Target("reception_staff.leader_edit", "reception", "leader", form_fields(rc.LeaderForm)),
    Target("reception_staff.session_new", "reception", None, form_fields(rc.SessionForm)),
    Target("reception_staff.session_edit", "reception", "session", form_fields(rc.SessionForm)),
    Target("reception_staff.session_action", "reception", "session",
           _both(rc.ReasonForm, confirm=CONFIRM)),
    Target("reception_staff.series_edit", "reception", "series", form_fields(rc.SeriesForm)),
    Target("reception_staff.series_cancel", "reception", "series",
           _both(rc.ReasonForm, confirm=CONFIRM)),
    Target("reception_staff.booking_action", "reception", "booking", form_fields(rc.ReasonForm)),
    Target("reception_desk.check_in_code", "reception", "booking", form_fields(rc.CheckInForm)),
    Target("reception_desk.booking_act", "reception", "booking", form_fields(rc.ReasonForm)),
    Target("reception_desk.walk_in", "reception", "session", form_fields(rc.WalkInForm)),
    Target("reception_desk.walk_in_places", "reception", "session",
           form_fields(rc.WalkInPlacesForm)),
    Target("reception_desk.duty_leader", "reception", "session", form_fields(rc.DutyLeaderForm)),
    Target("casework_day.record", "reception", "booking", form_fields(RecordForm)),
    Target("casework.unit_edit", "reception", "unit", form_fields(UnitForm)),
    Target("casework.handover_action", "reception", "handover", HANDOVER),
    Target("casework_exports.download", "reception", None, form_fields(ExportForm)),
    Target("notify.retry", "reception", "message", {"back": BACK}),
]

EVALUATION = [
    Target("evaluation_staff.matter_edit", "evaluation", "matter", form_fields(ev.MatterForm)),
    Target("evaluation_staff.application_new", "evaluation", "matter",
           form_fields(ev.ApplicationForm)),
    Target("evaluation_staff.condition", "evaluation", "application",
           form_fields(ev.ConditionForm)),
    Target("evaluation_staff.application_refuse", "evaluation", "application",
           form_fields(ev.ReasonForm)),
    Target("evaluation_staff.followup_new", "evaluation", "matter", form_fields(ev.FollowUpForm)),
    Target("evaluation_staff.followup_done", "evaluation", "followup",
           _both(ev.DoneForm, back=Spec("choice", ("list", "")))),
    Target("evaluation_staff.evaluator_edit", "evaluation", "evaluator",
           form_fields(ev.EvaluatorForm)),
    Target("evaluation_staff.hearings.edit", "evaluation", "hearing", form_fields(ev.HearingForm)),
    Target("evaluation_staff.hearings.panel", "evaluation", "hearing", form_fields(ev.PanelForm)),
    Target("evaluation_staff.hearings.recusal_new", "evaluation", "hearing",
           form_fields(ev.RecusalForm)),
    Target("evaluation_staff.hearings.recusal_decide", "evaluation", "recusal",
           form_fields(ev.DecisionForm)),
    Target("evaluation_staff.hearings.cancel", "evaluation", "hearing", form_fields(ev.ReasonForm)),
    Target("evaluation_staff.hearings.attendance", "evaluation", "hearing",
           form_fields(ev.AttendanceForm)),
    Target("evaluation_staff.hearings.poll_open", "evaluation", "hearing",
           form_fields(ev.OpenPollForm)),
    Target("evaluation_staff.hearings.paper", "evaluation", "poll", form_fields(ev.PaperForm)),
    Target("evaluation_staff.hearings.poll_close", "evaluation", "poll", {"confirm": CONFIRM}),
    Target("evaluation_staff.hearings.poll_correct", "evaluation", "poll",
           form_fields(ev.CorrectionForm)),
    Target("evaluation_staff.hearings.letter_save", "evaluation", "hearing",
           form_fields(ev.LetterForm)),
    Target("evaluation_staff.hearings.delivery", "evaluation", "hearing",
           form_fields(ev.DeliveryForm)),
    Target("evaluation_staff.hearings.publish", "evaluation", "hearing",
           _both(ev.PublishForm, confirm=CONFIRM)),
    Target("evaluation_panel.reasons", "panel", "hearing", form_fields(ev.LetterForm)),
    Target("evaluation_panel.vote", "panel", "poll", _both(ev.VoteForm, confirm=CONFIRM)),
]

ADMIN = [
    Target("accounts.users", "admin", None, form_fields(UserForm)),
    Target("accounts.reset_password", "admin", "user", form_fields(PasswordForm)),
    Target("admin.working_calendar", "admin", None, form_fields(CalendarOverrideForm)),
    Target("admin.rule_settings", "admin", None, setting_fields()),
    Target("admin.audit_export_download", "admin", None,
           {"format": Spec("choice", tuple(AUDIT_FORMATS))}),
]

# The public search and filter pages: their query strings are forms too (and a GET must
# never change anything: the runner checks it on every example).
QUERIES = [
    Target("reception.schedule", None, None, {
        "week": Spec("date"), "leader": Spec("id"), "category": Spec("choice"),
        "place": Spec("text", limit=60)}, "GET"),
    Target("reception.lookup", None, "booking", {"code": Spec("text", limit=20)}, "GET"),
    Target("reception.validate_field", None, None, {
        "id_number": Spec("text"), "phone": Spec("text")}, "GET"),
    Target("evaluation.notices", None, None, {"page": Spec("int", high=5)}, "GET"),
    Target("evaluation.results_list", None, None, {"page": Spec("int", high=5)}, "GET"),
    # Staff statistics: the period of the dashboard and of every table's export.
    Target("stats.dashboard", "reception", None, {"start": Spec("date"), "end": Spec("date")},
           "GET"),
    Target("stats.export", "evaluation", None, {"start": Spec("date"), "end": Spec("date")},
           "GET"),
]

ALL = PUBLIC + RECEPTION + EVALUATION + ADMIN
