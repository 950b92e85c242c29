"""The office's view of the audit log: browse and filter, never edit."""
from __future__ import annotations

from datetime import date

from flask import Blueprint, current_app, render_template, request

from ..access import roles_required
from ..pagination import paginate, search_arg
from ..timeutil import today
from . import models as _models  # noqa: F401  (the tables exist whenever the app does: create_all sees them)
from . import services
from .wording import Wording

bp = Blueprint("audit", __name__, url_prefix="/audit")

ACTION_LABELS = {"insert": "新增", "update": "修改", "delete": "删除", "import": "导入", "draw": "抽取",
                 "login": "登录", "logout": "退出登录", "unlock": "解除登录限制", "download": "下载", "denied": "拒绝访问",
                 "export": "导出", "seed": "产生种子", "make_accounts": "建立账号", "reset_password": "重置密码",
                 "api": "接口调用", "move_visit": "调整检查日期", "agree_visit": "确认检查日期",
                 "propose": "系统生成"}
ENTITY_LABELS = {
    "department": "部门", "user_account": "账号", "subject": "检查对象", "subject_status_change": "经营状态变更",
    "inspector": "执法检查人员", "conflict": "回避关系", "zone": "片区", "item": "抽查事项",
    "item_version": "抽查事项历史版本", "plan": "年度抽查计划", "plan_task": "年度计划任务", "campaign": "抽查",
    "plan_task_department": "年度计划任务的联合部门",
    "campaign_department": "参加部门", "campaign_item": "本次抽查事项", "draw_record": "抽取记录",
    "campaign_subject": "抽取的检查对象", "draw_probability": "参与抽取的检查对象及入样概率",
    "campaign_subject_department": "检查该对象的部门", "confirmation": "部门确认",
    "team_member": "检查组成员",
    "inspection_record": "一企一表检查记录", "department_result": "部门检查结果", "item_result": "事项检查结果",
    "attachment": "现场照片", "follow_up": "后续处置", "expert": "专家",
    "expert_assignment": "随同检查专家", "import": "Excel导入", "request": "请求", "file": "文件",
    "seed_round": "随机种子", "seed_contribution": "随机种子的参与方", "api_client": "数据接口调用单位",
    "inspector_certificate": "执法证", "missing_subject": "名录缺少的企业", "publicity_export": "公示结果导出",
    "publicity_export_row": "公示结果导出行", "registration_change": "登记状态变更", "replacement_flag": "需替换的检查对象",
    "risk_rating": "信用风险分类", "source_refresh": "数据来源更新", "coverage_rule": "抽查覆盖规则",
    "monthly_plan": "月抽查计划", "monthly_plan_entry": "月抽查计划的检查对象", "plan_task_version": "年度计划任务的版本",
}
FIELD_LABELS = {
    "id": "编号", "code": "代码", "name": "名称", "active": "启用", "username": "用户名", "display_name": "姓名",
    "role": "角色", "department_id": "部门", "password_hash": "密码", "session_token": "登录令牌",
    "failed_logins": "连续登录失败次数", "locked_until": "锁定至", "created_at": "创建时间", "updated_at": "更新时间",
    "credit_code": "统一社会信用代码", "address": "地址", "legal_rep": "法定代表人", "legal_rep_phone": "法定代表人电话",
    "safety_manager": "安全管理人", "safety_manager_phone": "安全管理人电话", "unit_type": "单位类型",
    "building_area": "建筑面积", "building_class": "建筑分类", "venue_type": "场所类型",
    "supervising_department": "行业主管部门", "region": "乡镇", "industry": "行业", "category": "类别",
    "crowded": "人员密集场所", "risk_class": "信用风险分类", "has_complaint": "投诉举报", "has_accident": "发生事故",
    "has_penalty": "行政处罚", "blacklisted": "列入黑名单", "major_hazard": "重大隐患", "status": "状态", "note": "备注",
    "gender": "性别", "position": "职务", "cert_no": "执法证号", "cert_expiry": "执法证有效期至", "post": "岗位",
    "title": "职称", "years": "执法年限", "tags": "执法专长", "zone": "片区", "can_lead": "可任组长",
    "unavailable": "不可用日期", "mobile": "手机号码", "regions": "包含乡镇", "basis": "抽查依据", "body": "检查主体",
    "target": "检查对象", "industries": "适用行业", "content": "检查内容", "method": "检查方式", "ratio": "抽查比例",
    "materials": "材料清单", "version": "版本", "data": "内容", "replaced_at": "替换时间",
    "item_id": "抽查事项", "number": "编号", "year": "年度", "plan_id": "年度计划", "task_type": "抽查类型",
    "items": "抽查事项", "scope": "抽查范围", "initiating_department_id": "发起部门", "joint_departments": "联合部门",
    "start_month": "开始月份", "end_month": "结束月份", "subject_id": "检查对象", "inspector_id": "执法人员",
    "reason": "原因", "old_status": "原状态", "new_status": "新状态", "changed_on": "变更日期", "user_id": "操作人",
    "field": "领域", "plan_task_id": "年度计划任务", "lead_department_id": "牵头部门", "period_start": "抽查开始日期",
    "period_end": "抽查结束日期", "visit_start": "实地检查开始日期", "visit_end": "实地检查结束日期",
    "items_deadline": "事项提交截止日期", "strata": "分层", "risk_weights": "信用风险权重", "must_flags": "必查情形",
    "expertise_industries": "需专业人员的行业", "burden_months": "免重复检查月数", "covert": "暗查暗访",
    "team_size": "每部门人数", "inspector_capacity": "每人最多检查户数", "daily_capacity": "每人每天最多户数",
    "max_pair_probability": "同一人员派到同一单位的最大机会", "created_by_id": "创建人", "dispatched_at": "派发时间",
    "campaign_id": "抽查", "is_lead": "牵头", "submitted_at": "提交时间", "submitted_by_id": "提交人",
    "confirm_deadline": "确认期限", "confirmed_at": "确认时间", "participation_id": "参加部门", "kind": "类型",
    "problem": "锁定的输入", "locked_sha256": "名单指纹", "seed": "随机种子", "input_sha256": "抽取输入指纹",
    "result": "结果", "operator_id": "操作人", "witness": "见证人", "locked_at": "锁定时间", "drawn_at": "抽取时间",
    "singleton": "唯一标记", "draw_id": "抽取记录", "stratum": "分层", "probability": "被抽中的机会", "must": "必查",
    "weight": "权重", "population": "本层户数", "drawn": "本层抽取户数",
    "department_ids": "检查部门", "state": "状态", "replaced_by_id": "替换为", "visit_date": "检查日期",
    "unstaffed_reason": "未配齐原因", "dropped_reason": "核减原因",
    "campaign_subject_id": "抽取的检查对象", "decision": "确认结果", "at": "时间",
    "is_leader": "组长", "recused_at": "回避时间", "recusal_reason": "回避原因", "inspected_on": "检查日期",
    "due_on": "结果期限", "signed": "企业签字", "refusal_note": "拒签说明", "return_reason": "退回原因",
    "reviewed_by_id": "审核人", "published_at": "公示时间", "status_applied": "已回写名录", "record_id": "检查记录",
    "follow_ups": "后续处置", "transfer_to": "移送至", "questions_answered": "现场解答疑难问题",
    "entered_by_id": "录入人", "rectify_by": "整改期限", "rechecked_on": "复查日期", "closed_on": "销号日期",
    "campaign_item_id": "联合抽查事项", "department_result_id": "部门检查结果",
    # the expert pool (experts.Expert) and the experts drawn
    "employer": "工作单位", "specialties": "专业领域", "conflicts": "利害关系单位", "expert_id": "专家",
    "expert_industries": "需专家随同检查的行业",
    # follow-ups to closure (followups.FollowUp)
    "started_on": "起始日期", "report_received_on": "收到整改报告日期", "reorders": "再次责令改正次数",
    "case_number": "立案号", "filed_on": "立案日期", "outcome": "处理结果", "penalty_yuan": "罚款金额（元）",
    "to_department_id": "移送至部门", "to_name": "移送至", "answered_on": "接收或退回日期", "listed_on": "列入日期",
    "removed_on": "移出日期", "transferred_on": "移送日期", "receipt_on": "回执日期", "result_note": "处理情况",
    "problems": "问题数", "description": "问题描述", "part_id": "部门检查结果",
    "filename": "文件名", "stored_as": "存储名", "uploaded_by_id": "上传人", "uploaded_at": "上传时间",
    # the summary of an import
    "rows": "导入内容", "file": "文件", "total": "数据行", "created": "新增", "updated": "更新", "unchanged": "无变化",
    "refused": "拒绝",
    # columns renamed in migration 4f9eb974ad31; the log keeps the names it recorded then
    "campaign_department_id": "参加部门",
    # downloads and refused requests
    "path": "访问地址", "endpoint": "页面", "command": "命令",
    # strata of a campaign (a list of these in its "strata")
    "mode": "抽取方式", "value": "比例或户数",
    # deadlines (seed 003), the visit found on site, the report and the notice
    "report_working_days": "检查报告期限（工作日）", "feedback_working_days": "告知书期限（工作日）",
    "publication_days": "公示期限（天）", "publication_day_mode": "公示期限计日方式", "report_due_on": "检查报告期限",
    "feedback_due_on": "告知书期限", "found_address": "实地核实的地址", "found_contact": "实地核实的联系人",
    "found_phone": "实地核实的联系电话", "reported_on": "检查报告日期", "report_evaluation": "对企业的评价",
    "report_handling": "处理建议", "reported_by_id": "报告人", "notified_on": "告知书送达日期",
    "visit_agreed_at": "检查日期确认时间", "visit_moved_from": "调整前的检查日期",
    "operating_address": "实际经营地址", "operating_contact": "实际联系人", "operating_phone": "实际联系电话",
    "operating_source": "实际经营信息来源", "operating_on": "实际经营信息日期",
    "must_change_password": "首次登录须改密码",
    # seed rounds (commit, then reveal)
    "round_id": "随机种子", "slot": "参与方", "label": "参与方", "commitment": "承诺值", "committed_by_id": "承诺人",
    "committed_at": "承诺时间", "revealed_by_id": "揭示人", "revealed_at": "揭示时间", "left_out": "未计入种子",
    "target_id": "针对的对象", "allow_overdue": "逾期未确认视为确认", "rule": "种子产生方式",
    "fallback_reason": "改用备用方式的原因", "opened_by_id": "发起人", "opened_at": "发起时间",
    "commit_deadline": "承诺截止时间", "reveal_hours": "揭示时限（小时）", "commit_closed_at": "承诺截止于",
    "reveal_deadline": "揭示截止时间", "draw": "抽取记录",
    # data exchange
    "token_sha256": "令牌指纹", "token_hint": "令牌提示", "revoked_at": "停用时间", "cert_type": "证件类型",
    "valid_from": "有效期起", "valid_until": "有效期至", "area": "执法区域", "source": "来源", "first_seen": "首次出现",
    "last_seen": "最近出现", "file_format": "文件格式", "user_name": "操作人", "new_rows": "新增行数",
    "new_only": "只含新增", "export_id": "导出记录", "fingerprint": "内容指纹", "old_value": "原值",
    "new_value": "新值", "change_id": "登记状态变更", "old_class": "原分类", "new_class": "新分类",
    "rated_on": "分类日期", "changed": "变更行数",
    # hand-made entries: accounts made, visits agreed, API calls
    "accounts": "账号", "by": "操作人", "query": "查询条件", "client": "调用单位",
    # coverage rules
    "flags": "适用情形", "period": "覆盖周期", "phone": "联系电话",
    # monthly plans
    "month": "月份", "workload": "可承担户数", "tasks": "年度计划任务", "confirmed_by_id": "确认人",
    "monthly_plan_id": "月抽查计划", "task_id": "年度计划任务", "task_number": "任务编号", "change": "调整方式",
    "changed_by_id": "调整人", "changed_at": "调整时间",
    "draw_problem": "随机抽取的输入", "draw_seed": "随机种子", "draw_input_sha256": "抽取输入指纹",
    "draw_result": "抽取结果", "solver_version": "求解器版本", "drawn_by_id": "生成人", "proposals": "系统生成次数",
    "entries": "列入户数", "problem_sha256": "抽取输入指纹（不含种子）",
    "initiating_department": "发起部门",
    # special inspections (专项检查方案)
    "scheme_text": "专项检查方案", "scheme_filename": "方案附件", "scheme_stored_as": "方案附件存储名",
    "scheme_filed_with": "方案报备机关", "scheme_filed_on": "方案报备日期",
}

