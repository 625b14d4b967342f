"""The one place that reads htmx request headers and shapes responses for htmx.

Headers are read through htmx-flask's ``request.htmx``; a later move from htmx 2 to 4 (which
renames request headers) touches only this module.
"""
from __future__ import annotations

from flask import Response, current_app, make_response, redirect, render_template, request
from jinja2_fragments import render_block


def is_fragment_request() -> bool:
    """A fragment is wanted for htmx requests, except boosted navigations and history
    restores (Back after hx-push-url, with nothing cached), which replace the whole page."""
    hx = request.htmx
    return bool(hx) and not hx.boosted and not hx.history_restore_request


def render(template: str, block: str | None = None, status: int = 200, **context) -> Response:
    """Render the whole page, or only ``block`` of it for an htmx fragment request."""
    if block and is_fragment_request():
        # render_block skips context processors: add them as render_template would.
        ctx: dict = {}
        current_app.update_template_context(ctx)
        ctx.update(context)
        body = render_block(current_app.jinja_env, template, block, **ctx)
    else:
        body = render_template(template, **context)
    return make_response(body, status)


def see_other(url: str) -> Response:
    """POST/redirect/GET with 303; a plain (non-boosted) htmx call is told to navigate."""
    if is_fragment_request():
        response = make_response("", 204)
        response.headers["HX-Redirect"] = url
        return response
    return redirect(url, code=303)


def add_vary(response: Response) -> Response:
    response.vary.add("HX-Request")
    return response
