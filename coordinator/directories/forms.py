"""Forms for editing the directories by hand; their rules are the importers' rules, applied to one row."""
from __future__ import annotations

from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from ..forms import BaseForm, choices
from ..states import SubjectStatus
from ..textutil import clean
from ..vocab import CATEGORIES, HISTORY_FLAGS, RISK_CLASSES
from .importers import INSPECTOR_COLUMNS, SUBJECT_COLUMNS

YES_NO = [("否", "否"), ("是", "是")]
SUBJECT_CHOICES = {
    "category": [(c, c) for c in CATEGORIES],
    "risk_class": [("", "未分类")] + [(c, f"{c}类") for c in RISK_CLASSES],
    "status": list(SubjectStatus.labels().items()),
    "crowded": YES_NO,
    **dict.fromkeys(HISTORY_FLAGS, YES_NO),
}


class RowForm(BaseForm):
    """A form whose fields are the columns of an import row: it gives that row back, cleaned like a cell."""

    def row(self) -> dict[str, str]:
        return {name: clean(field.data) for name, field in self._fields.items() if name != "csrf_token"}


def _build(name: str, columns, options: dict, long_fields=()) -> type[RowForm]:
    """A form with one field per import column, so the web and the importer take the same row."""
    fields = {}
    for column in columns:
        if column.key in options:
            fields[column.key] = SelectField(column.header, choices=choices(options[column.key]))
        elif column.key in long_fields:
            fields[column.key] = TextAreaField(column.header, validators=[Length(max=500)])
        else:
            fields[column.key] = StringField(column.header, validators=[Length(max=300)])
    return type(name, (RowForm,), fields)


# The status is not edited here: it changes only through StatusForm, which records the reason.
SubjectForm = _build(
    "SubjectForm", [c for c in SUBJECT_COLUMNS if c.key != "status"], SUBJECT_CHOICES, long_fields=("note",)
)
InspectorForm = _build(
    "InspectorForm",
    [c for c in INSPECTOR_COLUMNS if c.key != "department"],
    {"gender": [("", "未填"), ("男", "男"), ("女", "女")], "can_lead": YES_NO},
    long_fields=("note",),
)


class StatusForm(BaseForm):
    status = SelectField("新的经营状态", choices=choices(SubjectStatus.labels().items()))
    reason = StringField("变更原因", validators=[DataRequired("请填写变更原因"), Length(max=500)])


class ConflictForm(BaseForm):
    inspector_id = SelectField("执法人员", coerce=int)
    credit_code = StringField("统一社会信用代码", validators=[DataRequired("请填写统一社会信用代码"), Length(max=40)])
    reason = StringField("回避原因", validators=[DataRequired("请填写回避原因"), Length(max=200)])

