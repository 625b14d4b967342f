"""The one path from a view to a state change: run the service, then commit or roll back.

Views never commit or roll back themselves. ``perform`` runs one service call as one
transaction: on success it commits and answers with ``success(result)`` (usually a 303 via
``hypermedia.see_other``); when a rule refuses (``DomainError``) it rolls back and answers with
``failure(error)`` — by default the reason is flashed and the user is sent back with a 303.
Forms get the reasons on their fields through ``errors.apply_to_form``.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from flask import Response, flash, g, request

from portal import access, hypermedia
from portal.errors import DomainError, apply_to_form
from portal.extensions import READ_PHASE, db

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
            with reading():  # the refusal is rendered without holding the write lock
                return failure(error)
        flash(error.message, "error")
        return hypermedia.see_other(back)
    db.session.commit()
    if done is not None:
        flash(done(result) if callable(done) else done)
    return success(result)


@contextmanager
def reading() -> Iterator[None]:
    """A view's read phase: loading, validating a form, rendering a refusal.

    On SQLite a transaction begun inside runs as a plain BEGIN (a snapshot, no write lock)
    even in a POST, so many citizens' forms are checked and re-rendered at once while one
    booking is written; the lock is taken only by the write (``perform``: BEGIN IMMEDIATE).
    The block's transaction ends with it (a rollback: what it loaded is expired), so the write
    reads again, in its own transaction, everything it decides on. Writing inside is a bug.
    """
    if g.get(READ_PHASE):
        yield
        return
    g.setdefault(READ_PHASE, True)
    try:
        yield
        if db.session.new or db.session.dirty or db.session.deleted:
            raise RuntimeError("a change inside actions.reading(): use perform()")
    finally:
        g.pop(READ_PHASE, None)
        db.session.rollback()


def commit(action: Callable[[], T]) -> T:
    """Run ``action`` as one transaction outside a request's form flow (login, CLI, jobs)."""
    try:
        result = action()
    except BaseException:
        db.session.rollback()
        raise
    db.session.commit()
    return result
