from wtforms import BooleanField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length

from portal.accounts.models import ROLES
from portal.accounts.passwords import MAX_LENGTH
from portal.forms import DateField, PortalForm, choices

TOO_LONG = f"密码最多 {MAX_LENGTH} 位"


class LoginForm(PortalForm):
    username = StringField("用户名", validators=[DataRequired("请填写用户名"), Length(max=40)])
    password = PasswordField("密码", validators=[DataRequired("请填写密码"),
                                               Length(max=MAX_LENGTH, message=TOO_LONG)])


class UserForm(PortalForm):
    username = StringField("用户名", validators=[DataRequired("请填写用户名"), Length(max=40)])
    display_name = StringField("姓名", validators=[DataRequired("请填写姓名"), Length(max=40)])
    role = SelectField("角色", choices=choices(ROLES.items()))
    password = PasswordField("初始密码", validators=[DataRequired("请填写密码"),
                                                 Length(max=MAX_LENGTH, message=TOO_LONG)])


class PasswordForm(PortalForm):
    password = PasswordField("新密码", validators=[DataRequired("请填写密码"),
                                                Length(max=MAX_LENGTH, message=TOO_LONG)])


class CalendarOverrideForm(PortalForm):
    day = DateField("日期", validators=[InputRequired("请填写日期")])
    is_working = BooleanField("当天上班（调休上班日）")
    note = StringField("说明", validators=[Length(max=100, message="说明最多 100 字")])
