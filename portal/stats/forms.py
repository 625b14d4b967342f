"""The dashboard's period (a GET form: no CSRF token, nothing changes)."""
from __future__ import annotations

from wtforms import StringField

from portal.forms import PortalForm


class PeriodForm(PortalForm):
    """Read as text and checked by ``periods.parse``, so every wrong value gets its own
    Chinese reason (format, years, order, length)."""

    class Meta:
        csrf = False

    start = StringField("开始日期")
    end = StringField("结束日期")
