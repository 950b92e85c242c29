"""Log-in and log-out, throttling, the `next` redirect, password changes that end other sessions."""
from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from flask_login import current_user, login_user

from coordinator.auth import throttle
from coordinator.auth.models import LoginThrottle, User
from coordinator.extensions import db
from coordinator.timeutil import now
from tests.conftest import PASSWORD, login

NEW_PASSWORD = "Neues2024pw"


def _path(response) -> str:
    assert response.status_code in (302, 303), response.status_code
    return urlsplit(response.headers["Location"]).path


def _post_login(client, username, password=PASSWORD, next_url=None):
    return client.post("/login", query_string={"next": next_url} if next_url is not None else None,
                       data={"username": username, "password": password})


def _signed_in(client) -> bool:
    response = client.get("/")
    if response.status_code == 200:
        return True
    assert _path(response) == "/login"
    return False


def test_log_in_then_out(client, make_user):
    user = make_user("officer", "yjj")
    page = client.get("/login")
    assert page.status_code == 200 and "登录联查通" in page.get_data(as_text=True)
    assert not _signed_in(client)

    assert _path(_post_login(client, user.username)) == "/"
    home = client.get("/").get_data(as_text=True)
    assert "工作台" in home and "officer用户" in home and "应急管理局" in home

    response = client.post("/logout")
    assert _path(response) == "/login"
    assert "您已安全退出" in client.get("/login").get_data(as_text=True)
    assert not _signed_in(client)


def test_a_signed_in_user_visiting_login_goes_home(client, make_user):
    login(client, make_user("admin", "yjj").username)
    assert _path(client.get("/login")) == "/"


@pytest.mark.parametrize("username", ["admin_yjj", "nobody"])
def test_wrong_password_or_unknown_user_gets_one_message(client, make_user, username):
    make_user("admin", "yjj")
    response = _post_login(client, username, "Wrong1234")
    assert response.status_code == 200
    assert "用户名或密码错误" in response.get_data(as_text=True)
    assert not _signed_in(client)


def _from(client, address: str):
    client.environ_base["REMOTE_ADDR"] = address
    return client


def test_five_failures_make_this_address_wait_not_the_owner(app, client, make_user):
    user = make_user("admin", "yjj")
    stranger = _from(client, "10.0.0.66")
    for attempt in range(5):
        body = _post_login(stranger, user.username, f"Wrong{attempt}xyz").get_data(as_text=True)
        assert "用户名或密码错误" in body
    response = _post_login(stranger, user.username, PASSWORD)
    assert response.status_code == 200 and "分钟后再试" in response.get_data(as_text=True)
    assert not _signed_in(stranger)

    # The owner, at their own desk, is not locked out by the stranger's guesses.
    owner = _from(app.test_client(), "10.0.0.8")
    assert _path(_post_login(owner, user.username)) == "/"

    # Once the wait has run out, the right password works from the stranger's address too, and resets it.
    db.session.execute(sa.update(LoginThrottle).values(next_at=now() - timedelta(seconds=1)))
    db.session.commit()
    assert _path(_post_login(stranger, user.username, PASSWORD)) == "/"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LoginThrottle)) == 0


def test_the_wait_grows_with_each_failure_up_to_a_quarter_hour():
    waits = [throttle.wait_after(n).total_seconds() for n in range(1, 14)]
    assert waits[:4] == [0, 0, 0, 0]
    assert waits[4:8] == [15, 30, 60, 120]
    assert waits == sorted(waits) and max(waits) == 15 * 60


def test_four_failures_then_success_resets_the_count(client, make_user):
    user = make_user("admin", "yjj")
    for _ in range(4):
        _post_login(client, user.username, "Wrong1234")
    login(client, user.username)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LoginThrottle)) == 0


