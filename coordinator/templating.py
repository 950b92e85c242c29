"""Template helpers: the navigation each role sees, and the formats users read (local dates, numbers)."""
from __future__ import annotations

from datetime import date, datetime

from flask import request, url_for
from flask_login import current_user

from .vocab import HISTORY_FLAGS, RISK_LABELS

# (endpoint, label, roles, endpoint prefix that marks it active)
NAV = (
    ("home.index", "工作台", ("office", "admin", "officer"), "home."),
    ("campaigns.index", "联合抽查", ("office", "admin", "officer"), "campaigns."),
    ("plans.plan_index", "年度计划", ("office", "admin", "officer"), "plans."),
    ("results.index", "检查结果", ("office", "admin", "officer"), "results."),
    ("stats.index", "统计报表", ("office", "admin", "officer"), "stats.index"),
    ("stats.dashboard", "统计分析", ("office",), "stats.dashboard"),
    ("directories.subjects", "检查对象名录库", ("office", "admin", "officer"), "directories.subject"),
    ("directories.inspectors", "执法检查人员", ("office", "admin", "officer"), "directories.inspector"),
    ("directories.conflicts", "回避关系", ("office", "admin"), "directories.conflict"),
    ("items.index", "抽查事项清单", ("office", "admin", "officer"), "items."),
    ("auth.departments", "部门管理", ("office",), "auth.department"),
    ("auth.users", "账号管理", ("office",), "auth.user"),
    ("exchange.index", "数据交换", ("office",), "exchange."),
    ("audit.index", "审计日志", ("office",), "audit."),
    ("public.index", "公开信息", ("office", "admin", "officer"), "public."),
)


def nav_items():
    endpoint = request.endpoint or ""
    return [
        {"url": url_for(target), "label": label, "active": endpoint.startswith(prefix)}
        for target, label, roles, prefix in NAV
        if current_user.is_authenticated and current_user.role in roles
    ]


def format_date(value) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.strftime("%Y-%m-%d")
    return str(value)


def format_number(value, digits: int = 0) -> str:
    if value is None or value == "":
        return ""
    return f"{value:,.{digits}f}"


def yes_no(value) -> str:
    return "是" if value else "否"


def register(app) -> None:
    app.jinja_env.globals.update(nav_items=nav_items, RISK_LABELS=RISK_LABELS, HISTORY_FLAGS=HISTORY_FLAGS)
    app.jinja_env.filters.update(localdate=format_date, number=format_number, yesno=yes_no)
