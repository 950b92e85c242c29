"""Template helpers: the navigation each role sees, and the formats users read (local dates, numbers)."""
from __future__ import annotations

from datetime import date, datetime

from flask import request, url_for
from flask_login import current_user

from .states import Labelled
from .vocab import HISTORY_FLAGS, RISK_LABELS

# The menu of each role, grouped by task so that each sees a short row: a link is (endpoint, label, endpoint
# prefix that marks it active); a group is (label, links) and opens as a drop-down; a group of one is a link.
HOME = ("home.index", "工作台", "home.")
PLANS = ("plans.index", "年度计划", "plans.")
MONTHLY = ("plans.monthly_index", "月抽查计划", "plans.monthly")
COVERAGE = ("coverage.index", "抽查覆盖", "coverage.")
CAMPAIGNS = ("campaigns.index", "随机抽查", "campaigns.")
RESULTS = ("results.index", "检查结果", "results.")
FOLLOW_UPS = ("followups.index", "后续处置", "followups.")
EXPERTS = ("experts.index", "专家库", "experts.index")
STATS_FORM = ("stats.index", "统计报表", "stats.index")
SUBJECTS = ("directories.subjects", "检查对象名录库", "directories.subject")
INSPECTORS = ("directories.inspectors", "执法检查人员", "directories.inspector")
CONFLICTS = ("directories.conflicts", "回避关系", "directories.conflict")
ITEMS = ("items.index", "抽查事项清单", "items.")
PUBLIC = ("public.index", "公开信息", "public.")
MY_TASKS = ("tasks.index", "我的检查任务", "tasks.")
INSPECTOR_ACCOUNTS = ("auth.inspector_accounts", "检查人员个人账号", "auth.inspector_account")
MENUS = {
    "office": (
        HOME,
        ("年度工作", (PLANS, MONTHLY, COVERAGE)),
        ("名录库", (SUBJECTS, INSPECTORS, EXPERTS, CONFLICTS, ITEMS)),
        ("抽查", (CAMPAIGNS,)),
        ("结果与统计", (RESULTS, FOLLOW_UPS, STATS_FORM, ("stats.dashboard", "统计分析", "stats.dashboard"), PUBLIC)),
        ("系统", (("auth.departments", "部门管理", "auth.department"), ("auth.users", "账号管理", "auth.user"),
                ("exchange.index", "数据交换", "exchange."), ("audit.index", "审计日志", "audit."))),
    ),
    "admin": (
        HOME,
        ("本部门", (ITEMS, INSPECTORS, INSPECTOR_ACCOUNTS, EXPERTS, CONFLICTS, MONTHLY)),
        CAMPAIGNS,
        ("结果与统计", (RESULTS, FOLLOW_UPS, STATS_FORM)),
        ("查询", (SUBJECTS, PLANS, COVERAGE, PUBLIC)),
    ),
    "officer": (
        HOME,
        ("检查任务", (RESULTS, FOLLOW_UPS, CAMPAIGNS)),
        ("查询", (SUBJECTS, INSPECTORS, EXPERTS, ITEMS, PLANS, COVERAGE, STATS_FORM, PUBLIC)),
    ),
    # An inspector's own account: its work, and the public pages anyone reads.
    "inspector": (MY_TASKS, PUBLIC),
}


def _link(entry, endpoint: str) -> dict:
    target, label, prefix = entry
    return {"url": url_for(target), "label": label, "active": endpoint.startswith(prefix)}


def nav_items() -> list[dict]:
    """The signed-in user's menu: links, and groups holding `children` (a group is active when one child is)."""
    if not current_user.is_authenticated:
        return []
    endpoint = request.endpoint or ""
    menu = []
    for entry in MENUS.get(current_user.role, (HOME,)):
        if len(entry) == 3:
            menu.append(_link(entry, endpoint))
        elif len(entry[1]) == 1:  # the task's name, until the task has more than one page
            menu.append(dict(_link(entry[1][0], endpoint), label=entry[0]))
        else:
            children = [_link(child, endpoint) for child in entry[1]]
            menu.append({"label": entry[0], "children": children, "active": any(c["active"] for c in children)})
    return menu


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
    from .access import may
    from .once import new_token

    # `may('endpoint')`: whether the user's role passes the roles the route declares. A template asks it before
    # it shows a link, a button or a form, so that what it shows and what the server allows cannot drift apart.
    app.jinja_env.globals.update(nav_items=nav_items, RISK_LABELS=RISK_LABELS, HISTORY_FLAGS=HISTORY_FLAGS,
                                 once_token=new_token, may=may)
    # Templates name a status by its member (CampaignStatus.DRAWN), never by its text, so a typo fails loudly.
    app.jinja_env.globals.update({cls.__name__: cls for cls in Labelled.__subclasses__()})
    app.jinja_env.filters.update(localdate=format_date, number=format_number, yesno=yes_no)
