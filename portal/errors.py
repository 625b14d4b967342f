"""The domain error that services raise, and the two ways views report it: on a form, or as
a flashed message after a POST button."""
from __future__ import annotations

from flask import flash

from portal.extensions import db


class DomainError(Exception):
    """A rule refused the request; ``reasons`` maps form field (or '' for the form) to message."""

    def __init__(self, reasons: dict[str, str] | str, status: int = 422):
        if isinstance(reasons, str):
            reasons = {"": reasons}
        self.reasons = reasons
        self.status = status
        super().__init__("; ".join(f"{k}: {v}" if k else v for k, v in reasons.items()))

    @property
    def message(self) -> str:
        return "；".join(self.reasons.values())


def apply_to_form(form, error: DomainError) -> None:
    """Put each reason on its field; reasons for no field go to ``form.form_errors``."""
    for field_name, message in error.reasons.items():
        field = getattr(form, field_name, None) if field_name else None
        if field is not None and hasattr(field, "errors"):
            field.errors = list(field.errors) + [message]
        else:
            form.form_errors.append(message)


def commit_or_flash(action, done) -> bool:
    """Run a service call for a POST button: commit and flash ``done`` (a message, or a
    function of the call's result), or roll back and flash why the rule refused."""
    try:
        result = action()
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return False
    db.session.commit()
    flash(done(result) if callable(done) else done)
    return True
