"""The frame of every page: the menu each role sees, grouped by task, and the framework served by the app itself."""
from __future__ import annotations

import re

import pytest

from coordinator.templating import MENUS

TOP_LEVEL = r'<li class="nav-item(?: dropdown)?">\s*<a class="nav-link[^"]*"[^>]*>([^<]+)</a>'


def menu(html: str) -> tuple[list[str], list[str]]:
    """The top-level entries of the main menu and every link in it (the user's own menu left out)."""
    main = html.split('<ul class="navbar-nav me-auto">', 1)[1].split("</ul>\n      <ul", 1)[0]
    return re.findall(TOP_LEVEL, main), re.findall(r'href="(/[^"]*)"', main)


@pytest.mark.parametrize("role, entries", [
    ("office", ["工作台", "年度工作", "名录库", "抽查", "结果与统计", "系统"]),
    ("admin", ["工作台", "本部门", "随机抽查", "结果与统计", "查询"]),
    ("officer", ["工作台", "检查任务", "查询"]),
])
def test_each_role_sees_a_short_menu_grouped_by_task(client, as_role, role, entries):
    as_role(role)
    top, links = menu(client.get("/").get_data(as_text=True))
    assert top == entries  # one row: at most six entries, the rest in drop-downs
    assert len(links) == len(set(links))  # no page twice
    for link in links:  # every page the menu offers opens for the role it is offered to
        assert client.get(link).status_code == 200, (role, link)


def test_the_office_menu_holds_the_system_pages_and_the_others_do_not(client, as_role):
    as_role("office")
    _, office = menu(client.get("/").get_data(as_text=True))
    assert {"/admin/users", "/admin/departments", "/audit/", "/stats/dashboard"} <= set(office)
    client.post("/logout")
    as_role("admin")
    _, admin = menu(client.get("/").get_data(as_text=True))
    assert not {"/admin/users", "/admin/departments", "/audit/", "/stats/dashboard"} & set(admin)


def test_the_active_group_is_marked(client, as_role):
    as_role("office")
    html = client.get("/inspectors").get_data(as_text=True)
    assert re.search(r'<a class="nav-link dropdown-toggle active"[^>]*>名录库</a>', html)
    assert re.search(r'<a class="dropdown-item active" href="/inspectors">执法检查人员</a>', html)


def test_every_menu_names_only_real_pages(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    for entries in MENUS.values():
        for entry in entries:
            for target, _label, _prefix in ([entry] if len(entry) == 3 else entry[1]):
                assert target in endpoints


def test_bootstrap_is_served_by_the_app_with_its_licence(client):
    html = client.get("/login").get_data(as_text=True)
    assert "/static/vendor/bootstrap/bootstrap.min.css" in html
    assert "/static/vendor/bootstrap/bootstrap.bundle.min.js" in html
    assert not re.search(r'(?:src|href)="(?:https?:)?//', html)  # no CDN, no internet asset
    for name in ("bootstrap.min.css", "bootstrap.bundle.min.js", "LICENSE"):
        response = client.get(f"/static/vendor/bootstrap/{name}")
        assert response.status_code == 200
        if name == "LICENSE":
            assert b"MIT License" in response.data
        response.close()


def test_no_template_compares_a_stored_state_to_its_text():
    """A template asks the enum (Phase.DRAWN, MonthlyPlanStatus.PROPOSED) or the model, never the English text a
    state happens to be stored as: `phase == 'drawn'` keeps working silently wrong after a rename."""
    import enum
    import pathlib

    from coordinator import states

    values = {member.value for cls in vars(states).values()
              if isinstance(cls, type) and issubclass(cls, enum.Enum) and cls.__module__ == states.__name__
              for member in cls}
    literal = re.compile(r"""(?:==|!=)\s*['"]([a-z_]+)['"]|['"]([a-z_]+)['"]\s*(?:==|!=)|\.value\s*(?:==|!=|in\b)""")
    root = pathlib.Path(__file__).resolve().parents[2] / "templates"
    found = [f"{path.relative_to(root)}:{number}: {match.group(0)}"
             for path in sorted(root.rglob("*.html"))
             for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
             for match in literal.finditer(line)
             if match.group(1) in values or match.group(2) in values or match.group(0).startswith(".value")]
    assert not found


def test_templates_name_every_state_enum(app):
    from coordinator.states import FollowUpKind, MonthlyPlanStatus, Phase, SeedRule

    names = app.jinja_env.globals
    assert all(names[cls.__name__] is cls for cls in (FollowUpKind, MonthlyPlanStatus, Phase, SeedRule))
