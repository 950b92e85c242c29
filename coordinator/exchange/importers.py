"""The three lists other systems send in: credit-risk classes, registration status, enforcement personnel.

Each is an Importer of the one pipeline (coordinator.excel.importing): the file is read and every row checked
before anything is written, refused rows carry their Excel row number and a Chinese reason, the valid rows go
in one transaction, and the same file twice changes nothing the second time.
"""
from __future__ import annotations

import re
from collections.abc import Hashable
from datetime import date

import sqlalchemy as sa
from flask import current_app

from ..auth.services import department_lookup
from ..campaigns.models import Campaign, CampaignSubject
from ..directories import creditcode
from ..directories.importers import REGISTRATION_NO, SUBJECT_COLUMNS
from ..directories.models import Inspector, Subject
from ..directories.services import change_status, forget_directory_cache
from ..excel.importing import Importer, RowInvalid, insert_many
from ..excel.reader import Column, limit, parse_date
from ..extensions import db
from ..states import CampaignStatus, DrawnStatus, SubjectStatus
from ..timeutil import now, today
from ..vocab import RISK_CLASSES
from .models import InspectorCertificate, MissingSubject, RegistrationChange, ReplacementFlag, RiskRating
from .services import actor

# The enterprise's code as the directory import reads it: the unified code, or a separate 注册号 column.
CODE_COLUMNS = (SUBJECT_COLUMNS[0], REGISTRATION_NO)
NAME_COLUMN = Column("name", "企业名称", ("单位名称", "名称", "市场主体名称", "主体名称"))


def _code(raw: dict, errors: list[str]) -> str:
    """The row's credit code (or 15-digit 注册号), or a reason appended to `errors`."""
    code = creditcode.normalise(raw.get("credit_code", "")) or creditcode.normalise(raw.get("registration_no", ""))
    if problem := creditcode.problem(code):
        errors.append(problem)
    return code


def _date(raw: dict, key: str, label: str, errors: list[str], *, required: bool = True) -> date | None:
    try:
        value = parse_date(raw.get(key, ""), label)
    except ValueError as error:
        errors.append(str(error))
        return None
    if value is None and required:
        errors.append(f"{label}为空")
    elif value is not None and value > today():
        errors.append(f"{label}“{value}”晚于今天")
    return value


def _text(raw: dict, key: str, label: str, length: int, errors: list[str]) -> str:
    try:
        return limit(raw.get(key, ""), label, length)
    except ValueError as error:
        errors.append(str(error))
        return ""


class _ListImporter(Importer):
    """Lists keyed by credit code: codes our directory lacks are refused and kept for the office."""

    missing_reason = "名录库中没有该企业（统一社会信用代码 {code}），已列入“名录缺少的企业”，请核实后补录"

    def prepare(self):
        self.subjects = dict(db.session.execute(sa.select(Subject.credit_code, Subject.id)).all())
        self.unknown: dict[str, str] = {}

    def subject_id(self, code: str, raw: dict, errors: list[str]) -> int | None:
        found = self.subjects.get(code)
        if found is None and not errors:
            self.unknown.setdefault(code, raw.get("name", "")[:200])
            errors.append(self.missing_reason.format(code=code))
        return found

    def key_label(self, key):
        return f"统一社会信用代码 {key if isinstance(key, str) else key[0]}"

    def notes(self, new, changed):
        if self.unknown:
            return [f"文件中有 {len(self.unknown)} 个统一社会信用代码在名录库中不存在，将列入“名录缺少的企业”供办公室核实。"]
        return []

    def keep_unknown(self) -> None:
        """Remember the codes the list named that the directory lacks, through the ORM so the log has each."""
        if not self.unknown:
            return
        known = {m.credit_code: m for chunk in _chunks(sorted(self.unknown)) for m in db.session.scalars(
            sa.select(MissingSubject).where(MissingSubject.source == self.source,
                                            MissingSubject.credit_code.in_(chunk)))}
        stamp = now()
        for code, name in self.unknown.items():
            missing = known.get(code)
            if missing is None:
                db.session.add(MissingSubject(source=self.source, credit_code=code, name=name, first_seen=stamp,
                                              last_seen=stamp))
            else:
                missing.last_seen = stamp


# ---- credit-risk classes (信用风险分类, the market regulator's list) ---------------------------------------

RISK_WORDS = {
    "低": "A", "低风险": "A", "信用风险低": "A",
    "一般": "B", "一般风险": "B", "信用风险一般": "B",
    "较高": "C", "较高风险": "C", "信用风险较高": "C",
    "高": "D", "高风险": "D", "信用风险高": "D",
}
DEFAULT_RISK_SOURCE = "市场监管部门信用风险分类"


