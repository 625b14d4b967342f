"""Login, the staff home, and administration: users, rule settings, working calendar, audit."""
from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, flash, request, url_for
from flask_login import current_user
from sqlalchemy import select

from portal import audit, calendar, hypermedia, request_guard, settings
from portal.access import role_required
from portal.accounts import services, sessions, throttle
from portal.accounts.forms import CalendarOverrideForm, LoginForm, PasswordForm, UserForm
from portal.accounts.models import User
from portal.errors import DomainError, apply_to_form, commit_or_flash
from portal.extensions import db, limiter, login_manager
from portal.forms import EmptyForm

bp = Blueprint("accounts", __name__, url_prefix="/staff")


@login_manager.user_loader
def load_user(token: str):
    user_id, _, version = token.partition(":")
    if not user_id.isdigit() or not version.isdigit():
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.active or user.session_version != int(version):
        return None
    return user


bp.before_app_request(sessions.enforce_lifetime)


@bp.route("/login", methods=["GET", "POST"])
# Per address, every attempt; per account, see accounts.throttle (lock by account + address).
@limiter.limit("20 per minute", methods=["POST"])
def login():
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        username = services.normalise_username(form.username.data)[:40]
        address = (request.remote_addr or "")[:64]
        now = calendar.now()
        known = username in sessions.known_device_users()
        if refused := throttle.refusal(username, address, now, known_device=known):
            form.form_errors.append(refused.message)
            response = hypermedia.render("accounts/login.html", form=form, status=429)
            response.headers["Retry-After"] = str(refused.retry_after)
            return response
        user = services.authenticate(username, form.password.data)
        if user is not None:
            throttle.clear(username, address)
            sessions.start(user)
            audit.record("user.login", "user", user.id, actor=user)
            db.session.commit()
            target = sessions.safe_next_path(request.args.get("next"))
            response = hypermedia.see_other(target or url_for("accounts.home"))
            sessions.remember_device(response, username)
            return response
        throttle.record_failure(username, address, now)
        db.session.commit()
        form.form_errors.append("用户名或密码不正确，或账号已停用")
    if request.method == "POST":
        status = 422
    return hypermedia.render("accounts/login.html", form=form, status=status)


@bp.post("/logout")
def logout():
    sessions.end()
    flash("您已退出登录")
    return hypermedia.see_other(url_for("public.home"))


@bp.get("/")
@role_required("admin", "reception", "evaluation", "panel")
def home():
    return hypermedia.render("accounts/home.html")


@bp.route("/users", methods=["GET", "POST"])
@role_required("admin")
def users():
    form = UserForm()
    if form.validate_on_submit():
        try:
            services.create_user(form.username.data, form.role.data, form.password.data,
                                 form.display_name.data, actor=current_user)
        except DomainError as error:
            db.session.rollback()
            apply_to_form(form, error)
        else:
            db.session.commit()
            flash(f"已创建账号 {form.username.data.strip().lower()}")
            return hypermedia.see_other(url_for("accounts.users"))
    accounts = db.session.scalars(select(User).order_by(User.role, User.username)).all()
    status = 422 if form.errors or form.form_errors else 200
    return hypermedia.render("accounts/users.html", form=form, accounts=accounts,
                             restrictions=throttle.restrictions(calendar.now()),
                             action_form=EmptyForm(), password_form=PasswordForm(), status=status)


@bp.post("/users/<username>/unlock")
@role_required("admin")
def lift_login_restrictions(username: str):
    commit_or_flash(lambda: throttle.lift(username[:40], current_user),
                    f"已解除 {username[:40]} 的登录限制")
    return hypermedia.see_other(url_for("accounts.users"))


@bp.post("/users/<int:user_id>/<any(activate, deactivate):action>")
@role_required("admin")
def set_user_active(user_id: int, action: str):
    user = db.get_or_404(User, user_id)
    commit_or_flash(lambda: services.set_active(user, action == "activate", current_user),
                    f"账号 {user.username} 已{'启用' if action == 'activate' else '停用'}")
    return hypermedia.see_other(url_for("accounts.users"))


