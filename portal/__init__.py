"""信访公开服务门户 — the application factory."""
from __future__ import annotations

import json
import os
import traceback
from urllib.parse import quote

from flask import Flask, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import StatementError
from werkzeug.exceptions import HTTPException, MethodNotAllowed
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from portal import (
    access,
    assets,
    audit,
    bureau,
    calendar,
    config,
    events,
    hypermedia,
    lifecycle,
    privacy,
    request_guard,
)
from portal.extensions import configure_sqlite, csrf, db, htmx, limiter, login_manager, migrate

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# htmx runs without eval and without injecting its own styles, so the CSP can stay strict;
# 422 answers (invalid forms) are swapped like 200s.
HTMX_CONFIG = json.dumps(
    {
        "includeIndicatorStyles": False,
        "allowEval": False,
        "allowScriptTags": False,
        "selfRequestsOnly": True,
        "historyCacheSize": 0,
        "responseHandling": [
            {"code": "204", "swap": False},
            {"code": "[23]..", "swap": True},
            {"code": "422", "swap": True},
            {"code": "[45]..", "swap": False, "error": True},
        ],
    }
)

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)

ERROR_MESSAGES = {
    400: ("请求无效", "提交的内容无法处理，请返回上一页重试。"),
    403: ("无权访问", "您的账号没有访问此页面的权限。"),
    404: ("页面不存在", "您要找的页面不存在或已删除，请检查网址。"),
    405: ("请求方式不正确", "此地址不接受这种请求方式。"),
    413: ("内容过大", "提交的内容超过了允许的大小。"),
    429: ("操作过于频繁", "您的操作过于频繁，请稍后再试。"),
    500: ("系统繁忙", "系统暂时出现问题，您的操作未生效，请稍后重试。"),
}


def create_app(test_config: dict | None = None) -> Flask:
    app = Flask(
        __name__,
        instance_path=os.path.join(ROOT, "instance"),
        template_folder=os.path.join(ROOT, "templates"),
        static_folder=os.path.join(ROOT, "static"),
    )
    if test_config and "INSTANCE_PATH" in test_config:
        app.instance_path = test_config["INSTANCE_PATH"]
    app.config.update(config.FIXED)
    app.config.update(config.from_environment(app.instance_path))
    if test_config:
        app.config.update(test_config)
    # Cookie names and flags, and the URL scheme, follow the one HTTPS switch.
    app.config.update(config.transport(app.config["HTTPS"]))
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("sqlite"):
        os.makedirs(app.instance_path, exist_ok=True)
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {}
    # Bound parameters (names, keyed hashes, ciphertexts, password hashes) never reach an error
    # message, a traceback or a log line.
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {
        **(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {}), "hide_parameters": True}
    _configure_edge(app)
    # Every <int:...> in a URL is an id the database can hold: larger numbers are a 404,
    # never an integer overflow inside the database driver.
    app.url_map.converters["int"] = BoundedIntegerConverter

    db.init_app(app)
    migrate.init_app(app, db, directory=os.path.join(ROOT, "migrations"), render_as_batch=True)
    login_manager.init_app(app)
    csrf.init_app(app)
    htmx.init_app(app)
    limiter.init_app(app)
    # Control characters, untrusted Host headers: refused before every other request hook.
    request_guard.init_app(app)
    if uri.startswith("sqlite"):
        with app.app_context():
            configure_sqlite(db.engine)

    _register_blueprints(app)
    # Who may use which view: the table in portal/access.py, after the session checks.
    access.init_app(app)
    # Static files: content-hashed addresses cached for a year, gzip (portal/assets.py).
    assets.init_app(app)
    _connect_domains()
    _register_templating(app)
    _register_errors(app)
    _register_headers(app)
    from portal.cli import register_cli

    register_cli(app)
    return app


def _configure_edge(app: Flask) -> None:
    """Where request limits are counted, and which client address they count."""
    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config.get("REDIS_URL") or "memory://")
    if app.config["RATELIMIT_STORAGE_URI"].startswith("memory") and not app.testing:
        app.logger.warning(
            "REDIS_URL is not set: request limits (booking, lookup, login per address) are "
            "counted per worker process, so N workers allow N times the limit. Set REDIS_URL "
            "on every server of a real deployment.")
    # X-Forwarded-For is believed only from the configured number of proxies in front.
    if app.config["PROXY_COUNT"]:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=app.config["PROXY_COUNT"],
                                x_proto=app.config["PROXY_COUNT"])


class BoundedIntegerConverter(IntegerConverter):
    def __init__(self, map, fixed_digits=0, min=None, max=2**31 - 1, signed=False):  # noqa: A002
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def _connect_domains() -> None:
    """What one domain tells or asks another, wired once here."""
    from portal.casework.lifecycle import guard_reception
    from portal.notify import messages as notify_messages

    # Side effects of domain events run in the same transaction as the change.
    events.subscribe("", audit.record_event)
    guard_reception()  # a visitor with a reception record cannot become 爽约
    notify_messages.subscribe()  # messages to citizens, written with the change


