"""The one path from a view to a state change: run the service, then commit or roll back.

Views never commit or roll back themselves. ``perform`` runs one service call as one
transaction: on success it commits and answers with ``success(result)`` (usually a 303 via
``hypermedia.see_other``); when a rule refuses (``DomainError``) it rolls back and answers with
``failure(error)`` — by default the reason is flashed and the user is sent back with a 303.
Forms get the reasons on their fields through ``errors.apply_to_form``.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Response, flash, request

from portal import access, hypermedia
from portal.errors import DomainError, apply_to_form
from portal.extensions import db

T = TypeVar("T")


def perform(action: Callable[[], T], *, success: Callable[[T], Response],
            failure: Callable[[DomainError], Response] | None = None,
            done: str | Callable[[T], str] | None = None, form: Any = None,
            back: str | None = None) -> Response:
    """Run ``action`` as one transaction and answer for the view.

    ``done`` is flashed after a commit; ``form`` receives a refusal's reasons before
    ``failure`` renders it; without ``failure`` the refusal is flashed and the user is sent
    to ``back`` (303).
    """
    if failure is None and back is None:
        raise TypeError("perform() needs failure= or back= to answer a refusal")
    try:
        result = action()
    except DomainError as error:
        db.session.rollback()
        if error.status == 403:  # an object this account may not act on: audited, like the table's
            access.record_denial(request.endpoint or "", error.message)
        if form is not None:
            apply_to_form(form, error)
        if failure is not None:
            return failure(error)
        flash(error.message, "error")
        return hypermedia.see_other(back)
    db.session.commit()
    if done is not None:
        flash(done(result) if callable(done) else done)
    return success(result)


def commit(action: Callable[[], T]) -> T:
    """Run ``action`` as one transaction outside a request's form flow (login, CLI, jobs)."""
    try:
        result = action()
    except BaseException:
        db.session.rollback()
        raise
    db.session.commit()
    return result