def parse_risk_class(text: str) -> str | None:
    """A–D (also "A类", "A级", "A类（低风险）") or the regulator's words 低/一般/较高/高风险; None if neither."""
    folded = re.sub(r"[（(].*?[）)]", "", text.replace(" ", "")).upper()
    if folded in RISK_WORDS:
        return RISK_WORDS[folded]
    folded = folded.removesuffix("类").removesuffix("级")
    return folded if folded in RISK_CLASSES else None


class RiskClassImporter(_ListImporter):
    label = "信用风险分类"
    source = "risk"
    table = Subject.__tablename__
    columns = (
        *CODE_COLUMNS,
        NAME_COLUMN,
        Column("risk_class", "信用风险分类", ("信用风险分类结果", "风险分类", "分类结果", "信用风险等级", "风险等级",
                                              "信用风险类别"), True),
        Column("rated_on", "分类日期", ("评价日期", "分类时间", "认定日期", "更新日期", "评定日期"), True),
        Column("source", "分类来源", ("来源", "分类机关", "数据提供单位", "提供单位")),
    )

    def __init__(self, user_id: int | None = None):
        self.user_id = user_id

    def prepare(self):
        super().prepare()
        latest = (sa.select(RiskRating.subject_id, sa.func.max(RiskRating.id).label("id"))
                  .group_by(RiskRating.subject_id).subquery())
        rows = db.session.execute(
            sa.select(Subject.credit_code, Subject.id, Subject.risk_class, RiskRating.rated_on, RiskRating.source)
            .outerjoin(latest, latest.c.subject_id == Subject.id).outerjoin(RiskRating, RiskRating.id == latest.c.id))
        self.current = {code: {"id": sid, "risk_class": risk or "", "rated_on": rated_on, "source": source}
                        for code, sid, risk, rated_on, source in rows}

    def parse_row(self, raw):
        errors: list[str] = []
        code = _code(raw, errors)
        risk = parse_risk_class(raw.get("risk_class", ""))
        if risk is None:
            shown = raw.get("risk_class", "")
            errors.append(f"信用风险分类“{shown}”无效，应为 A、B、C、D 或 低风险、一般风险、较高风险、高风险"
                          if shown else "信用风险分类为空")
        rated_on = _date(raw, "rated_on", "分类日期", errors)
        source = _text(raw, "source", "分类来源", 100, errors) or DEFAULT_RISK_SOURCE
        self.subject_id(code, raw, errors)
        held = self.current.get(code)
        if not errors and held and held["rated_on"] and rated_on < held["rated_on"]:
            errors.append(f"分类日期 {rated_on} 早于名录中已有的分类（{held['rated_on']}，{held['risk_class']}类），"
                          "未导入较旧的分类")
        if errors:
            raise RowInvalid(errors)
        return code, {"risk_class": risk, "rated_on": rated_on, "source": source}

    def existing(self):
        return self.current

    def write(self, new, changed):
        # Core statements (the pipeline logs each changed row, see `table`): a county-wide list runs to 100,000
        # enterprises.
        self.keep_unknown()
        if not changed:
            return
        moved = [{"id": old["id"], "risk_class": values["risk_class"]} for old, values in changed
                 if old["risk_class"] != values["risk_class"]]
        if moved:
            db.session.execute(sa.update(Subject), moved)
        insert_many(RiskRating, [
            {"subject_id": old["id"], "old_class": old["risk_class"], "new_class": values["risk_class"],
             "rated_on": values["rated_on"], "source": values["source"], "user_id": self.user_id or actor()[0]}
            for old, values in changed])
        forget_directory_cache()


# ---- registration status (登记状态: the registration system's changes) --------------------------------------

# What the registration system says → which field of the enterprise it changes and, for a status, to what.
# The directory has no separate "revoked" status: 吊销 takes the enterprise out of the pool like 注销, and the
# change's history keeps the word the registration system used.
REGISTRATION_KINDS = {
    "注销": ("status", SubjectStatus.DEREGISTERED), "注销登记": ("status", SubjectStatus.DEREGISTERED),
    "吊销": ("status", SubjectStatus.DEREGISTERED), "吊销营业执照": ("status", SubjectStatus.DEREGISTERED),
    "迁出": ("status", SubjectStatus.MOVED_OUT), "迁移": ("status", SubjectStatus.MOVED_OUT),
    "停业": ("status", SubjectStatus.SUSPENDED), "歇业": ("status", SubjectStatus.SUSPENDED),
    "恢复营业": ("status", SubjectStatus.ACTIVE), "复业": ("status", SubjectStatus.ACTIVE),
    "存续": ("status", SubjectStatus.ACTIVE),
    "名称变更": ("name", None), "变更名称": ("name", None),
    "住所变更": ("address", None), "地址变更": ("address", None), "经营场所变更": ("address", None),
    "住所（经营场所）变更": ("address", None),
}
KIND_LABELS = {"吊销营业执照": "吊销", "注销登记": "注销", "迁移": "迁出", "歇业": "停业", "复业": "恢复营业",
               "存续": "恢复营业", "变更名称": "名称变更", "地址变更": "住所变更", "经营场所变更": "住所变更",
               "住所（经营场所）变更": "住所变更"}
