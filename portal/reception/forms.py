from __future__ import annotations

from datetime import date

from wtforms import (
    BooleanField,
    HiddenField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, HiddenInput, ListWidget

from portal.errors import DomainError, apply_to_form
from portal.forms import DateField, IntegerField, PortalForm, bounded_int, choices
from portal.identity import canonical, canonical_reference, normalise_phone
from portal.reception import management, services
from portal.reception.models import CATEGORIES, MAX_WALK_INS, MODES

# What the inputs let people type: the limits in the validators apply to the canonical value
# (identity.canonical: NFKC, spaces and hyphens removed), so the inputs leave room for the
# separators people type ('138 0013 8000', '330781 19700517 1235', full-width spaces).
TYPED_ID_NUMBER = {"maxlength": 40, "inputmode": "text", "autocomplete": "off",
                   "autocapitalize": "characters", "spellcheck": "false"}
# type=tel keeps spaces and hyphens (and the phone keypad); tel-national, because autofill of
# "tel" may bring "+86 …", which is not an 11-digit mobile number.
TYPED_PHONE = {"type": "tel", "maxlength": 24, "inputmode": "tel",
               "autocomplete": "tel-national"}
TYPED_CODE = {"maxlength": 24, "autocomplete": "off", "autocapitalize": "characters",
              "spellcheck": "false"}


class BookingForm(PortalForm):
    name = StringField("姓名", validators=[DataRequired("请填写姓名"),
                                         Length(max=30, message="姓名最多 30 个字")])
    # Identifiers are made canonical as they arrive: '１３８ 0013-8000' is 13800138000.
    id_number = StringField("身份证号", filters=[canonical], render_kw=TYPED_ID_NUMBER,
                            validators=[DataRequired("请填写身份证号"),
                                        Length(max=18, message="身份证号应为 18 位")])
    phone = StringField("手机号码", filters=[normalise_phone], render_kw=TYPED_PHONE,
                        validators=[DataRequired("请填写手机号码"),
                                    Length(max=11, message="手机号码应为 11 位")])
    category = SelectField("反映事项类别", validate_choice=False)
    summary = TextAreaField("事项简述", validators=[DataRequired("请简要说明反映的事项"),
                                                Length(max=500, message="事项简述最多 500 字")])
    party_size = IntegerField("来访人数", default=1,
                              validators=[InputRequired("请填写来访人数")])
    related_matter_no = StringField("相关事项编号（选填）", filters=[canonical_reference], validators=[
        Optional(), Length(max=40, message="相关事项编号最多 40 个字符")])
    consent = BooleanField("我已阅读并同意《个人信息处理告知书》", validators=[
        DataRequired("请阅读并同意个人信息处理告知书后再提交")])

    def for_leader(self, leader) -> BookingForm:
        """Offer only the categories of the session's leader (the portfolio rule)."""
        self.category.choices = choices([("", "请选择")] + [
            (c, c) for c in CATEGORIES if c in leader.categories])
        return self

    def booking_request(self) -> services.BookingRequest:
        return services.BookingRequest(
            name=self.name.data or "", id_number=self.id_number.data or "",
            phone=self.phone.data or "", category=self.category.data or "",
            summary=self.summary.data or "", party_size=self.party_size.data or 0,
            related_matter_no=self.related_matter_no.data or "")

    def validate_with_rules(self, leader, today: date) -> bool:
        """Validate with WTForms and the service's field rules, showing every problem at once.
        The field rules need no database: checked here, a malformed form is refused in the
        view's read phase (actions.reading), never inside the write; the service checks them
        again, as it checks everything."""
        valid = self.validate_on_submit()
        problems = services.field_problems(self.booking_request(), leader, today)
        if valid and not problems:
            return True
        apply_to_form(self, DomainError({k: v for k, v in problems.items()
                                         if not getattr(self, k).errors}))
        return False


class WalkInForm(BookingForm):
    """现场登记 at the desk: the booking form's fields and rules; the visitor is present, so
    staff confirm the ID card instead of the online consent box."""

    consent = None
    id_checked = BooleanField("已核验身份证件（来访人出示身份证原件，与所填一致）", validators=[
        DataRequired("请核验来访人的身份证件后勾选“已核验身份证件”")])
    next = HiddenField()


class CheckInForm(PortalForm):
    """签到 by typing the booking code at the desk (forgiving: services.normalise_code)."""

    code = StringField("预约码", render_kw=TYPED_CODE,
                       validators=[DataRequired("请填写预约码"),
                                   Length(max=24, message="预约码为 8 位")])
    session_id = IntegerField(widget=HiddenInput(), validators=[Optional()])
    next = HiddenField()


class WalkInPlacesForm(PortalForm):
    places = IntegerField("现场登记名额", validators=[
        InputRequired("请填写现场登记名额"),
        NumberRange(0, MAX_WALK_INS, f"现场登记名额为 0–{MAX_WALK_INS} 个")])
    next = HiddenField()


class DutyLeaderForm(PortalForm):
    """更换值班领导, also once the session is booked (``desk.set_duty_leader``)."""

    duty_leader_id = SelectField("值班领导", coerce=bounded_int, validate_choice=False,
                                 validators=[InputRequired("请选择值班领导")])
    next = HiddenField()

    def with_leaders(self, leaders, current) -> DutyLeaderForm:
        """The serving leaders; the current duty leader stays offered (and chosen) even when
        no longer serving, so that the form never shows someone else as the current one."""
        offered = list(leaders) + ([current] if current and not current.active else [])
        self.duty_leader_id.choices = choices(
            (lead.id, f"{lead.name}（{lead.post}）" + ("" if lead.active else "，已停用"))
            for lead in offered)
        return self


class LookupForm(PortalForm):
    code = StringField("预约码", filters=[canonical], render_kw=TYPED_CODE,
                       validators=[DataRequired("请填写预约码"),
                                   Length(max=20, message="预约码为 8 位")])
    phone = StringField("手机号码", filters=[normalise_phone], render_kw=TYPED_PHONE,
                        validators=[DataRequired("请填写预约时的手机号码"),
                                    Length(max=11, message="手机号码应为 11 位")])


class ReasonForm(PortalForm):
    reason = TextAreaField("原因", validators=[DataRequired("请填写原因"),
                                             Length(max=200, message="原因最多 200 字")])


class CancelForm(PortalForm):
    """Cancelling asks for the phone number again, even on a receipt this browser remembers:
    on a shared computer the next person must not be able to cancel."""

    reason = TextAreaField("取消原因", validators=[DataRequired("请填写取消原因"),
                                               Length(max=200, message="取消原因最多 200 字")])
    phone = StringField("手机号码", filters=[normalise_phone], render_kw=TYPED_PHONE,
                        validators=[DataRequired("请填写预约时的手机号码"),
                                    Length(max=11, message="手机号码应为 11 位")])


class AcceptForm(PortalForm):
    """确认候补名额: the phone number again, as for cancelling (the code is the receipt's)."""

    phone = StringField("手机号码", filters=[normalise_phone], render_kw=TYPED_PHONE,
                        validators=[DataRequired("请填写预约时的手机号码"),
                                    Length(max=11, message="手机号码应为 11 位")])


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class LeaderForm(PortalForm):
    name = StringField("姓名", validators=[DataRequired("请填写姓名"), Length(max=20)])
    post = StringField("职务", validators=[DataRequired("请填写职务"), Length(max=60)])
    categories = MultiCheckboxField("分管领域", choices=choices((c, c) for c in CATEGORIES),
                                    validate_choice=False)


class SessionForm(PortalForm):
    leader_id = SelectField("接访领导", coerce=bounded_int, validate_choice=False)
    first_day = DateField("接访日期", validators=[InputRequired("请选择日期")])
    start_time = TimeField("开始时间", validators=[InputRequired("请填写开始时间")])
    end_time = TimeField("结束时间", validators=[InputRequired("请填写结束时间")])
    place = StringField("接访地点", default="县人民来访接待中心",
                        validators=[DataRequired("请填写接访地点"), Length(max=60)])
    mode = SelectField("接访方式", choices=choices(MODES.items()), validate_choice=False)
    theme = StringField("专项主题（专项接访时填写）", validators=[Length(max=60)])
    slot_minutes = IntegerField("每个号源时长（分钟）", default=20,
                                validators=[InputRequired("请填写号源时长"),
                                            NumberRange(5, 240, "每个号源时长为 5–240 分钟")])
    weeks = IntegerField("连续周数（每周同一天）", default=1,
                         validators=[Optional(), NumberRange(1, 52, "周数为 1–52")])
    publish = BooleanField("立即发布")
    duty_leader_id = SelectField("值班领导", coerce=bounded_int, default=0, validate_choice=False)
    walk_in_places = IntegerField(
        "现场登记名额", default=5,  # left empty: none
        validators=[Optional(), NumberRange(0, MAX_WALK_INS, f"现场登记名额为 0–{MAX_WALK_INS} 个")])

    def with_leaders(self, leaders) -> SessionForm:
        named = [(lead.id, f"{lead.name}（{lead.post}）") for lead in leaders]
        self.leader_id.choices = choices([(0, "请选择")] + named)
        self.duty_leader_id.choices = choices([(0, "同接访领导")] + named)
        return self

    def plan(self) -> management.SessionPlan:
        return management.SessionPlan(
            leader_id=self.leader_id.data, first_day=self.first_day.data,
            start_time=self.start_time.data, end_time=self.end_time.data, place=self.place.data,
            mode=self.mode.data, theme=self.theme.data or "", slot_minutes=self.slot_minutes.data,
            weeks=self.weeks.data or 1, publish=self.publish.data,
            walk_in_places=self.walk_in_places.data or 0, duty_leader_id=self.duty_leader_id.data)


class SeriesForm(PortalForm):
    """What a weekly series changes as a whole (its leader and weekday stay)."""

    start_time = TimeField("开始时间", validators=[InputRequired("请填写开始时间")])
    end_time = TimeField("结束时间", validators=[InputRequired("请填写结束时间")])
    slot_minutes = IntegerField("每个号源时长（分钟）", default=20,
                                validators=[InputRequired("请填写号源时长"),
                                            NumberRange(5, 240, "每个号源时长为 5–240 分钟")])
    place = StringField("接访地点", validators=[DataRequired("请填写接访地点"), Length(max=60)])
    mode = SelectField("接访方式", choices=choices(MODES.items()), validate_choice=False)
    theme = StringField("专项主题（专项接访时填写）", validators=[Length(max=60)])