# The same column name meaning different things in different tables.
ENTITY_FIELD_LABELS = {("item_version", "replaced_by_id"): "替换人", ("item_version", "version"): "被替换的版本",
                       ("request", "address"): "来源地址", ("user_account", "address"): "来源地址",
                       ("request", "method"): "请求方式", ("follow_up", "closed_on"): "办结日期",
                       ("follow_up", "due_on"): "下一步期限", ("follow_up", "department_id"): "决定部门",
                       ("seed_contribution", "value"): "揭示的随机值", ("publicity_export", "label"): "导出范围",
                       ("seed_contribution", "left_out"): "未计入种子的原因"}


def _field_label(entity: str, key: str) -> str:
    return ENTITY_FIELD_LABELS.get((entity, key)) or FIELD_LABELS.get(key, key)


def _date(name: str, problems: list[str]) -> date | None:
    text = request.args.get(name, "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        problems.append(f"日期“{text[:40]}”格式不正确，应为 2024-06-30，已忽略该条件")
        return None


@bp.get("/")
@roles_required("office")
def index():
    problems: list[str] = []
    filters = services.Filters(
        entity=request.args.get("entity", "").strip(), entity_id=request.args.get("entity_id", "").strip()[:64],
        user=request.args.get("user", "").strip(), start=_date("start", problems), end=_date("end", problems),
        q=search_arg())
    page = paginate(services.entry_query(filters), request.args.get("page", 1, type=int))
    return render_template(
        "audit/index.html", page=page, filters=filters, problems=problems, options=services.filter_options(),
        actions=ACTION_LABELS, entities=ENTITY_LABELS, field_label=_field_label, changed_fields=services.changed_fields,
        said=Wording(page.items, ENTITY_LABELS, _field_label).say)


@bp.get("/digest")
@roles_required("office")
def digest():
    """The day's digest, to print and sign, or to publish: it pins the chain as it stood at the day's end."""
    problems: list[str] = []
    day = _date("date", problems) or today()
    entry = services.digest(day)
    return render_template("audit/digest.html", digest=entry, problems=problems,
                           lines=services.digest_lines(entry, current_app.config["COUNTY_NAME"]))
