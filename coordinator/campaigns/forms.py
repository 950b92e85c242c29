"""Campaign forms."""
from __future__ import annotations

from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    FileField,
    FloatField,
    Form,
    FormField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from ..forms import BaseForm, CheckboxList, choices
from ..states import CampaignKind, DayMode
from ..textutil import split_list
from ..vocab import CATEGORIES, RISK_CLASSES
from . import rules
from .rules import MUST_FLAG_LABELS

MODES = choices([("ratio", "按比例"), ("count", "按数量"), ("all", "全部抽取")])
CROWDED = choices([("", "不限"), ("yes", "是"), ("no", "否")])


class StratumForm(Form):
    name = StringField("分层名称", validators=[Optional(), Length(max=40)])
    category = SelectField("单位类别", choices=choices([("*", "全部类别"), *((c, c) for c in CATEGORIES)]))
    crowded = SelectField("人员密集场所", choices=CROWDED)
    mode = SelectField("抽取方式", choices=MODES)
    value = FloatField("比例或数量", validators=[Optional(), NumberRange(min=0)])
    # Seed 000/002: a credit-risk class may have a ratio of its own inside the stratum ("D:1, C:0.5").
    risk_ratios = StringField("信用风险类别单独比例", validators=[Optional(), Length(max=60)])

    def validate_risk_ratios(self, field):
        if self.name.data and field.data and self.mode.data != "ratio":
            raise ValidationError("只有按比例抽取的分层可以为信用风险类别单独设定比例")
        try:
            rules.parse_risk_ratios(field.data or "")
        except ValueError as error:  # WTForms shows only a ValidationError; a bare ValueError would be a 500
            raise ValidationError(str(error)) from error

    def validate_value(self, field):
        if not self.name.data:
            return
        if self.mode.data == "ratio" and (field.data is None or not 0 < field.data <= 1):
            raise ValidationError("比例应在0到1之间，如 0.2 表示20%")
        if self.mode.data == "count" and (field.data is None or field.data < 1 or field.data != int(field.data)):
            raise ValidationError("数量应为正整数")


def _date_order(first: str, second: str, message: str):
    def check(form, field):
        a, b = getattr(form, first).data, getattr(form, second).data
        if a and b and b < a:
            raise ValidationError(message)

    return check


