"""Excel import and export of the enterprise directory, the inspector directory and declared recusals."""
from __future__ import annotations

from collections.abc import Hashable
from typing import Any

import sqlalchemy as sa

from ..auth.services import department_lookup
from ..excel.importing import Importer, RowInvalid, insert_many
from ..excel.reader import Column, limit, parse_bool, parse_date, parse_number, parse_phone
from ..excel.writer import write_list
from ..extensions import db
from ..states import SubjectStatus
from ..textutil import join_list, split_list
from ..vocab import CATEGORIES, HISTORY_FLAGS, RISK_CLASSES
from . import creditcode
from .models import Conflict, Inspector, Subject, SubjectStatusChange
from .services import forget_directory_cache

# ---- enterprises -----------------------------------------------------------------------------

# Header names as the directories come from real platforms, besides our own template: the national and
# provincial 双随机 platforms' exports (浙江 协同监管平台: 统一社会信用代码/注册号, 主体名称, 主体类别, 住所, 登记状态,
# 检查部门; 国家企业信用信息公示系统: 统一社会信用代码 and 注册号 as two columns, 法定代表人, 登记状态, 住所).
SUBJECT_COLUMNS = (
    Column("credit_code", "统一社会信用代码", (
        "统一社会信用代码/注册号", "统一社会信用代码（注册号）", "统一信用代码/注册号", "统一社会信用代码或注册号",
        "信用代码/注册号", "社会信用代码", "信用代码", "统一代码", "统一信用代码"), True),
    Column("name", "单位名称", ("企业名称", "名称", "单位全称", "市场主体名称", "主体名称", "企业（单位）名称",
                              "检查对象名称")),
    Column("address", "地址", ("住所", "经营场所", "住所（经营场所）", "住所/经营场所", "住所地", "单位地址", "注册地址",
                             "经营地址", "生产经营地址", "经营场所地址")),
    Column("legal_rep", "法定代表人", ("法人", "法定代表人（负责人）", "法定代表人/负责人", "法定代表人姓名", "负责人",
                                  "法人代表", "经营者")),
    Column("legal_rep_phone", "法定代表人电话", ("法人电话", "负责人电话", "联系电话")),
    Column("safety_manager", "安全管理人", ("安全管理人员", "安全管理员", "消防安全管理人")),
    Column("safety_manager_phone", "安全管理人电话", ("安全管理人员电话", "安全管理员电话")),
    Column("unit_type", "单位类型", ("企业类型", "市场主体类型", "主体类型", "主体类别", "类型")),
    Column("building_area", "建筑面积（㎡）", ("建筑面积", "建筑面积(m2)", "建筑面积（平方米）")),
    Column("building_class", "建筑分类", ("建筑类别", "建筑类型")),
    Column("venue_type", "场所类型", ("场所类别",)),
    Column("supervising_department", "行业主管部门", ("主管部门", "行业监管部门", "监管部门", "检查部门")),
    Column("region", "乡镇", ("所属乡镇", "乡镇（街道）", "所属乡镇（街道）", "所属街道", "区域", "所属区域", "辖区")),
    Column("industry", "行业", ("所属行业", "行业类别", "行业分类", "行业门类")),
    Column("category", "单位类别", ("类别", "监管类别", "单位分类"), True),
    Column("crowded", "人员密集场所", ("是否人员密集场所",)),
    Column("risk_class", "信用风险分类", ("信用风险分类结果", "信用风险等级", "信用风险类别", "风险分类", "信用等级",
                                    "风险等级")),
    *(Column(attr, header, ("是否" + header,)) for attr, header in HISTORY_FLAGS.items()),
    Column("status", "经营状态", ("状态", "登记状态", "主体状态", "企业状态")),
    Column("note", "备注", ()),
)
# A separate 注册号 column (the national publicity system exports both): used where the unified code is blank.
REGISTRATION_NO = Column("registration_no", "注册号", ("营业执照注册号", "工商注册号", "注册号（15位）"),
                         instead_of="credit_code")
