from wtforms import BooleanField, StringField
from wtforms.validators import InputRequired, Length

from portal.forms import DateField, PortalForm


class CalendarOverrideForm(PortalForm):
    day = DateField("日期", validators=[InputRequired("请填写日期")])
    is_working = BooleanField("当天上班（调休上班日）")
    note = StringField("说明", validators=[Length(max=100, message="说明最多 100 字")])
