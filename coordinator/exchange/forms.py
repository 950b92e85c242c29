"""The office's exchange forms: a publicity export, a new API client."""
from __future__ import annotations

from wtforms import BooleanField, IntegerField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from ..forms import BaseForm


class PublicityExportForm(BaseForm):
    year = IntegerField("年度（按公示日期）", validators=[Optional(), NumberRange(2000, 2100)])
    campaign_id = SelectField("或一次联合抽查", coerce=str, validate_choice=True)
    file_format = SelectField("文件格式", choices=[SelectChoice("xlsx", "Excel（.xlsx）"),
                                                     SelectChoice("csv", "CSV（UTF-8，带 BOM）")])
    new_only = BooleanField("只导出上次导出以来新增或变更的行")


class ApiClientForm(BaseForm):
    name = StringField("调用单位（系统）名称", validators=[DataRequired(message="请填写调用单位（系统）名称"),
                                                   Length(max=100)])
