from wtforms import PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Length

from portal.accounts.models import ROLES
from portal.accounts.passwords import MAX_LENGTH
from portal.forms import PortalForm, choices

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
