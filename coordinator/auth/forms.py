"""Log-in, password and account-management forms."""
from __future__ import annotations

import re

from wtforms import BooleanField, PasswordField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Optional, Regexp, ValidationError

from ..forms import BaseForm
from ..vocab import ROLES

PASSWORD_RULE = "至少8位，且同时包含字母和数字"


def password_problem(password: str) -> str | None:
    if len(password) < 8 or not re.search(r"[A-Za-z]", password) or not re.search(r"\d", password):
        return f"密码强度不足：{PASSWORD_RULE}"
    if len(password) > 128:
        return "密码不能超过128位"
    return None


def strong_password(form, field):
    if field.data and (problem := password_problem(field.data)):
        raise ValidationError(problem)


class LoginForm(BaseForm):
    username = StringField("用户名", validators=[DataRequired("请输入用户名"), Length(max=64)])
    password = PasswordField("密码", validators=[DataRequired("请输入密码"), Length(max=128)])
    remember = BooleanField("记住我")


class PasswordForm(BaseForm):
    current = PasswordField("当前密码", validators=[DataRequired("请输入当前密码"), Length(max=128)])
    new = PasswordField("新密码", validators=[DataRequired("请输入新密码"), strong_password])
    confirm = PasswordField(
        "确认新密码", validators=[DataRequired("请再次输入新密码"), EqualTo("new", "两次输入的新密码不一致")]
    )


class DepartmentForm(BaseForm):
    code = StringField(
        "部门代码",
        validators=[
            DataRequired("请填写部门代码"),
            Length(max=32, message="部门代码不能超过32个字符"),
            Regexp(r"^[a-z][a-z0-9_]*$", message="部门代码只能用小写字母、数字和下划线，并以字母开头"),
        ],
    )
    name = StringField("部门名称", validators=[DataRequired("请填写部门名称"), Length(max=64)])
    active = BooleanField("启用", default=True)


class UserForm(BaseForm):
    username = StringField(
        "用户名",
        validators=[
            DataRequired("请填写用户名"),
            Length(max=64, message="用户名不能超过64个字符"),
            Regexp(r"^[A-Za-z0-9_.-]+$", message="用户名只能用字母、数字、下划线、点和短横线"),
        ],
    )
    display_name = StringField("姓名", validators=[DataRequired("请填写姓名"), Length(max=64)])
    # Inspectors' own accounts are made from the inspector directory (auth.inspector_accounts), not here.
    role = SelectField("角色", choices=[SelectChoice(k, v) for k, v in ROLES.items() if k != "inspector"])
    department_id = SelectField("所属部门", coerce=int, validators=[Optional()])
    password = PasswordField("初始密码", validators=[Optional(), strong_password])
    active = BooleanField("启用", default=True)

    def validate_department_id(self, field):
        if self.role.data != "office" and not field.data:
            raise ValidationError("除领导小组办公室外，每个账号都必须属于一个部门")
