"""The office's form for a coverage rule."""
from __future__ import annotations

from wtforms import BooleanField, DecimalField, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from ..forms import BaseForm, CheckboxList, choices
from ..vocab import CATEGORIES, HISTORY_FLAGS, RISK_LABELS
from .models import CoveragePeriod

CROWDED = {"": "不限", "yes": "人员密集场所", "no": "非人员密集场所"}


class RuleForm(BaseForm):
    department_id = SelectField("部门", coerce=int)
    name = StringField("规则名称", validators=[DataRequired("请填写规则名称"), Length(max=200)])
    category = SelectField("单位类别", choices=choices([("", "不限"), *((c, c) for c in CATEGORIES)]))
    crowded = SelectField("人员密集场所", choices=choices(CROWDED.items()))
    flags = CheckboxList("具有以下任一情形", choices=choices(HISTORY_FLAGS.items()))
    risk_class = SelectField("信用风险分类", choices=choices([("", "不限"), *RISK_LABELS.items()]))
    percent = DecimalField("抽查比例（%）", places=2, validators=[
        InputRequired("请填写抽查比例"), NumberRange(min=0.01, max=100, message="抽查比例须在0.01%%到100%%之间")])
    period = SelectField("周期", choices=choices(CoveragePeriod.labels().items()))
    active = BooleanField("启用", default=True)

    def fill(self, rule) -> None:
        self.department_id.data = rule.department_id
        self.name.data = rule.name
        self.category.data = rule.category
        self.crowded.data = "" if rule.crowded is None else ("yes" if rule.crowded else "no")
        self.flags.data = list(rule.flags or [])
        self.risk_class.data = rule.risk_class
        self.percent.data = round(rule.ratio * 100, 2)
        self.period.data = rule.period.value
        self.active.data = rule.active

    def values(self) -> dict:
        return {"department_id": self.department_id.data, "name": self.name.data.strip(),
                "category": self.category.data, "crowded": {"": None, "yes": True, "no": False}[self.crowded.data],
                "flags": list(self.flags.data or []), "risk_class": self.risk_class.data,
                "ratio": float(self.percent.data) / 100, "period": CoveragePeriod(self.period.data),
                "active": self.active.data}
