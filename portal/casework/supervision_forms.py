"""Forms of the hand-over page and the unit list. The rules (how long, which dates, how many
days) are the services'; these forms only parse what was typed. The hand-over page holds four
forms at once, so each has its own prefix (field names and ids ``progress-text`` ...)."""
from __future__ import annotations

from datetime import date

from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired

from portal.casework.models import REMINDER_METHODS, UNIT_KINDS
from portal.forms import DateField, IntegerField, PortalForm, choices


class ProgressForm(PortalForm):
    noted_on = DateField("日期", validators=[InputRequired("请填写日期")])
    text = TextAreaField("办理进展", render_kw={"rows": 3, "maxlength": 1000})


class ReminderForm(PortalForm):
    noted_on = DateField("催办日期", validators=[InputRequired("请填写催办日期")])
    method = SelectField("催办方式", validate_choice=False,
                         choices=choices([("", "请选择"), *REMINDER_METHODS.items()]))
    text = TextAreaField("催办内容", render_kw={"rows": 3, "maxlength": 1000})


class ExtendForm(PortalForm):
    days = IntegerField("延期天数", validators=[InputRequired("请填写延期天数")],
                        render_kw={"inputmode": "numeric", "min": 1})
    reason = TextAreaField("延期理由", render_kw={"rows": 2, "maxlength": 200})


class ConcludeForm(PortalForm):
    concluded_on = DateField("办结日期", validators=[InputRequired("请填写办结日期")])
    reply = TextAreaField("答复意见（给来访人的答复）", render_kw={"rows": 4, "maxlength": 2000})


FORMS = {"progress": ProgressForm, "reminder": ReminderForm, "extend": ExtendForm,
         "conclude": ConcludeForm}


def handover_forms(today: date, posted: str | None = None) -> dict[str, PortalForm]:
    """The page's four forms, each with its prefix; only ``posted`` reads the request, the
    others start with today's date."""
    forms = {name: cls(prefix=name) if name == posted else cls(prefix=name, formdata=None)
             for name, cls in FORMS.items()}
    for name, field in (("progress", "noted_on"), ("reminder", "noted_on"),
                        ("conclude", "concluded_on")):
        if name != posted:
            getattr(forms[name], field).data = today
    return forms


class UnitForm(PortalForm):
    name = StringField("单位名称", render_kw={"maxlength": 40})
    kind = SelectField("单位类型", validate_choice=False,
                       choices=choices([("", "请选择"), *UNIT_KINDS.items()]))