class CampaignForm(BaseForm):
    kind = SelectField("抽查类型", default=CampaignKind.JOINT.value,
                       choices=choices((k.value, k.label) for k in CampaignKind))
    name = StringField("抽查名称", validators=[DataRequired("请填写名称"), Length(max=200)])
    field = StringField("领域", validators=[Length(max=64)], default="应急管理领域")
    plan_task_id = SelectField("对应年度计划任务", coerce=int, validators=[Optional()])
    lead_department_id = SelectField("牵头部门", coerce=int)
    partner_ids = CheckboxList("协同部门（部门联合抽查必选；内部随机抽查不选）", coerce=int)
    period_start = DateField("抽查开始日期", validators=[InputRequired("请填写开始日期")])
    period_end = DateField("抽查结束日期", validators=[
        InputRequired("请填写结束日期"), _date_order("period_start", "period_end", "结束日期不能早于开始日期")])
    items_deadline = DateField("事项提交截止日期", validators=[InputRequired("请填写截止日期")])
    visit_start = DateField("实地检查开始日期", validators=[InputRequired("请填写检查开始日期")])
    visit_end = DateField("实地检查结束日期", validators=[
        InputRequired("请填写检查结束日期"), _date_order("visit_start", "visit_end", "检查结束日期不能早于开始日期")])
    regions = CheckboxList("乡镇范围（不选为全部）")
    industries = CheckboxList("行业范围（不选为全部）")
    categories = CheckboxList("单位类别范围（不选为全部）", choices=choices((c, c) for c in CATEGORIES))
    risk_classes = CheckboxList("信用风险分类范围（不选为全部）",
                                choices=choices([*((c, f"{c}类") for c in RISK_CLASSES), ("", "未分类")]))
    strata = FieldList(FormField(StratumForm), min_entries=6, max_entries=6)
    weight_a = FloatField("A类权重", default=0.5, validators=[InputRequired(), NumberRange(min=0.01, max=100)])
    weight_b = FloatField("B类权重", default=1.0, validators=[InputRequired(), NumberRange(min=0.01, max=100)])
    weight_c = FloatField("C类权重", default=1.5, validators=[InputRequired(), NumberRange(min=0.01, max=100)])
    weight_d = FloatField("D类权重", default=2.0, validators=[InputRequired(), NumberRange(min=0.01, max=100)])
    weight_none = FloatField("未分类权重", default=1.0, validators=[InputRequired(), NumberRange(min=0.01, max=100)])
    must_flags = CheckboxList("必查情形", choices=choices(MUST_FLAG_LABELS.items()))
    expertise_industries = StringField("需专业执法人员的行业", default="危险化学品、烟花爆竹",
                                       validators=[Length(max=200)])
    burden_months = IntegerField("近N个月内已联合检查的不再抽取", default=12,
                                 validators=[InputRequired(), NumberRange(min=0, max=60)])
    covert = BooleanField("暗查暗访（事先不公告、不发告知书）")
    team_size = IntegerField("每部门执法人员数", default=2, validators=[InputRequired(), NumberRange(min=2, max=6,
                             message="每个部门至少2名执法人员（最多6名）")])
    inspector_capacity = IntegerField("每名执法人员最多检查（户）", default=20,
                                      validators=[InputRequired(), NumberRange(min=1, max=1000)])
    daily_capacity = IntegerField("每名执法人员每天最多检查（户）", default=2,
                                  validators=[InputRequired(), NumberRange(min=1, max=20)])
    max_pair_probability = FloatField("同一执法人员被派到同一单位的最大机会（0～1）", default=0.5,
                                      validators=[Optional(), NumberRange(min=0.01, max=1)])
    # Seed 003's deadlines after the visit; publication as seed 004 by default (20 working days).
    # Optional: a form posted without them (an older page, a script) keeps the defaults.
    report_working_days = IntegerField("检查报告：检查后几个工作日内", default=1,
                                       validators=[Optional(), NumberRange(min=1, max=20)])
    feedback_working_days = IntegerField("检查结果告知书：报告后几个工作日内", default=1,
                                         validators=[Optional(), NumberRange(min=1, max=20)])
    publication_days = IntegerField("公示：检查后几日内", default=20,
                                    validators=[Optional(), NumberRange(min=1, max=60)])
    publication_day_mode = SelectField("公示期限按", default=DayMode.WORKING.value,
                                       choices=choices((m.value, m.label) for m in DayMode))

    # A special inspection's plan (专项检查方案), as seed 000 asks: drawn up before it and filed with the superior.
    scheme_text = TextAreaField("专项检查方案（检查对象、抽查比例、检查内容）", validators=[Length(max=20000)])
    scheme_file = FileField("专项检查方案附件（PDF、Word 或图片，不超过 8 MB）")
    scheme_filed_with = StringField("报备案单位", validators=[Length(max=100)])
    scheme_filed_on = DateField("备案日期", validators=[Optional()])

    def validate_scheme_text(self, field):
        if self.kind.data == CampaignKind.SPECIAL and not (field.data or "").strip():
            raise ValidationError("专项检查须先制定专项检查方案：请填写方案内容")

    def validate_strata(self, field):
        if not any(entry.form.name.data for entry in field.entries):
            raise ValidationError("至少需要一个分层（填写分层名称）")
        # An empty value stops the value's own checks (Optional), so a named stratum is checked for one here.
        for entry in field.entries:
            stratum = entry.form
            if stratum.name.data and stratum.mode.data != "all" and stratum.value.data is None:
                what = "比例（如 0.2 表示20%）" if stratum.mode.data == "ratio" else "数量（户数）"
                stratum.value.errors = [*stratum.value.errors, f"请填写{what}"]
                raise ValidationError(f"分层“{stratum.name.data.strip()}”请填写{what}")
        labels = [entry.form.name.data for entry in field.entries if entry.form.name.data]
        if len(set(labels)) != len(labels):
            raise ValidationError("分层名称不能重复")

    def load_strata(self, strata: list[dict]) -> None:
        """Fill the six stratum rows from a preset (empty rows after it)."""
        for entry, stratum in zip(self.strata.entries, [*strata, *([None] * 6)]):
            entry.form.name.data = stratum["id"] if stratum else ""
            entry.category.data = stratum["category"] if stratum else "*"
            crowded = stratum.get("crowded") if stratum else None
            entry.crowded.data = "" if crowded is None else ("yes" if crowded else "no")
            entry.mode.data = stratum["mode"] if stratum else "ratio"
            entry.value.data = stratum["value"] if stratum else None
            entry.risk_ratios.data = rules.format_risk_ratios(stratum.get("risk_ratios") if stratum else None)

    def values(self) -> dict:
        """The campaign's columns, as services.create_campaign takes them."""
        strata = [
            {"id": e.form.name.data.strip(), "category": e.category.data,
             "crowded": {"yes": True, "no": False}.get(e.crowded.data), "mode": e.mode.data,
             "value": None if e.mode.data == "all" else (int(e.value.data) if e.mode.data == "count" else e.value.data),
             **({"risk_ratios": ratios} if (ratios := rules.parse_risk_ratios(e.risk_ratios.data or "")) else {})}
            for e in self.strata.entries if e.form.name.data and e.form.name.data.strip()
        ]
        special = self.kind.data == CampaignKind.SPECIAL
        return {
            "kind": CampaignKind(self.kind.data),
            "scheme_text": self.scheme_text.data.strip() if special else "",
            "scheme_filed_with": (self.scheme_filed_with.data or "").strip() if special else "",
            "scheme_filed_on": self.scheme_filed_on.data if special else None,
            "name": self.name.data.strip(), "field": self.field.data.strip(),
            "plan_task_id": self.plan_task_id.data or None,
            "period_start": self.period_start.data, "period_end": self.period_end.data,
            "visit_start": self.visit_start.data, "visit_end": self.visit_end.data,
            "items_deadline": self.items_deadline.data,
            "scope": {"regions": self.regions.data, "industries": self.industries.data,
                      "categories": self.categories.data, "risk_classes": self.risk_classes.data},
            "strata": strata,
            "risk_weights": {"A": self.weight_a.data, "B": self.weight_b.data, "C": self.weight_c.data,
                             "D": self.weight_d.data, "": self.weight_none.data},
            "must_flags": self.must_flags.data,
            "expertise_industries": split_list(self.expertise_industries.data),
            "burden_months": self.burden_months.data, "covert": self.covert.data, "team_size": self.team_size.data,
            "inspector_capacity": self.inspector_capacity.data, "daily_capacity": self.daily_capacity.data,
            "max_pair_probability": self.max_pair_probability.data,
            "report_working_days": self.report_working_days.data or 1,
            "feedback_working_days": self.feedback_working_days.data or 1,
            "publication_days": self.publication_days.data or 20,
            "publication_day_mode": DayMode(self.publication_day_mode.data),
        }


class ItemsForm(BaseForm):
    item_ids = CheckboxList("本次抽查的抽查事项", coerce=int)
    materials = TextAreaField("需企业准备的材料（双清单之材料清单）", validators=[Length(max=4000)])


class StaffingForm(BaseForm):
    """What the office may change before a supplementary team draw (补充组队)."""

    visit_end = DateField("实地检查结束日期（只能延后）", validators=[InputRequired("请填写检查结束日期")])
    inspector_capacity = IntegerField("每名执法人员最多检查（户）",
                                      validators=[InputRequired(), NumberRange(min=1, max=1000)])
    daily_capacity = IntegerField("每名执法人员每天最多检查（户）", validators=[InputRequired(), NumberRange(min=1, max=20)])
    expertise_industries = StringField("需专业执法人员的行业（删去即不再要求）", validators=[Length(max=200)])


class ReasonForm(BaseForm):
    reason = StringField("原因", validators=[DataRequired("请填写原因"), Length(max=500)])


class RecuseForm(ReasonForm):
    """A recusal, and for a department's own draw the witness of the seat's redraw (else the office joins it)."""

    witness = StringField("见证人", validators=[Length(max=200)])
