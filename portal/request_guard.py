"""What the portal accepts of a request before any view sees it, and the address it gives out.

- **Control characters.** No query argument, form field name or form value may contain a
  control character (Unicode category Cc: U+0000–U+001F, U+007F–U+009F); form values may hold
  tab, CR and LF (textareas). PostgreSQL refuses NUL in text, and nothing legitimate types
  one: the request is answered 400 before any view, so nothing is read or written. The bidi
  embedding, override and isolate characters are refused the same way (see ``_BIDI``).
- **Numbers and dates in query strings.** Views read them through :func:`arg_int` and
  :func:`arg_date`. An integer is an id or a count the database can hold
  (0..2**31-1, like the ``<int:...>`` URL converter); a date lies in
  :data:`MIN_DATE`..:data:`MAX_DATE`, so date arithmetic cannot overflow. Query arguments
  are filters and page positions, and a malformed one has always been ignored (the schedule
  with ``?week=notadate`` is the schedule): a value out of range is ignored the same way,
  i.e. treated as absent. Path ids are a 404 (the converter); form fields a 422
  (:mod:`portal.forms`).
- **The Host header.** Flask refuses a Host outside ``TRUSTED_HOSTS`` (400); this module
  makes sure that refusal comes first and renders as the normal Chinese error page. Absolute
  URLs are built by :func:`external_url` from ``PUBLIC_BASE_URL`` when it is set, never from
  the request's Host.
"""
from __future__ import annotations

import re
from datetime import date
from urllib.parse import urlsplit

from flask import Flask, current_app, has_request_context, request, url_for
from flask.globals import request_ctx
from werkzeug.exceptions import BadRequest, SecurityError

MAX_INT = 2**31 - 1  # PostgreSQL INTEGER; the <int:...> converter has the same bound
MIN_DATE = date(2000, 1, 1)
MAX_DATE = date(2099, 12, 31)

INVALID_CHARACTERS = "提交的内容包含无效字符（如控制字符），请删除后重新提交。"
UNTRUSTED_HOST = "请求的网站地址（主机名）不受信任，请通过本站的正式网址访问。"

# Bidi embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069) make text display
# other than it reads ("Trojan Source", CVE-2021-42574): a name or a summary shown to staff
# could reorder what it says. Refused like control characters; the marks U+200E/U+200F stay.
_BIDI = r"\u202a-\u202e\u2066-\u2069"
_CONTROL = re.compile(rf"[\x00-\x1f\x7f-\x9f{_BIDI}]")
_CONTROL_IN_TEXT = re.compile(rf"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f{_BIDI}]")  # \t \n \r allowed
_DIGITS = re.compile(r"[0-9]{1,10}")


class InvalidInput(BadRequest):
    """A 400 whose Chinese message the error page shows (``public_message``)."""

    def __init__(self, public_message: str):
        super().__init__()
        self.public_message = public_message


# --- the guard -----------------------------------------------------------------------------------

def init_app(app: Flask) -> None:
    base = app.config.get("PUBLIC_BASE_URL")
    if base:
        parts = urlsplit(base)
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.query \
                or parts.fragment:
            raise RuntimeError(
                f"PUBLIC_BASE_URL must be an absolute http(s) address such as "
                f"https://xf.example.gov.cn, not {base!r}")
    # First of all before_request functions: nothing else (throttling, CSRF, a view's
    # helpers) runs for a request from an untrusted host or with control characters.
    app.before_request_funcs.setdefault(None, []).insert(0, guard_request)


def guard_request() -> None:
    if isinstance(request.routing_exception, SecurityError):
        _bind_error_page_urls()
        raise InvalidInput(UNTRUSTED_HOST)
    if _CONTROL.search(request.path):
        raise InvalidInput(INVALID_CHARACTERS)
    for key, value in request.args.items(multi=True):
        if _CONTROL.search(key) or _CONTROL.search(value):
            raise InvalidInput(INVALID_CHARACTERS)
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        for key, value in request.form.items(multi=True):
            if _CONTROL.search(key) or _CONTROL_IN_TEXT.search(value):
                raise InvalidInput(INVALID_CHARACTERS)
        for key, upload in request.files.items(multi=True):
            if _CONTROL.search(key) or _CONTROL.search(upload.filename or ""):
                raise InvalidInput(INVALID_CHARACTERS)


def _bind_error_page_urls() -> None:
    """Flask found the Host untrusted before it could bind the URL map, so ``url_for`` (which
    the error page's layout uses for its relative links) has nothing to build with. Bind it to
    the first trusted host; only relative URLs are built for this answer."""
    trusted = current_app.config.get("TRUSTED_HOSTS") or ["localhost"]
    server = next((h.lstrip(".") for h in trusted if h.lstrip(".")), "localhost")
    request_ctx.url_adapter = current_app.url_map.bind(
        server, script_name=request.root_path or "/", url_scheme=request.scheme)


# --- typed, bounded readers for query strings ----------------------------------------------------

def arg_int(name: str, default: int | None = None) -> int | None:
    """The query argument ``name`` as an integer in 0..MAX_INT (ASCII digits only), else
    ``default``: absent, empty, malformed and out of range are all "not given"."""
    raw = request.args.get(name, "").strip()
    if not _DIGITS.fullmatch(raw) or int(raw) > MAX_INT:
        return default
    return int(raw)


def arg_date(name: str, default: date | None = None) -> date | None:
    """The query argument ``name`` as a date (YYYY-MM-DD) in MIN_DATE..MAX_DATE, else
    ``default``: absent, empty, malformed and out of range are all "not given"."""
    try:
        value = date.fromisoformat(request.args.get(name, "").strip())
    except ValueError:
        return default
    return value if MIN_DATE <= value <= MAX_DATE else default


# --- absolute URLs -------------------------------------------------------------------------------

def external_url(endpoint: str, **values) -> str:
    """The absolute URL of ``endpoint``: under ``PUBLIC_BASE_URL`` when it is set (whatever
    Host the request came with, and outside requests too), else from the request's Host
    (which Flask has checked against ``TRUSTED_HOSTS``)."""
    base = current_app.config.get("PUBLIC_BASE_URL")
    if not base:
        if has_request_context() or current_app.config.get("SERVER_NAME"):
            return url_for(endpoint, _external=True, **values)
        # Outside a request (the demo seed, a job) with no base configured: the path alone.
        return current_app.url_map.bind("localhost").build(endpoint, values)
    parts = urlsplit(base)
    adapter = current_app.url_map.bind(parts.netloc, script_name=parts.path.rstrip("/") or "/",
                                       url_scheme=parts.scheme)
    return adapter.build(endpoint, values, force_external=True)
