"""The form that edits one expert by hand; its rules are the expert import's, applied to one row."""
from __future__ import annotations

from wtforms import StringField, TextAreaField
from wtforms.validators import Length

from ..directories.forms import RowForm


class ExpertForm(RowForm):
    """The import's columns but the 专家编号 (the row's key, never edited) and the department (chosen apart:
    only the office may move an expert between departments)."""

    name = StringField("姓名", validators=[Length(max=64)])
    employer = StringField("工作单位", validators=[Length(max=200)])
    specialties = StringField("专业领域", validators=[Length(max=300)])
    phone = StringField("联系电话", validators=[Length(max=32)])
    conflicts = TextAreaField("利害关系单位", validators=[Length(max=2000)])


class NewExpertForm(ExpertForm):
    """A new expert: the 专家编号 too (the key a later import matches it by)."""

    code = StringField("专家编号", validators=[Length(max=32)])