FIELD_LIMITS = {"name": (200, "变更后名称"), "address": (300, "变更后住所")}
DEFAULT_REGISTRATION_SOURCE = "市场监管部门登记系统"


class RegistrationImporter(_ListImporter):
    label = "登记状态变更"
    source = "registration"
    columns = (
        *CODE_COLUMNS,
        NAME_COLUMN,
        Column("change", "变更事项", ("登记状态", "变更类型", "变更事项类型", "登记事项", "状态", "经营状态"), True),
        Column("changed_on", "变更日期", ("核准日期", "登记日期", "状态变更日期", "注销日期", "吊销日期", "日期"), True),
        Column("new_value", "变更后内容", ("变更后", "变更后名称", "变更后住所", "新名称", "新住所")),
        Column("source", "登记机关", ("来源", "数据提供单位", "提供单位")),
    )

    def __init__(self, user_id: int | None = None):
        self.user_id = user_id

    def prepare(self):
        super().prepare()
        self.meta: dict[Hashable, dict] = {}  # (code, field) → the change's kind, date and source

    def parse_row(self, raw):
        errors: list[str] = []
        code = _code(raw, errors)
        word = raw.get("change", "").replace(" ", "")
        kind = REGISTRATION_KINDS.get(word)
        if kind is None:
            errors.append(f"变更事项“{word}”无法识别，应为：注销、吊销、迁出、停业、恢复营业、名称变更、住所变更"
                          if word else "变更事项为空")
        changed_on = _date(raw, "changed_on", "变更日期", errors)
        source = _text(raw, "source", "登记机关", 100, errors) or DEFAULT_REGISTRATION_SOURCE
        value = None
        if kind is not None:
            field, value = kind
            if field in FIELD_LIMITS:
                length, label = FIELD_LIMITS[field]
                value = _text(raw, "new_value", label, length, errors)
                if not value:
                    errors.append(f"{KIND_LABELS.get(word, word)}须填写变更后内容")
        subject_id = self.subject_id(code, raw, errors)
        if errors:
            raise RowInvalid(errors)
        key = (code, field)
        # The pipeline keeps a key's first row and refuses the others: so does this.
        self.meta.setdefault(key, {"subject_id": subject_id, "kind": KIND_LABELS.get(word, word),
                                   "changed_on": changed_on, "source": source})
        # The key travels in the values (equal to the stored row's) so write() knows each row's field; only
        # "value" can differ, so a date or source alone is no change and the same file twice changes nothing.
        return key, {"code": code, "field": field, "value": value}

    def key_label(self, key):
        return f"统一社会信用代码 {key[0]} 的{FIELD_NAMES[key[1]]}"

    def existing(self):
        ids = sorted({meta["subject_id"] for meta in self.meta.values()})
        rows = {}
        for chunk in _chunks(ids):
            for sid, code, status, name, address in db.session.execute(
                    sa.select(Subject.id, Subject.credit_code, Subject.status, Subject.name, Subject.address)
                    .where(Subject.id.in_(chunk))):
                for field, value in (("status", status), ("name", name), ("address", address)):
                    rows[(code, field)] = {"id": sid, "code": code, "field": field, "value": value}
        return rows

    @staticmethod
    def _leaving(changed) -> list[int]:
        """Enterprises the rows take out of the active directory."""
        return [old["id"] for old, values in changed
                if values["field"] == "status" and values["value"] != SubjectStatus.ACTIVE]

    def notes(self, new, changed):
        lines = super().notes(new, changed)
        drawn = drawn_in_open_campaigns(self._leaving(changed))
        if drawn:
            lines.append(f"其中 {len({cs.subject_id for cs in drawn})} 户已在进行中的联合抽查中被抽中，"
                         "导入后将提示办公室进行替换抽取。")
        return lines

    def write(self, new, changed):
        # Through the ORM: the directory's status history and the audit log see every enterprise's change.
        self.keep_unknown()
        user_id = self.user_id or actor()[0]
        subjects = {s.id: s for chunk in _chunks(sorted({old["id"] for old, _ in changed}))
                    for s in db.session.scalars(sa.select(Subject).where(Subject.id.in_(chunk)))}
        leaving: dict[int, RegistrationChange] = {}
        for old, values in changed:
            meta, field = self.meta[(values["code"], values["field"])], values["field"]
            subject = subjects[old["id"]]
            change = RegistrationChange(subject=subject, kind=meta["kind"], old_value=_shown(field, old["value"]),
                                        new_value=_shown(field, values["value"]), changed_on=meta["changed_on"],
                                        source=meta["source"], user_id=user_id)
            db.session.add(change)
            if field == "status":
                change_status(subject, values["value"],
                              f"登记状态导入：{meta['kind']}（{meta['changed_on']}，{meta['source']}）", user_id,
                              on=meta["changed_on"])
                if values["value"] != SubjectStatus.ACTIVE:
                    leaving[subject.id] = change
            else:
                setattr(subject, field, values["value"])
        db.session.flush()
        for cs in drawn_in_open_campaigns(list(leaving)):
            db.session.add(ReplacementFlag(campaign_subject_id=cs.id, change_id=leaving[cs.subject_id].id))
        forget_directory_cache()


