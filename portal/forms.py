"""The base form: WTForms' own messages in Chinese, and the CSRF-only form for buttons."""
from flask_wtf import FlaskForm
from wtforms import SelectChoice
from wtforms.i18n import get_translations


class PortalForm(FlaskForm):
    class Meta:
        def get_translations(self, form):
            return get_translations(["zh"])


class EmptyForm(PortalForm):
    """For POST-only buttons that need nothing but the CSRF token."""


def choices(pairs) -> list[SelectChoice]:
    """(value, label) pairs as WTForms 3.3 wants them (tuples are deprecated)."""
    return [SelectChoice(value, label) for value, label in pairs]
