"""Evaluation forms. Formats and lengths here; rules (and their messages) in the services."""
from wtforms import (
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from portal.evaluation.codes import (
    CONDITIONS,
    DELIVERY_METHODS,
    EVALUATOR_CATEGORIES,
    LEVELS,
    PARTIES,
    POLL_MODES,
    RECUSAL_SOURCES,
)
from portal.forms import DateField, IntegerField, PortalForm, bounded_int, choices
from portal.identity import canonical, canonical_reference, normalise_phone
from portal.vocabulary import CATEGORIES


def _required(label: str, limit: int):
    return [DataRequired(f"请填写{label}"), Length(max=limit, message=f"{label}最多 {limit} 个字")]


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class MatterForm(PortalForm):
    number = StringField("事项编号", filters=[canonical_reference],
                         validators=_required("事项编号", 40))
    title = StringField("事项名称", validators=_required("事项名称", 100))
    category = SelectField("反映事项类别", choices=choices([("", "请选择")] + [(c, c) for c in CATEGORIES]),
                           validate_choice=False)
    unit = StringField("责任单位", validators=_required("责任单位", 60))
    level = SelectField("评价层级", choices=choices(LEVELS.items()), validate_choice=False)
    summary = TextAreaField("事项概要（将在公告中公开，勿写身份证号、电话、住址）",
                            validators=_required("事项概要", 500))
    petitioner_name = StringField("信访人姓名", validators=_required("信访人姓名", 30))
    # Identifiers are made canonical as they arrive (full-width digits, spaces, hyphens).
    petitioner_id = StringField("身份证号", filters=[canonical], validators=[
        Optional(), Length(max=18, message="身份证号应为 18 位")])
    phone = StringField("手机号码", filters=[normalise_phone], validators=_required("手机号码", 11))
    address = StringField("住址", validators=_required("住址", 100))
    handling_opinion = TextAreaField("处理意见", validators=_required("处理意见", 3000))
    opinion_date = DateField("处理意见出具日期", validators=[InputRequired("请填写日期")])


class ApplicationForm(PortalForm):
    unit = StringField("申请单位", validators=_required("申请单位", 60))
    applied_on = DateField("申请日期", validators=[InputRequired("请填写申请日期")])
    reason = TextAreaField("申请理由", validators=_required("申请理由", 500))


class ConditionForm(PortalForm):
    code = SelectField("受理条件", choices=choices(CONDITIONS.items()), validate_choice=False)
    holds = SelectField("是否成立", choices=choices([("1", "成立"), ("0", "不成立")]), validate_choice=False)
    note = StringField("说明", validators=[Length(max=200, message="说明最多 200 字")])


class ReasonForm(PortalForm):
    reason = TextAreaField("理由", validators=_required("理由", 200))


class PublishForm(PortalForm):
    """Publishing the result; a reason only when the letter is not yet delivered to both."""
    reason = TextAreaField("送达前公布的理由", validators=[
        Optional(), Length(max=200, message="理由最多 200 个字")])


class EvaluatorForm(PortalForm):
    name = StringField("姓名", validators=_required("姓名", 20))
    category = SelectField("类别", choices=choices([("", "请选择")] + [(c, c) for c in EVALUATOR_CATEGORIES]),
                           validate_choice=False)
    organisation = StringField("工作单位", validators=_required("工作单位", 60))
    contact = StringField("联系方式", validators=[Length(max=60, message="联系方式最多 60 个字")])
    user_id = SelectField("评价员账号（用于手机投票，选填）", coerce=bounded_int, validate_choice=False,
                          default=0)


class HearingForm(PortalForm):
    day = DateField("评价会日期", validators=[InputRequired("请填写日期")])
    start_time = TimeField("开始时间", validators=[InputRequired("请填写开始时间")])
    place = StringField("地点", validators=_required("地点", 60))
    level = SelectField("评价小组层级", choices=choices(LEVELS.items()), validate_choice=False)


class PanelForm(PortalForm):
    evaluator_ids = MultiCheckboxField("评价小组成员", coerce=bounded_int, validate_choice=False)
    chair_id = SelectField("主持人", coerce=bounded_int, validate_choice=False, default=0)


class RecusalForm(PortalForm):
    evaluator_id = SelectField("需回避的评价员", coerce=bounded_int, validate_choice=False, default=0)
    requested_by = SelectField("提出方", choices=choices(RECUSAL_SOURCES.items()),
                               validate_choice=False)
    requester = StringField("提出人（如：信访人、责任单位）",
                            validators=[Length(max=40, message="提出人最多 40 个字")])
    reason = TextAreaField("回避理由", validators=_required("回避理由", 200))


class DecisionForm(PortalForm):
    decision = SelectField("决定", choices=choices([("grant", "准予回避"), ("refuse", "不予回避")]),
                           validate_choice=False)
    reason = StringField("理由（不予回避时必填）",
                         validators=[Length(max=200, message="理由最多 200 字")])


class AttendanceForm(PortalForm):
    present_ids = MultiCheckboxField("出席成员", coerce=bounded_int, validate_choice=False)


class OpenPollForm(PortalForm):
    mode = SelectField("投票方式", choices=choices(POLL_MODES.items()), validate_choice=False)


def _count(label: str):
    return IntegerField(label, validators=[InputRequired(f"请填写{label}"),
                                           NumberRange(0, 999, f"{label}应为 0–999 的整数")])


class PaperForm(PortalForm):
    issued = _count("发出票数")
    returned = _count("收回票数")
    valid = _count("有效票")
    invalid = _count("无效票")
    manyi = _count("满意票")
    bumanyi = _count("不满意票")
    abstain = IntegerField("弃权票", default=0, validators=[
        Optional(), NumberRange(0, 999, "弃权票应为 0–999 的整数")])


class CorrectionForm(PortalForm):
    reason = TextAreaField("更正理由", validators=_required("更正理由", 200))
    mode = SelectField("重新投票方式", choices=choices(POLL_MODES.items()), validate_choice=False)


class LetterForm(PortalForm):
    reasons = TextAreaField("评价意见和理由（主持人）", validators=_required("评价意见和理由", 3000))


class DeliveryForm(PortalForm):
    party = SelectField("送达对象", choices=choices(PARTIES.items()), validate_choice=False)
    method = SelectField("送达方式", choices=choices(DELIVERY_METHODS.items()), validate_choice=False)
    recipient = StringField("签收人", validators=_required("签收人", 40))
    delivered_on = DateField("送达日期", validators=[InputRequired("请填写送达日期")])


class FollowUpForm(PortalForm):
    unit = StringField("承办单位", validators=_required("承办单位", 60))
    task = TextAreaField("督办事项", validators=_required("督办事项", 300))
    deadline = DateField("办理期限", validators=[InputRequired("请填写办理期限")])


class DoneForm(PortalForm):
    note = StringField("办理情况", validators=_required("办理情况", 300))


class VoteForm(PortalForm):
    choice = StringField("表决", validators=[DataRequired("请选择“满意”或“不满意”"), Length(max=12)])
