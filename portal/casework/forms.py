"""Casework forms. The rules (required texts, lengths, the channel for 引导, the hand-over's
unit, task and deadline) are the services'; the forms carry the fields, parse dates and ids,
and receive the services' reasons on their fields (``errors.apply_to_form``)."""
from __future__ import annotations

from wtforms import HiddenField, RadioField, SelectChoice, SelectField, TextAreaField
from wtforms.validators import Optional

from portal.casework.models import CHANNELS, OUTCOMES, UNIT_KINDS
from portal.casework.services import TEXT_MAX
from portal.forms import DateField, PortalForm, bounded_int, choices

NO_UNIT = 0
SHORT_TEXT = 1000  # the services' limit for the instruction, the answer and the task


def _area(maximum: int, rows: int = 3) -> dict:
    # maxlength helps the typist; the service checks the stripped text again.
    return {"maxlength": maximum, "rows": rows}


class RecordForm(PortalForm):
    """接谈记录, with the hand-over (交办) fields used when the outcome is 交办."""

    # The record this form was opened on ("" for a new one): a second submit of a new record,
    # or a record saved meanwhile by someone else, is caught before it overwrites.
    record_id = HiddenField(default="")
    request = TextAreaField("来访诉求", render_kw=_area(TEXT_MAX, 4))
    instruction = TextAreaField("领导批示", render_kw=_area(SHORT_TEXT))
    outcome = RadioField("处理结果", choices=choices(OUTCOMES.items()), validate_choice=False)
    channel = SelectField("途径（处理结果为“引导其他途径”时选择）", validate_choice=False,
                          choices=choices([("", "请选择")] + list(CHANNELS.items())))
    answer = TextAreaField("答复内容 / 引导说明 / 不予受理理由", render_kw=_area(SHORT_TEXT))
    unit_id = SelectField("责任单位", coerce=bounded_int, validate_choice=False, default=NO_UNIT)
    task = TextAreaField("交办事项", render_kw=_area(SHORT_TEXT))
    due_on = DateField("办理期限", validators=[Optional()])  # empty: the default period

    def set_units(self, units) -> None:
        """The active units as a select grouped 县直部门 / 镇乡."""
        self.unit_id.choices = [SelectChoice(NO_UNIT, "请选择责任单位")] + [
            SelectChoice(unit.id, unit.name, optgroup=UNIT_KINDS[unit.kind]) for unit in units]

    @property
    def chosen_unit(self) -> int | None:
        return self.unit_id.data or None