def _register_blueprints(app: Flask) -> None:
    # Only the factory knows every domain (see CONVENTIONS.md, "shape of the imports").
    from portal import home
    from portal.accounts.views import bp as accounts_bp
    from portal.admin.views import bp as admin_bp
    from portal.casework.day_views import bp as casework_day
    from portal.casework.export_views import bp as casework_exports
    from portal.casework.public_views import bp as casework_public
    from portal.casework.views import bp as casework_supervision
    from portal.evaluation.views import panel_bp as evaluation_panel
    from portal.evaluation.views import public_bp as evaluation_public
    from portal.evaluation.views import staff_bp as evaluation_staff
    from portal.notify.views import bp as notify_bp
    from portal.reception.desk_views import desk_bp as reception_desk
    from portal.reception.staff_views import staff_bp as reception_staff
    from portal.reception.views import public_bp as reception_public
    from portal.stats.views import bp as stats_staff
    from portal.stats.views import public_bp as stats_public

    app.register_blueprint(home.bp)
    app.register_blueprint(accounts_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(reception_public)
    app.register_blueprint(reception_staff)
    app.register_blueprint(reception_desk)
    app.register_blueprint(evaluation_public)
    app.register_blueprint(evaluation_staff)
    app.register_blueprint(evaluation_panel)
    app.register_blueprint(casework_day)
    app.register_blueprint(casework_supervision)
    app.register_blueprint(casework_exports)
    app.register_blueprint(notify_bp)
    app.register_blueprint(casework_public)
    app.register_blueprint(stats_staff)
    app.register_blueprint(stats_public)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = "请先登录"


def _register_templating(app: Flask) -> None:
    app.jinja_env.filters.update(
        cn_date=calendar.format_date,
        cn_time=calendar.format_time,
        cn_datetime=calendar.format_datetime,
        mask_name=privacy.mask_name,
        mask_phone=privacy.mask_phone,
    )
    # Templates ask the lifecycles which actions are open; they never compare statuses.
    # ``bureau``: the contact details an administrator sets (read once per request, lazily).
    app.jinja_env.globals.update(open_actions=lifecycle.open_actions, can=lifecycle.can,
                                 bureau=bureau.template_global)
    if app.config.get("TESTING"):
        from jinja2 import StrictUndefined

        app.jinja_env.undefined = StrictUndefined

    # The site works without htmx (npm absent): then the script tag is simply left out.
    htmx_available = os.path.exists(os.path.join(app.static_folder, "vendor", "htmx.min.js"))

    def calendar_warnings() -> list[str]:
        return calendar.unsettled_year_warnings(calendar.now().date())

    # The icon (181 bytes) travels inside the page: one request less on a first visit.
    with open(os.path.join(app.static_folder, "favicon.svg"), encoding="utf-8") as fh:
        favicon = "data:image/svg+xml," + quote(fh.read().strip(), safe=" /=:\"")

    @app.context_processor
    def _globals():
        return {"htmx_config": HTMX_CONFIG, "htmx_available": htmx_available,
                "calendar_warnings": calendar_warnings, "favicon_data_uri": favicon}


def _register_errors(app: Flask) -> None:
    def page(status: int, message: str | None = None, headers=None):
        title, default = ERROR_MESSAGES.get(status) or ERROR_MESSAGES[500 if status >= 500 else 400]
        return (render_template("error.html", title=title, message=message or default), status,
                headers or {})

    @app.errorhandler(CSRFError)
    def _csrf(error):
        return page(400, "页面已过期或安全校验失败（CSRF），请刷新页面后重新提交。")

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException):
        if error.code is None or error.code < 400:  # routing redirects (308) pass through
            return error
        if error.code >= 500:
            db.session.rollback()
        # A 405 must still say which methods the address takes.
        allow = {"Allow": ", ".join(error.valid_methods)} if isinstance(
            error, MethodNotAllowed) and error.valid_methods else None
        return page(error.code, getattr(error, "public_message", None), allow)

    @app.errorhandler(Exception)
    def _unexpected(error: Exception):
        db.session.rollback()
        _log_unexpected(app, error)
        return page(500)


def _log_unexpected(app: Flask, error: Exception) -> None:
    """Log an unhandled error. A database error's message can quote the data itself
    (PostgreSQL: 'DETAIL: Key (id_hash)=(...) already exists', 'invalid input syntax for type
    integer: "..."'), so for those only the kind of error, its SQLSTATE and constraint, the
    statement (placeholders only: the engine hides parameters) and the stack are logged —
    also when the database error is only the cause or context of the one raised."""
    where = f"{request.method} {request.path}"
    chain, seen = [], error
    while seen is not None and seen not in chain:
        chain.append(seen)
        seen = seen.__cause__ or seen.__context__
    db_error = next((e for e in chain if isinstance(e, StatementError)), None)
    if db_error is None:
        app.logger.exception("unhandled error on %s", where)
        return
    orig = db_error.orig
    diag = getattr(orig, "diag", None)
    app.logger.error(
        "unhandled database error on %s: %s from %s (%s.%s, SQLSTATE %s, constraint %s)\n"
        "[SQL: %s]\nTraceback (messages left out: they may quote personal data):\n%s",
        where, type(error).__name__, type(db_error).__name__, type(orig).__module__,
        type(orig).__name__, getattr(orig, "sqlstate", None) or getattr(orig, "sqlite_errorname", None),
        getattr(diag, "constraint_name", None), db_error.statement,
        "".join(traceback.format_tb(error.__traceback__)).rstrip())


def _register_headers(app: Flask) -> None:
    @app.after_request
    def _security_headers(response):
        headers = response.headers
        # Set, not defaulted: no view may loosen them.
        headers["Content-Security-Policy"] = CSP
        headers["X-Content-Type-Options"] = "nosniff"
        if app.config["HTTPS"]:
            headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if response.mimetype == "text/html":
            hypermedia.add_vary(response)
            headers.setdefault("Cache-Control", "no-store")
        return response
