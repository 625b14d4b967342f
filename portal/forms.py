"""The base form: WTForms' own messages in Chinese, and the CSRF-only form for buttons.

Also the bounded fields every form uses instead of WTForms' own: an integer the database can
hold and a date that date arithmetic cannot overflow. Forms import ``DateField`` and
``IntegerField`` from here and give ``coerce=bounded_int`` to select fields carrying ids
(tests/test_request_guard.py checks every form).
"""
from __future__ import annotations

import wtforms
from flask_wtf import FlaskForm
from wtforms import SelectChoice
from wtforms.i18n import get_translations

from portal.request_guard import MAX_DATE, MAX_INT, MIN_DATE

DATE_RANGE_MESSAGE = (f"日期应在 {MIN_DATE.year} 年 1 月 1 日至 {MAX_DATE.year} 年 12 月 31 日之间")


class PortalForm(FlaskForm):
    class Meta:
        def get_translations(self, form):
            return get_translations(["zh"])


class EmptyForm(PortalForm):
    """For POST-only buttons that need nothing but the CSRF token."""


def choices(pairs) -> list[SelectChoice]:
    """(value, label) pairs as WTForms 3.3 wants them (tuples are deprecated)."""
    return [SelectChoice(value, label) for value, label in pairs]


def bounded_int(value) -> int:
    """``coerce=`` for select and checkbox fields carrying ids: an integer in 0..2**31-1, like
    the ``<int:...>`` URL converter. Anything else raises ValueError, which the field reports
    as an invalid choice — never an overflow inside the database driver."""
    number = value if isinstance(value, int) and not isinstance(value, bool) else int(str(value))
    if not 0 <= number <= MAX_INT:
        raise ValueError("out of range")
    return number


class IntegerField(wtforms.IntegerField):
    """WTForms' IntegerField, refusing numbers beyond what the database holds (±2**31-1)."""

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        if self.data is not None and not -MAX_INT <= self.data <= MAX_INT:
            self.data = None
            raise ValueError(self.gettext("Not a valid integer value."))


class DateField(wtforms.DateField):
    """WTForms' DateField, refusing dates outside 2000–2099: a series, a deadline or a notice
    period computed from 9999-12-25 would overflow Python's date."""

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError("日期格式不正确，应为 2027-01-01 这样的日期") from None
        if self.data is not None and not MIN_DATE <= self.data <= MAX_DATE:
            self.data = None
            raise ValueError(DATE_RANGE_MESSAGE)
