"""The audit log in words (issue 15): Chinese names for the recorded action codes and object
types, and the detail of an entry as readable lines. Only what the page shows: the stored
entries (and so their hash chain) are never changed."""
from __future__ import annotations

import json

from portal import lifecycle, settings

ACTIONS: dict[str, str] = {
    # accounts
    "user.create": "新建账号", "user.login": "登录", "user.activate": "启用账号",
    "user.deactivate": "停用账号", "user.password_reset": "重设密码", "user.unlock": "解除登录锁定",
    "user.sessions_end": "强制下线",
    "access.denied": "越权访问被拒绝",
    "audit.export": "导出操作日志", "audit.prune": "删除过期操作日志",
    # administration
    "settings.update": "修改规则设置", "calendar.set": "设置工作日历",
    "calendar.delete": "删除工作日历设置", "calendar.year_confirm": "确认全年日历",
    "calendar.year_revoke": "撤销全年日历确认",
    # reception
    "leader.create": "新建接访领导", "leader.update": "修改接访领导", "leader.activate": "启用接访领导",
    "leader.deactivate": "停用接访领导", "session.create": "新建接访场次",
    "session.update": "修改接访场次", "session.publish": "发布接访场次",
    "session.close": "结束接访场次", "session.cancel": "取消接访场次",
    "series.update": "修改接访系列", "series.cancel": "取消接访系列",
    "booking.create": "现场登记预约", "booking.confirm": "确认预约", "booking.decline": "预约不通过",
    "booking.check_in": "签到", "booking.no_show": "记为爽约",
    "booking.correct_attended": "更正为已签到", "booking.correct_absent": "更正为爽约",
    "booking.notified": "已通知来访人",
    "booking.reveal_id": "查看完整身份证号", "booking.walk_in": "现场登记",
    "session.walk_in_places": "调整现场登记名额", "session.duty_leader": "更换值班领导",
    # casework: reception records, hand-over and supervision, exports
    "record.create": "填写接谈记录", "record.update": "修改接谈记录",
    "handover.create": "交办", "handover.extend": "交办事项延期", "handover.progress": "记录办理进展",
    "handover.remind": "催办", "handover.conclude": "办结",
    "unit.create": "新增责任单位", "unit.update": "修改责任单位", "unit.activate": "启用责任单位",
    "unit.deactivate": "停用责任单位", "export.download": "导出数据",
    # evaluation
    "evaluation.matter.create": "登记评价事项", "evaluation.matter.update": "修改评价事项",
    "evaluation.matter.reveal_id": "查看事项完整身份证号",
    "evaluation.application.submit": "登记评价申请",
    "evaluation.application.condition": "确认受理条件", "evaluation.application.accept": "受理评价申请",
    "evaluation.application.refuse": "不予受理评价申请",
    "evaluation.evaluator.create": "新增评价员", "evaluation.evaluator.update": "修改评价员",
    "evaluation.evaluator.activate": "启用评价员", "evaluation.evaluator.deactivate": "停用评价员",
    "evaluation.hearing.create": "安排评价会", "evaluation.hearing.update": "修改评价会时间地点",
    "evaluation.hearing.cancel": "取消评价会", "evaluation.panel.set": "确定评价小组",
    "evaluation.notice.publish": "发布评价会公告", "evaluation.attendance": "登记出席",
    "evaluation.poll.open": "开始投票", "evaluation.poll.paper_enter": "录入纸质票数",
    "evaluation.poll.paper_confirm": "确认纸质票数", "evaluation.poll.close": "结束投票",
    "evaluation.poll.correct": "更正表决", "evaluation.result.publish": "公布评价结果",
    "evaluation.letter.reasons": "填写评价意见", "evaluation.letter.issue": "签发评价意见书",
    "evaluation.letter.deliver": "送达评价意见书",
    "evaluation.recusal.request": "登记回避申请", "evaluation.recusal.decide": "决定回避申请",
    "evaluation.recusal.unit": "责任单位人员回避",
    "evaluation.followup.create": "布置督办事项", "evaluation.followup.done": "督办事项办结",
}

OBJECT_TYPES: dict[str, str] = {
    "user": "账号", "settings": "规则设置", "calendar": "工作日历", "calendar_year": "全年日历",
    "leader": "接访领导", "session": "接访场次", "series": "接访系列", "booking": "预约",
    "eval_matter": "评价事项", "eval_application": "评价申请", "eval_evaluator": "评价员",
    "eval_hearing": "评价会", "eval_poll": "投票", "eval_letter": "评价意见书",
    "eval_followup": "督办事项", "eval_recusal": "回避申请",
    "reception_record": "接谈记录", "handover": "交办事项", "unit": "责任单位", "export": "数据导出",
    "route": "页面", "audit": "操作日志",
}

# Detail keys in words (settings keys are named by their own labels).
DETAIL_KEYS: dict[str, str] = {
    "count": "条数", "number": "编号", "note": "备注", "is_working": "工作日", "reason": "理由",
    "role": "角色", "username": "用户名", "name": "姓名", "status": "状态",
    "outcome": "处理结果", "channel": "引导途径", "unit": "责任单位", "due_on": "办理期限",
    "days": "延期天数", "noted_on": "日期", "method": "方式", "concluded_on": "办结日期",
    "late_days": "超期天数", "code": "预约码", "walk_in": "现场登记", "kind": "类型",
    "start": "开始日期", "end": "结束日期", "revealed": "含完整身份证号和手机号码", "rows": "行数",
    "lapsed": "候补失效",
    "path": "访问地址", "filters": "筛选条件", "format": "文件格式", "through": "删除至记录",
    "last_hash": "最后一条摘要", "before": "早于", "retention_days": "保留天数",
    "position": "累计序号",
}


def action_label(action: str) -> str:
    """The action in words: from the dictionary, else the verb of the lifecycle transition
    it names ("预约：更正为爽约"), else the code as recorded."""
    if action in ACTIONS:
        return ACTIONS[action]
    name, _, event = action.rpartition(".")
    for candidate in (name, name.rpartition(".")[0]):
        machine = lifecycle.REGISTRY.get(candidate)
        rest = action[len(candidate) + 1:]
        if machine is not None and rest in machine.transitions:
            return f"{object_type_label(machine.object_type)}：{machine.transitions[rest].label}"
    return action


def object_type_label(object_type: str) -> str:
    return OBJECT_TYPES.get(object_type, object_type)


def _value(value) -> str:
    if value is True:
        return "是"
    if value is False:
        return "否"
    if value is None or value == "":
        return "（空）"
    return str(value)


def detail_lines(detail: str) -> list[str]:
    """An entry's detail as "名称：值" lines; a setting change as "名称：旧 → 新" (entries
    recorded before issue 15 kept only the new value: "名称：→ 新")."""
    try:
        data = json.loads(detail or "{}")
    except ValueError:
        return [detail]
    if not isinstance(data, dict):
        return [str(data)]
    lines = []
    for key, value in data.items():
        spec = settings.REGISTRY.get(key)
        name = spec.label if spec else DETAIL_KEYS.get(key, key)
        if isinstance(value, dict) and set(value) == {"old", "new"}:
            lines.append(f"{name}：{_value(value['old'])} → {_value(value['new'])}")
        elif spec is not None:
            lines.append(f"{name}：→ {_value(value)}")
        else:
            lines.append(f"{name}：{_value(value)}")
    return lines
