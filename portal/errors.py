"""The domain error that services raise, and how its reasons land on a form
(``portal.actions.perform`` does the rest: rollback, flash, 303)."""
from __future__ import annotations


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
