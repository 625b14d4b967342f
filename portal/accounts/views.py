"""Login and logout, the staff home, and staff accounts (users, locks, passwords)."""
from __future__ import annotations

from flask import Blueprint, flash, request, url_for
from flask_login import current_user

from portal import calendar, hypermedia
from portal.accounts import queries, services, sessions, throttle
from portal.accounts.forms import LoginForm, PasswordForm, UserForm
from portal.accounts.models import User
from portal.actions import perform
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
    if not form.validate_on_submit():
        return _login_page(form, 422 if request.method == "POST" else 200)
    username = services.normalise_username(form.username.data)[:40]
    attempt = services.LoginAttempt(
        username=username, password=form.password.data, address=(request.remote_addr or "")[:64],
        known_device=username in sessions.known_device_users(), now=calendar.now())

    def answer(user):
        if user is None:
            form.form_errors.append("用户名或密码不正确，或账号已停用")
            return _login_page(form, 422)
        sessions.start(user)
        target = sessions.safe_next_path(request.args.get("next"))
        response = hypermedia.see_other(target or url_for("accounts.home"))
        sessions.remember_device(response, username)
        return response

    def refused(error):
        response = _login_page(form, 429)
        response.headers["Retry-After"] = str(error.retry_after)
        return response

    return perform(lambda: services.log_in(attempt), success=answer, failure=refused, form=form)


def _login_page(form, status: int):
    return hypermedia.render("accounts/login.html", form=form, status=status)


@bp.post("/logout")
def logout():
    def done(_result):
        sessions.forget()
        return hypermedia.see_other(url_for("public.home"))

    return perform(sessions.end, success=done, done="您已退出登录", back=url_for("public.home"))


@bp.get("/")
def home():
    return hypermedia.render("accounts/home.html")


@bp.route("/users", methods=["GET", "POST"])
def users():
    form = UserForm()

    def page(status=200):
        return hypermedia.render("accounts/users.html", form=form, accounts=queries.all_users(),
                                 restrictions=throttle.restrictions(calendar.now()),
                                 action_form=EmptyForm(), password_form=PasswordForm(),
                                 status=status)

    if not form.validate_on_submit():
        return page(422 if form.errors else 200)
    return perform(
        lambda: services.create_user(form.username.data, form.role.data, form.password.data,
                                     form.display_name.data, actor=current_user),
        success=_to_users, form=form, failure=lambda _error: page(422),
        done=lambda user: f"已创建账号 {user.username}")


def _to_users(_result=None):
    return hypermedia.see_other(url_for("accounts.users"))


@bp.post("/users/<username>/unlock")
def lift_login_restrictions(username: str):
    return perform(lambda: throttle.lift(username[:40], current_user), success=_to_users,
                   back=url_for("accounts.users"), done=f"已解除 {username[:40]} 的登录限制")


@bp.post("/users/<int:user_id>/<any(activate, deactivate):action>")
def set_user_active(user_id: int, action: str):
    user = db.get_or_404(User, user_id)
    return perform(lambda: services.set_active(user, action == "activate", current_user),
                   success=_to_users, back=url_for("accounts.users"),
                   done=f"账号 {user.username} 已{'启用' if action == 'activate' else '停用'}")


@bp.post("/users/<int:user_id>/sessions/end")
def end_sessions(user_id: int):
    user = db.get_or_404(User, user_id)
    return perform(lambda: services.end_sessions(user, current_user), success=_to_users,
                   back=url_for("accounts.users"), done=f"账号 {user.username} 的所有会话已结束")


@bp.post("/users/<int:user_id>/password")
def reset_password(user_id: int):
    user = db.get_or_404(User, user_id)
    form = PasswordForm()
    if not form.validate_on_submit():
        flash("；".join(form.password.errors) or "请填写新密码", "error")
        return _to_users()
    return perform(lambda: services.reset_password(user, form.password.data, current_user),
                   success=_to_users, back=url_for("accounts.users"),
                   done=f"已重设 {user.username} 的密码，其已登录的会话已失效")