SUBJECT_HEADERS = {c.key: c.header for c in SUBJECT_COLUMNS}
SUBJECT_TEXT_LIMITS = {
    "name": 200, "address": 300, "legal_rep": 64, "safety_manager": 64, "unit_type": 64, "building_class": 32,
    "venue_type": 64, "supervising_department": 64, "region": 64, "industry": 64, "note": 500,
}
SUBJECT_PARSERS = {
    "legal_rep_phone": lambda t: parse_phone(t, "法定代表人电话"),
    "safety_manager_phone": lambda t: parse_phone(t, "安全管理人电话"),
    "building_area": lambda t: parse_number(t, "建筑面积", high=10_000_000),
    "crowded": lambda t: parse_bool(t, "人员密集场所"),
    **{attr: (lambda t, h=header: parse_bool(t, h)) for attr, header in HISTORY_FLAGS.items()},
}
CATEGORY_ALIASES = {"重点单位": "消防安全重点单位", "一般": "一般单位", "九小": "九小场所", "九小单位": "九小场所"}
STATUS_ALIASES = {"在业": "存续", "开业": "存续", "正常": "存续", "在营": "存续", "在册": "存续",
                  "存续（在营、开业、在册）": "存续", "在营（开业）企业": "存续",
                  "吊销": "注销", "吊销，未注销": "注销", "吊销，已注销": "注销", "撤销": "注销",
                  "歇业": "停业", "迁移": "迁出", "已迁出": "迁出"}


def subject_values(raw: dict[str, str]) -> dict[str, Any]:
    """The stored values for one directory row, or RowInvalid listing every problem in it."""
    errors: list[str] = []
    values: dict[str, Any] = {}
    # The unified code where there is one; an enterprise never re-licensed has only its 15-digit 注册号.
    code = creditcode.normalise(raw.get("credit_code", "")) or creditcode.normalise(raw.get("registration_no", ""))
    if problem := creditcode.problem(code):
        errors.append(problem)
    values["credit_code"] = code
    if not raw.get("name"):
        errors.append("单位名称为空")
    for key, length in SUBJECT_TEXT_LIMITS.items():
        try:
            values[key] = limit(raw.get(key, ""), SUBJECT_HEADERS[key], length)
        except ValueError as error:
            errors.append(str(error))
    category = CATEGORY_ALIASES.get(raw.get("category", ""), raw.get("category", ""))
    if category not in CATEGORIES:
        errors.append(f"单位类别“{raw.get('category', '')}”无效，应为：{'、'.join(CATEGORIES)}")
    values["category"] = category
    risk = raw.get("risk_class", "").upper().removesuffix("类").removesuffix("级")
    if risk and risk not in RISK_CLASSES:
        errors.append(f"信用风险分类“{raw['risk_class']}”无效，应为 A、B、C、D 之一（可留空表示未分类）")
    values["risk_class"] = risk
    text = raw.get("status", "")
    status = SubjectStatus.from_label(STATUS_ALIASES.get(text, text)) if text else SubjectStatus.ACTIVE
    if status is None:
        errors.append(f"经营状态“{raw['status']}”无效，应为：{'、'.join(SubjectStatus.labels().values())}")
    values["status"] = status
    for key, parse in SUBJECT_PARSERS.items():
        try:
            values[key] = parse(raw.get(key, ""))
        except ValueError as error:
            errors.append(str(error))
    if errors:
        raise RowInvalid(errors)
    return values