def test_a_disabled_account_is_refused(client, make_user):
    user = make_user("officer", "scj")
    user.active = False
    db.session.commit()
    response = _post_login(client, user.username)
    assert response.status_code == 200
    assert "该账号已停用" in response.get_data(as_text=True)
    assert not _signed_in(client)


def test_disabling_an_account_ends_its_open_session(client, make_user):
    user = make_user("officer", "scj")
    login(client, user.username)
    assert _signed_in(client)
    user.active = False
    db.session.commit()
    assert not _signed_in(client)


def test_next_leads_to_a_local_page(client, make_user):
    user = make_user("officer", "yjj")
    assert _path(client.get("/items/")) == "/login"
    response = _post_login(client, user.username, next_url="/items/?q=化学品")
    location = urlsplit(response.headers["Location"])
    assert (location.netloc, location.path) in {("", "/items/"), ("localhost", "/items/")}
    assert "q=" in location.query


@pytest.mark.parametrize("target", [
    "https://evil.example/phish",
    "//evil.example/phish",
    "///evil.example/phish",
    "/\\evil.example/phish",
    "javascript:alert(1)",
    "items/",
])
def test_next_never_leaves_the_site(client, make_user, target):
    user = make_user("officer", "yjj")
    response = _post_login(client, user.username, next_url=target)
    assert response.status_code in (302, 303)
    location = response.headers["Location"]
    assert urlsplit(location).netloc in ("", "localhost"), location
    assert urlsplit(location).path == "/", location
    assert _signed_in(client)


def _change_password(client, current, new, confirm=None):
    return client.post("/account/password", data={"current": current, "new": new,
                                                  "confirm": new if confirm is None else confirm})


def test_password_change_requires_the_current_password(client, make_user):
    user = make_user("admin", "yjj")
    login(client, user.username)
    response = _change_password(client, "NotMine123", NEW_PASSWORD)
    assert response.status_code == 200
    assert "当前密码不正确" in response.get_data(as_text=True)
    db.session.refresh(user)
    assert user.check_password(PASSWORD)


@pytest.mark.parametrize(("new", "confirm", "message"), [
    ("short1", None, "密码强度不足：至少8位，且同时包含字母和数字"),
    ("onlyletters", None, "密码强度不足"),
    ("1234567890", None, "密码强度不足"),
    (NEW_PASSWORD, "Different99", "两次输入的新密码不一致"),
])
def test_password_change_enforces_the_policy(client, make_user, new, confirm, message):
    user = make_user("admin", "yjj")
    login(client, user.username)
    response = _change_password(client, PASSWORD, new, confirm)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    db.session.refresh(user)
    assert user.check_password(PASSWORD)


def test_password_change_ends_the_other_sessions_only(app, client, make_user):
    user = make_user("officer", "yjj")
    laptop, phone = client, app.test_client()
    login(laptop, user.username)
    login(phone, user.username)
    assert _signed_in(laptop) and _signed_in(phone)

    response = _change_password(laptop, PASSWORD, NEW_PASSWORD)
    assert _path(response) == "/"
    assert "其他设备上的登录已失效" in laptop.get("/").get_data(as_text=True)

    assert not _signed_in(phone)
    assert _signed_in(laptop)
    # The old password is gone, the new one works.
    assert "用户名或密码错误" in _post_login(phone, user.username, PASSWORD).get_data(as_text=True)
    login(phone, user.username, NEW_PASSWORD)
    assert _signed_in(phone)