@bp.post("/users/<int:user_id>/password")
@role_required("admin")
def reset_password(user_id: int):
    user = db.get_or_404(User, user_id)
    form = PasswordForm()
    if not form.validate_on_submit():
        flash("请填写新密码", "error")
        return hypermedia.see_other(url_for("accounts.users"))
    commit_or_flash(lambda: services.reset_password(user, form.password.data, current_user),
                    f"已重设 {user.username} 的密码，其已登录的会话已失效")
    return hypermedia.see_other(url_for("accounts.users"))


@bp.route("/settings", methods=["GET", "POST"])
@role_required("admin")
def rule_settings():
    form = EmptyForm()
    errors: dict[str, str] = {}
    values = settings.current_values()
    if form.validate_on_submit():
        # A field left out of the form keeps its current value.
        submitted = {key: request.form.get(key, settings.as_text(values[key]))
                     for key in settings.REGISTRY}
        errors = settings.save(submitted)
        if not errors:
            audit.record("settings.update", "settings", "rules",
                         **{k: v for k, v in submitted.items() if settings.as_text(values[k]) != v})
            db.session.commit()
            flash("规则设置已保存")
            return hypermedia.see_other(url_for("accounts.rule_settings"))
        db.session.rollback()
        values = {**values, **submitted}
    groups: dict[str, list] = {}
    for spec in settings.REGISTRY.values():
        groups.setdefault(spec.group, []).append(spec)
    return hypermedia.render("accounts/settings.html", form=form, groups=groups, values=values,
                             errors=errors, status=422 if errors else 200)


@bp.route("/calendar", methods=["GET", "POST"])
@role_required("admin", "reception")
def working_calendar():
    form = CalendarOverrideForm()
    if form.validate_on_submit():
        day = form.day.data
        row = db.session.get(calendar.CalendarOverride, day)
        if row is None:
            row = calendar.CalendarOverride(day=day)
            db.session.add(row)
        row.is_working = form.is_working.data
        row.note = form.note.data.strip()
        audit.record("calendar.set", "calendar", day.isoformat(),
                     is_working=row.is_working, note=row.note)
        db.session.commit()
        flash(f"已设置 {calendar.format_date(day)} 为{'工作日' if row.is_working else '休息日'}")
        return hypermedia.see_other(url_for("accounts.working_calendar"))
    overrides = db.session.scalars(
        select(calendar.CalendarOverride).order_by(calendar.CalendarOverride.day.desc())
    ).all()
    today = calendar.now().date()
    return hypermedia.render(
        "accounts/calendar.html", form=form, overrides=overrides, delete_form=EmptyForm(),
        known_years=[y for y in (today.year, today.year + 1) if calendar.known_year(y)],
        years=_calendar_years(today),
        status=422 if form.errors else 200,
    )


def _calendar_years(today: date) -> list[dict]:
    confirmed = calendar.confirmed_years()
    return [{"year": y, "known": calendar.known_year(y), "confirmed": y in confirmed}
            for y in (today.year, today.year + 1)]


@bp.post("/calendar/years/<int:year>/<any(confirm, revoke):action>")
@role_required("admin")
def confirm_calendar_year(year: int, action: str):
    commit_or_flash(lambda: calendar.set_year_confirmed(year, action == "confirm",
                                                                 current_user, calendar.now()),
                    f"{year}年日历已{'确认' if action == 'confirm' else '撤销确认'}")
    return hypermedia.see_other(url_for("accounts.working_calendar"))


@bp.post("/calendar/<day>/delete")
@role_required("admin", "reception")
def delete_calendar_override(day: str):
    try:
        parsed = date.fromisoformat(day)
    except ValueError:
        abort(404)
    row = db.get_or_404(calendar.CalendarOverride, parsed)
    db.session.delete(row)
    audit.record("calendar.delete", "calendar", day)
    db.session.commit()
    flash(f"已删除 {calendar.format_date(parsed)} 的设置")
    return hypermedia.see_other(url_for("accounts.working_calendar"))


@bp.get("/audit")
@role_required("admin")
def audit_log():
    before = request_guard.arg_int("before")
    query = select(audit.AuditEntry).order_by(audit.AuditEntry.id.desc()).limit(50)
    if before:
        query = query.where(audit.AuditEntry.id < before)  # keyset paging: fast at any depth
    entries = db.session.scalars(query).all()
    return hypermedia.render("accounts/audit.html", entries=entries)