class SubjectImporter(Importer):
    label = "检查对象"
    columns = (*SUBJECT_COLUMNS, REGISTRATION_NO)
    table = Subject.__tablename__
    source = "directory"

    def __init__(self, user_id: int | None = None):
        self.user_id = user_id

    def prepare(self):
        self.known = set(db.session.scalars(sa.select(Subject.credit_code)))

    def parse_row(self, raw):
        values = subject_values(raw)
        code = values["credit_code"]
        old = creditcode.normalise(raw.get("registration_no", ""))
        # A row with both codes for an enterprise stored under its old registration number: that enterprise,
        # now under its unified code (not a second one).
        if old != code and old in self.known and code not in self.known and not creditcode.problem(old):
            return old, values
        return code, values

    def key_label(self, key):
        return f"{creditcode.kind(key)} {key}"

    def existing(self):
        names = ["id", *(c.key for c in SUBJECT_COLUMNS)]
        rows = db.session.execute(sa.select(*(getattr(Subject, n) for n in names)))
        return {row.credit_code: dict(zip(names, row)) for row in rows}

    def write(self, new, changed):
        if new:
            insert_many(Subject, new)
        if changed:
            db.session.execute(sa.update(Subject), [{**values, "id": old["id"]} for old, values in changed])
            moves = [(old, values) for old, values in changed if old["status"] != values["status"]]
            if moves:
                db.session.execute(
                    sa.insert(SubjectStatusChange),
                    [
                        {
                            "subject_id": old["id"],
                            "old_status": old["status"],
                            "new_status": values["status"],
                            "reason": "导入名录文件更新",
                            "user_id": self.user_id,
                        }
                        for old, values in moves
                    ],
                )
        forget_directory_cache()


def export_subjects(target, query=None) -> None:
    query = query if query is not None else sa.select(Subject).order_by(Subject.id)
    rows = ([_export_value(s, c.key) for c in SUBJECT_COLUMNS]
            for s in db.session.scalars(query.execution_options(yield_per=2000)))
    write_list(target, "检查对象名录库", None, [c.header for c in SUBJECT_COLUMNS], rows)


def _export_value(subject: Subject, key: str):
    if key == "status":
        return subject.status.label
    if key == "building_area" and subject.building_area is not None:
        return _number(subject.building_area)
    return getattr(subject, key)


def _number(value: float):
    return int(value) if value == int(value) else value


# ---- inspectors ------------------------------------------------------------------------------

# Header names as inspector lists come from real platforms, besides our own template: 浙江 协同监管平台's
# 执法检查人员 list (姓名, 工作单位, 业务部门/机构, 部门执法证 / 省政府执法证 with 有效期, 担任职务, 岗位大类,
# 岗位资格资质, 检查事项范围, 个人专业技术职称, 手机号), a provincial template headed 所属业务部门（机构）, and 海南's
# 执法检查人员名录库 (所属机关, 执法证件号码). Aliases are in order of preference: a file with both 工作单位 and
# 部门/机构 takes the department from 工作单位.
INSPECTOR_COLUMNS = (
    Column("name", "姓名", ("执法人员姓名", "检查人员姓名", "人员姓名"), True),
    Column("gender", "性别"),
    Column("department", "所属单位", ("所属部门", "工作单位", "执法单位", "所在单位", "所属机关", "执法部门", "执法主体",
                                  "单位", "部门", "所属业务部门（机构）", "所属业务部门", "业务部门/机构", "部门/机构",
                                  "所属机构"), True),
    Column("position", "职务", ("担任职务", "行政职务")),
    Column("cert_no", "执法证号", ("执法证件号", "执法证编号", "执法证件号码", "执法证件编号", "行政执法证号",
                               "行政执法证件号码", "部门执法证编号", "部门执法证", "工商部门执法证", "执法证",
                               "省政府执法证编号", "省政府执法证", "证件号码")),
    Column("cert_expiry", "执法证有效期至", ("有效期至", "执法证有效期", "执法证件有效期", "证件有效期", "证件有效日期",
                                      "有效期")),
    Column("post", "岗位", ("执法岗位", "从事岗位大类", "岗位大类")),
    Column("title", "职称", ("专业技术职称", "个人专业技术职称")),
    Column("years", "执法年限", ("从事执法年限", "执法工作年限")),
    Column("tags", "执法专长", ("专长", "专业领域", "分类标注", "执法领域", "岗位资格资质", "检查事项范围", "执法范围")),
    Column("zone", "片区", ("检查组", "片区/检查组", "所属片区")),
    Column("can_lead", "可任组长", ("是否可任组长", "可担任组长")),
    Column("unavailable", "不可用日期", ("不在岗日期", "请假日期")),
    Column("mobile", "手机号码", ("手机", "手机号", "移动电话", "联系电话")),
    Column("note", "备注"),
)