def test_the_request_that_changes_the_password_still_knows_its_user(app, make_user):
    user = make_user("admin", "yjj")
    data = {"current": PASSWORD, "new": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    with app.test_request_context("/account/password", method="POST", data=data):
        login_user(user)
        response = app.view_functions["auth.change_password"]()
        assert response.status_code in (302, 303)
        assert current_user.id == user.id  # a RecursionError if the request's user became the proxy itself


def _user_form(user: User, **changes) -> dict:
    data = {"username": user.username, "display_name": user.display_name, "role": user.role,
            "department_id": user.department_id or 0, "password": "", "active": "y"}
    data.update(changes)
    return data


def test_office_resetting_a_password_ends_that_users_sessions(app, client, make_user):
    office = make_user("office", None)
    officer = make_user("officer", "scj")
    officers_browser = app.test_client()
    login(client, office.username)
    login(officers_browser, officer.username)

    # Editing the account without a new password leaves the session alone ...
    response = client.post(f"/admin/users/{officer.id}", data=_user_form(officer, display_name="王五"))
    assert _path(response) == "/admin/users"
    assert _signed_in(officers_browser)

    # ... a reset ends it, and the office stays signed in.
    db.session.refresh(officer)
    response = client.post(f"/admin/users/{officer.id}", data=_user_form(officer, password=NEW_PASSWORD))
    assert _path(response) == "/admin/users"
    assert not _signed_in(officers_browser)
    assert _signed_in(client)
    login(officers_browser, officer.username, NEW_PASSWORD)
    assert "王五" in officers_browser.get("/").get_data(as_text=True)


def test_office_cannot_lock_itself_out(client, make_user):
    office = make_user("office", None)
    login(client, office.username)
    response = client.post(f"/admin/users/{office.id}", data=_user_form(office, active=""))
    assert response.status_code == 200
    assert "不能停用自己的账号" in response.get_data(as_text=True)
    db.session.refresh(office)
    assert office.active


def _copy_cookies(source, target, *names: str) -> None:
    for name in names:
        cookie = source.get_cookie(name)
        assert cookie is not None, name
        target.set_cookie(name, cookie.value)


def test_log_out_ends_the_session_on_the_server(app, client, make_user):
    """A session cookie copied before log-out (from a shared computer, a proxy log) is worthless after it."""
    user = make_user("officer", "yjj")
    login(client, user.username)
    thief = app.test_client()
    _copy_cookies(client, thief, "session")
    assert _signed_in(thief)
    client.post("/logout")
    assert not _signed_in(thief)


def test_log_out_ends_the_remember_me_cookie_too(app, client, make_user):
    user = make_user("officer", "yjj")
    client.post("/login", data={"username": user.username, "password": PASSWORD, "remember": "y"})
    thief = app.test_client()
    _copy_cookies(client, thief, "remember_token")  # the seven-day cookie alone signs in ...
    assert _signed_in(thief)
    client.post("/logout")
    fresh = app.test_client()
    _copy_cookies(thief, fresh, "remember_token")
    assert not _signed_in(fresh)  # ... until its owner logs out


def test_disabling_an_account_ends_its_sessions_for_good(app, client, make_user):
    """Re-enabling the account later does not bring back the sessions it had when it was disabled."""
    office, officer = make_user("office", None), make_user("officer", "scj")
    officers_browser = app.test_client()
    login(officers_browser, officer.username)
    login(client, office.username)
    assert _path(client.post(f"/admin/users/{officer.id}", data=_user_form(officer, active=""))) == "/admin/users"
    assert not _signed_in(officers_browser)
    db.session.refresh(officer)
    assert _path(client.post(f"/admin/users/{officer.id}", data=_user_form(officer))) == "/admin/users"
    db.session.refresh(officer)
    assert officer.active
    assert not _signed_in(officers_browser)


def test_behind_a_trusted_proxy_the_browsers_address_is_the_one_seen(tmp_path, monkeypatch):
    from coordinator import create_app

    monkeypatch.setenv("TRUSTED_PROXIES", "1")
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'p.db'}",
                      "UPLOAD_FOLDER": str(tmp_path / "up")})
    seen = {}

    @app.get("/_address")
    def _address():
        from flask import request

        seen["address"] = request.remote_addr
        return ""

    app.test_client().get("/_address", headers={"X-Forwarded-For": "192.168.7.7"}, environ_base={"REMOTE_ADDR": "10.0.0.1"})
    assert seen["address"] == "192.168.7.7"
