"""Plan and plan-task forms; a task form turns itself into the values of a task."""
from __future__ import annotations

from wtforms import IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Regexp, ValidationError

from ..forms import BaseForm, CheckboxList, choices


class PlanForm(BaseForm):
    year = IntegerField("年度", validators=[InputRequired("请填写年度"), NumberRange(min=2000, max=2100)])
    department_id = SelectField("发起部门", coerce=int)


class PlanTaskForm(BaseForm):
    name = StringField("抽查任务名称", validators=[DataRequired("请填写任务名称"), Length(max=200)])
    task_type = SelectField("抽查类型", choices=choices([("定向", "定向"), ("不定向", "不定向")]))
    ratio = TextAreaField("抽查比例", validators=[DataRequired("请填写抽查比例"), Length(max=500)])
    item_ids = CheckboxList("抽查事项（从各部门的抽查事项清单中选择）", coerce=int)
    scope = StringField("抽查对象范围", validators=[DataRequired("请填写抽查对象范围"), Length(max=500)])
    joint_department_ids = CheckboxList("联合部门", coerce=int)
    start_month = StringField("开始月份", validators=[DataRequired("请填写开始月份"), Regexp(
        r"^\d{4}-(0[1-9]|1[0-2])$", message="月份应写成“年-月”的形式，如一月写 YYYY-01")])
    end_month = StringField("结束月份", validators=[DataRequired("请填写结束月份"), Regexp(
        r"^\d{4}-(0[1-9]|1[0-2])$", message="月份应写成“年-月”的形式，如十二月写 YYYY-12")])
    reason = StringField("调整原因（修改已公开的任务时必填，与调整记录一并公开）", validators=[Length(max=500)])

    def validate_end_month(self, field):
        if self.start_month.data and field.data and field.data < self.start_month.data:
            raise ValidationError("结束月份不能早于开始月份")

    def validate_item_ids(self, field):
        if not field.data:
            raise ValidationError("请至少选择一项抽查事项")

    def values(self) -> dict:
        """The task's own columns, as the service takes them (the items and joint departments come apart)."""
        return {key: self[key].data.strip() for key in ("name", "task_type", "ratio", "scope",
                                                        "start_month", "end_month")}


class MonthlyAddForm(BaseForm):
    credit_code = StringField("统一社会信用代码", validators=[DataRequired("请填写统一社会信用代码"), Length(max=18)])


class MonthlyConfirmForm(BaseForm):
    note = TextAreaField("说明（当前工作重点、调整原因等）", validators=[Length(max=2000)])