class InspectorImporter(Importer):
    """Inspectors keyed by certificate number, or by department and name when there is none."""

    label = "执法检查人员"
    columns = INSPECTOR_COLUMNS
    table = Inspector.__tablename__

    def __init__(self, only_department_id: int | None = None):
        self.only_department_id = only_department_id  # a department admin imports their own people only
        self.department_id = only_department_id

    def prepare(self):
        self.departments = department_lookup()

    def parse_row(self, raw):
        errors: list[str] = []
        department = self.departments.get(raw.get("department", ""))
        if department is None:
            errors.append(f"所属单位“{raw.get('department', '')}”不存在，请先由领导小组办公室在“部门管理”中添加")
        elif self.only_department_id is not None and department.id != self.only_department_id:
            errors.append(f"只能导入本单位的执法人员，本行属于“{department.name}”")
        values: dict[str, Any] = {"department_id": department.id if department else None}
        if not raw.get("name"):
            errors.append("姓名为空")
        gender = raw.get("gender", "")
        if gender not in ("", "男", "女"):
            errors.append(f"性别应为“男”或“女”，而不是“{gender}”")
        cert_no = raw.get("cert_no", "").replace(" ", "").upper()
        if cert_no and not cert_no.isalnum():
            errors.append(f"执法证号“{cert_no}”只能包含字母和数字")
        values.update(name=raw.get("name", ""), gender=gender, cert_no=cert_no or None, tags=split_list(raw.get("tags")))
        checks = {
            "name": lambda t: limit(t, "姓名", 64),
            "position": lambda t: limit(t, "职务", 64),
            "post": lambda t: limit(t, "岗位", 64),
            "title": lambda t: limit(t, "职称", 64),
            "zone": lambda t: limit(t, "片区", 64),
            "note": lambda t: limit(t, "备注", 500),
            "cert_expiry": lambda t: parse_date(t, "执法证有效期"),
            "years": lambda t: parse_number(t, "执法年限", integer=True, high=60),
            "can_lead": lambda t: parse_bool(t, "可任组长"),
            "mobile": lambda t: parse_phone(t, "手机号码", mobile=True),
            "unavailable": lambda t: sorted({parse_date(p, "不可用日期").isoformat() for p in split_list(t)}),
        }
        for key, check in checks.items():
            try:
                values[key] = check(raw.get(key, ""))
            except ValueError as error:
                errors.append(str(error))
        if cert_no and values.get("cert_expiry") is None and not errors:
            errors.append("填写了执法证号，但没有填写执法证有效期")
        if errors:
            raise RowInvalid(errors)
        return inspector_key(values["department_id"], values["name"], values["cert_no"]), values

    def key_label(self, key):
        return f"执法证号 {key[1]}" if key[0] == "cert" else f"姓名 {key[2]}"

    def existing(self):
        names = ["id", "department_id", "name", "gender", "position", "cert_no", "cert_expiry", "post", "title",
                 "years", "tags", "zone", "can_lead", "unavailable", "mobile", "note"]
        rows = db.session.execute(sa.select(*(getattr(Inspector, n) for n in names)))
        found = {}
        for row in rows:
            values = dict(zip(names, row))
            found[inspector_key(values["department_id"], values["name"], values["cert_no"])] = values
        return found

    def write(self, new, changed):
        if new:
            insert_many(Inspector, new)
        if changed:
            db.session.execute(sa.update(Inspector), [{**values, "id": old["id"]} for old, values in changed])