FIELD_NAMES = {"status": "登记状态", "name": "名称", "address": "住所"}


def _shown(field: str, value) -> str:
    """A changed value as the history shows it: a status by its Chinese label."""
    return (SubjectStatus(value).label if field == "status" else str(value))[:300]


def drawn_in_open_campaigns(subject_ids) -> list[CampaignSubject]:
    """Where these enterprises are drawn and still to be inspected: campaigns not finished, not yet replaced."""
    found = []
    for chunk in _chunks(sorted(set(subject_ids))):
        found += db.session.scalars(
            sa.select(CampaignSubject).join(Campaign, CampaignSubject.campaign_id == Campaign.id)
            .where(CampaignSubject.subject_id.in_(chunk), CampaignSubject.status == DrawnStatus.ACTIVE,
                   Campaign.status != CampaignStatus.FINISHED).order_by(CampaignSubject.id)).all()
    return found


def _chunks(values: list, size: int = 500):
    for start in range(0, len(values), size):
        yield values[start:start + size]


# ---- enforcement personnel (the justice bureau's 行政执法人员 database) ---------------------------------------


class PersonnelImporter(Importer):
    """Certificates matched by number inside the department the row names, never across departments.

    An inspector of that department holding the number is updated; one of that department with the same name and
    no number yet receives it; otherwise the person is added to the department's directory. A number held in
    another department is refused: the justice bureau and our directory disagree about the unit, and only a person
    can say which is right.
    """

    label = "执法人员执法证"
    source = "personnel"
    columns = (
        Column("cert_no", "执法证号", ("执法证件号", "执法证编号", "执法证件号码", "证件号码", "证号", "执法证件编号"), True),
        Column("name", "姓名", ("执法人员姓名", "人员姓名"), True),
        Column("unit", "执法单位", ("所属单位", "工作单位", "所在单位", "单位", "执法主体", "所属部门", "部门"), True),
        Column("cert_type", "证件类型", ("执法证类型", "证件种类", "执法证件类型", "证件名称")),
        Column("valid_from", "发证日期", ("有效期起", "有效期自", "发证时间", "有效期开始日期")),
        Column("valid_until", "有效期至", ("有效期止", "有效期截止", "有效期截止日期", "证件有效期", "有效期"), True),
        Column("area", "执法区域", ("执法地域", "执法范围", "执法区划")),
        Column("category", "执法类别", ("执法门类", "执法种类", "执法领域", "执法类型")),
    )

    def __init__(self, only_department_id: int | None = None, user_id: int | None = None):
        self.department_id = only_department_id  # a department's administrator imports its own people only
        self.user_id = user_id

    def prepare(self):
        self.departments = department_lookup()
        county = current_app.config.get("COUNTY_NAME", "")
        for name, department in list(self.departments.items()):  # the bureau writes 河清县应急管理局
            self.departments.setdefault(county + name, department)
        self.by_cert: dict[str, Inspector] = {}
        self.uncertified: dict[tuple[int, str], list[Inspector]] = {}
        for inspector in db.session.scalars(sa.select(Inspector).options(sa.orm.joinedload(Inspector.department))):
            if inspector.cert_no:
                self.by_cert[inspector.cert_no] = inspector
            else:
                self.uncertified.setdefault((inspector.department_id, inspector.name), []).append(inspector)
        self.certificates = {c.inspector_id: c for c in db.session.scalars(sa.select(InspectorCertificate))}
        self.matched: dict[str, Inspector] = {}

    def parse_row(self, raw):
        errors: list[str] = []
        cert_no = raw.get("cert_no", "").replace(" ", "").upper()
        if not cert_no:
            errors.append("执法证号为空")
        elif not cert_no.isalnum() or len(cert_no) > 32:
            errors.append(f"执法证号“{cert_no}”只能包含字母和数字（最多32位）")
        name = _text(raw, "name", "姓名", 64, errors)
        if not name:
            errors.append("姓名为空")
        unit = raw.get("unit", "")
        department = self.departments.get(unit)
        if department is None:
            errors.append(f"执法单位“{unit}”不是本系统中的部门，请先由领导小组办公室在“部门管理”中添加" if unit
                          else "执法单位为空")
        elif self.department_id is not None and department.id != self.department_id:
            errors.append(f"只能导入本单位的执法人员，本行属于“{department.name}”")
        values = {
            "department_id": department.id if department else None, "name": name, "cert_no": cert_no,
            "cert_type": _text(raw, "cert_type", "证件类型", 32, errors),
            "valid_from": _date(raw, "valid_from", "发证日期", errors, required=False),
            "valid_until": None,
            "area": _text(raw, "area", "执法区域", 100, errors),
            "category": _text(raw, "category", "执法类别", 100, errors),
        }
        try:
            values["valid_until"] = parse_date(raw.get("valid_until", ""), "有效期至")
            if values["valid_until"] is None:
                errors.append("有效期至为空")
        except ValueError as error:
            errors.append(str(error))
        if values["valid_from"] and values["valid_until"] and values["valid_from"] > values["valid_until"]:
            errors.append("发证日期晚于有效期至")
        if not errors:
            self._match(values, errors)
        if errors:
            raise RowInvalid(errors)
        return cert_no, values

    def _match(self, values: dict, errors: list[str]) -> None:
        holder = self.by_cert.get(values["cert_no"])
        if holder is not None:
            if holder.department_id != values["department_id"]:
                errors.append(f"执法证号{values['cert_no']}已登记在“{holder.department.name}”的执法人员名录中，"
                              "不跨部门匹配：请核对执法单位")
            elif holder.name != values["name"]:
                errors.append(f"执法证号{values['cert_no']}在名录中登记的是“{holder.name}”，与本行姓名“{values['name']}”不一致")
            else:
                self.matched[values["cert_no"]] = holder
            return
        namesakes = self.uncertified.get((values["department_id"], values["name"]), [])
        if len(namesakes) > 1:
            errors.append(f"本部门有{len(namesakes)}名未登记执法证号的“{values['name']}”，无法确定是哪一位，"
                          "请先在名录中为其中一位填写执法证号")
        elif namesakes:
            self.matched[values["cert_no"]] = namesakes.pop()  # one person takes one number

    def key_label(self, key):
        return f"执法证号 {key}"

    def existing(self):
        found = {}
        for cert_no, inspector in self.matched.items():
            certificate = self.certificates.get(inspector.id)
            found[cert_no] = {
                "id": inspector.id, "department_id": inspector.department_id, "name": inspector.name,
                "cert_no": inspector.cert_no or "", "cert_type": certificate.cert_type if certificate else None,
                "valid_from": certificate.valid_from if certificate else None,
                "valid_until": inspector.cert_expiry, "area": certificate.area if certificate else None,
                "category": certificate.category if certificate else None,
            }
        return found

    def write(self, new, changed):
        # Through the ORM, so that the audit log records every inspector's and certificate's change.
        for values in new:
            inspector = Inspector(department_id=values["department_id"], name=values["name"],
                                  cert_no=values["cert_no"], cert_expiry=values["valid_until"])
            db.session.add(inspector)
            db.session.add(self._certificate(InspectorCertificate(inspector=inspector), values))
        for _old, values in changed:
            inspector = self.matched[values["cert_no"]]
            inspector.cert_no, inspector.cert_expiry = values["cert_no"], values["valid_until"]
            certificate = self.certificates.get(inspector.id) or InspectorCertificate(inspector=inspector)
            db.session.add(self._certificate(certificate, values))

    @staticmethod
    def _certificate(certificate: InspectorCertificate, values: dict) -> InspectorCertificate:
        certificate.cert_type, certificate.valid_from = values["cert_type"], values["valid_from"]
        certificate.valid_until, certificate.area = values["valid_until"], values["area"]
        certificate.category = values["category"]
        return certificate