def inspector_key(department_id, name, cert_no) -> Hashable:
    return ("cert", cert_no) if cert_no else ("name", department_id, name)


def export_inspectors(target, query=None) -> None:
    query = query if query is not None else sa.select(Inspector).order_by(Inspector.department_id, Inspector.id)
    rows = (
        [i.name, i.gender, i.department.name, i.position, i.cert_no or "", i.cert_expiry, i.post, i.title, i.years,
         join_list(i.tags), i.zone, i.can_lead, join_list(i.unavailable), i.mobile, i.note]
        for i in db.session.scalars(query.options(sa.orm.joinedload(Inspector.department)))
    )
    write_list(target, "执法检查人员名录库", None, [c.header for c in INSPECTOR_COLUMNS], rows)


# ---- declared conflicts of interest (回避关系) -------------------------------------------------

CONFLICT_COLUMNS = (
    Column("cert_no", "执法证号", ("执法证件号", "执法证编号"), True),
    Column("inspector_name", "姓名", ("执法人员姓名",)),
    Column("credit_code", "统一社会信用代码", ("统一社会信用代码/注册号", "统一社会信用代码（注册号）", "统一信用代码/注册号",
                                       "社会信用代码", "信用代码", "注册号"), True),
    Column("subject_name", "单位名称", ("企业名称", "名称")),
    Column("reason", "回避原因", ("原因", "回避事由"), True),
)


class ConflictImporter(Importer):
    label = "回避关系"
    columns = CONFLICT_COLUMNS
    table = Conflict.__tablename__

    def __init__(self, only_department_id: int | None = None):
        self.only_department_id = only_department_id
        self.department_id = only_department_id

    def prepare(self):
        self.inspectors = dict(
            db.session.execute(sa.select(Inspector.cert_no, Inspector).where(Inspector.cert_no.is_not(None))).all()
        )
        self.subjects = dict(db.session.execute(sa.select(Subject.credit_code, Subject.id)).all())

    def parse_row(self, raw):
        errors = []
        cert_no = raw.get("cert_no", "").replace(" ", "").upper()
        inspector = self.inspectors.get(cert_no)
        if inspector is None:
            errors.append(f"执法证号“{cert_no}”在执法检查人员名录库中不存在" if cert_no else "执法证号为空")
        elif self.only_department_id is not None and inspector.department_id != self.only_department_id:
            errors.append("只能登记本单位执法人员的回避关系")
        elif raw.get("inspector_name") and raw["inspector_name"] != inspector.name:
            errors.append(f"姓名“{raw['inspector_name']}”与执法证号{cert_no}登记的“{inspector.name}”不一致")
        code = creditcode.normalise(raw.get("credit_code"))
        subject_id = self.subjects.get(code)
        if subject_id is None:
            errors.append(creditcode.problem(code) or f"统一社会信用代码{code}在检查对象名录库中不存在")
        reason = raw.get("reason", "")
        if not reason:
            errors.append("回避原因为空")
        elif len(reason) > 200:
            errors.append("回避原因过长（最多200字）")
        if errors:
            raise RowInvalid(errors)
        return (inspector.id, subject_id), {"inspector_id": inspector.id, "subject_id": subject_id, "reason": reason}

    def key_label(self, key):
        return "同一执法人员与同一单位"

    def existing(self):
        rows = db.session.execute(sa.select(Conflict.id, Conflict.inspector_id, Conflict.subject_id, Conflict.reason)
                                  .add_columns(Inspector.department_id)
                                  .join(Inspector, Inspector.id == Conflict.inspector_id))
        return {(r.inspector_id, r.subject_id): r._asdict() for r in rows}

    def write(self, new, changed):
        if new:
            insert_many(Conflict, new)
        if changed:
            db.session.execute(sa.update(Conflict), [{**values, "id": old["id"]} for old, values in changed])
