"""Logging in with the ID number, throttling, server-side sessions, first-login password change."""

from datetime import timedelta

import sqlalchemy as sa

from lms.auth import throttle
from lms.auth.models import AccountState, LoginSession, LoginThrottle, Role
from lms.db import utcnow
from lms.extensions import db
from tests.factories import PASSWORD, make_user


def login(client, id_number, password=PASSWORD, **kwargs):
    return client.submit("/login", {"id_number": id_number, "password": password}, **kwargs)


def test_login_page_is_in_chinese(client):
    html = client.get("/login").get_data(as_text=True)
    assert 'lang="zh-CN"' in html
    assert "身份证号" in html and "密码" in html


def test_learner_logs_in_and_sees_masked_id_only(client, people):
    response = login(client, people.learner.id_number, follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "您好，张伟" in html
    assert people.learner.masked_id_number in html
    assert people.learner.id_number not in html


def test_lower_case_x_logs_in(client, orgs):
    user = make_user(unit=orgs.unit)
    user.id_number = "11010519491231002X"
    db.session.flush()
    assert login(client, "11010519491231002x").status_code == 302


def test_wrong_password_gets_the_same_message_as_unknown_account(client, people):
    wrong = login(client, people.learner.id_number, "Wrong4password").get_data(as_text=True)
    unknown = login(client, "110105194912310021", "Wrong4password").get_data(as_text=True)
    assert "身份证号或密码不正确" in wrong
    assert "身份证号或密码不正确" in unknown


def test_pending_and_disabled_accounts_are_told_why(client, people):
    html = login(client, people.pending.id_number).get_data(as_text=True)
    assert "尚未激活" in html
    people.learner.state = AccountState.disabled
    db.session.flush()
    assert "已停用" in login(client, people.learner.id_number).get_data(as_text=True)


def _waits_pass():
    past = utcnow() - timedelta(seconds=1)
    db.session.execute(sa.update(LoginThrottle).values(blocked_until=past))


def test_failures_slow_down_then_lock_the_account_from_this_address(client, people):
    number = people.learner.id_number
    for _ in range(2):
        assert "身份证号或密码不正确" in login(client, number, "Wrong4pw").get_data(as_text=True)
    login(client, number, "Wrong4pw")  # third failure: attempts now wait a few seconds
    html = login(client, number).get_data(as_text=True)  # even the right password
    assert "秒后再试" in html

    pair = throttle.pair_key(number, "127.0.0.1")
    for _ in range(2):  # let the waits pass, fail twice more: locked
        _waits_pass()
        login(client, number, "Wrong4pw")
    row = db.session.get(LoginThrottle, pair, populate_existing=True)
    assert row.failures == 5
    html = login(client, number).get_data(as_text=True)
    assert "已被锁定" in html and "15 分钟" in html

    _waits_pass()  # the lock runs out
    assert login(client, number).status_code == 302
    assert db.session.get(LoginThrottle, pair, populate_existing=True) is None


def test_one_address_guessing_many_accounts_is_locked(client, people, app, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_ADDRESS_SLOW_AFTER", 8)
    monkeypatch.setitem(app.config, "LOGIN_ADDRESS_LOCK_AFTER", 12)
    for n in range(12):
        db.session.execute(sa.update(LoginThrottle).values(blocked_until=None))
        login(client, f"guess{n}", "Wrong4pw")
    html = login(client, people.learner.id_number).get_data(as_text=True)
    assert "已被锁定" in html
    # Another address is not affected.
    other = client.submit(
        "/login",
        {"id_number": people.learner.id_number, "password": PASSWORD},
        environ_base={"REMOTE_ADDR": "10.0.0.9"},
    )
    assert other.status_code == 302


def test_logout_ends_the_session_on_the_server(client, people, login_as):
    login_as(people.learner)
    stolen = client.get_cookie("lms_session").value
    client.submit("/logout")
    assert client.get("/home").status_code == 302

    thief = client.application.test_client()
    thief.set_cookie("lms_session", stolen)
    response = thief.get("/home")
    assert response.status_code == 302 and "/login" in response.location
    assert "请重新登录" in thief.get(response.location).get_data(as_text=True)


def test_anonymous_visitor_is_asked_to_log_in_and_comes_back(client, people):
    response = client.get("/account")
    assert response.location.endswith("/login?next=/account")
    assert "请先登录" in client.get(response.location).get_data(as_text=True)
    back = client.submit(
        response.location, {"id_number": people.learner.id_number, "password": PASSWORD}
    )
    assert back.location.endswith("/account")


def test_logout_everywhere_ends_other_devices(client, new_client, people, login_as):
    phone = login_as(people.learner, browser=new_client())
    login_as(people.learner)
    assert phone.get("/home").status_code == 200
    client.submit("/account/logout-everywhere")
    assert phone.get("/home").status_code == 302
    assert client.get("/home").status_code == 302


def test_idle_session_expires(client, people, login_as):
    login_as(people.learner)
    db.session.execute(
        sa.update(LoginSession).values(last_seen_at=utcnow() - timedelta(minutes=121))
    )
    response = client.get("/home", follow_redirects=True)
    assert "登录已过期或已在其他设备上退出" in response.get_data(as_text=True)


def test_busy_session_still_ends_after_twelve_hours(client, people, login_as):
    login_as(people.learner)
    db.session.execute(
        sa.update(LoginSession).values(created_at=utcnow() - timedelta(hours=12, minutes=1))
    )
    assert client.get("/home").status_code == 302
    assert db.session.scalar(sa.select(LoginSession.ended_at)) is not None


def test_a_busy_session_is_kept_alive(client, people, login_as):
    login_as(people.learner)
    db.session.execute(
        sa.update(LoginSession).values(last_seen_at=utcnow() - timedelta(minutes=100))
    )
    assert client.get("/home").status_code == 200
    seen = db.session.scalar(sa.select(LoginSession.last_seen_at))
    assert utcnow() - seen < timedelta(minutes=1)


def test_session_cookie_is_httponly_and_samesite(client, people):
    response = login(client, people.learner.id_number)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_password_set_by_someone_else_must_be_changed_first(client, orgs, login_as):
    user = make_user(Role.learner, unit=orgs.unit, must_change_password=True)
    login_as(user)
    response = client.get("/home")
    assert response.status_code == 302 and response.location.endswith("/account/password")

    html = client.submit(
        "/account/password",
        {"current": PASSWORD, "password": "short", "confirm": "short"},
    ).get_data(as_text=True)
    assert "至少 8 位" in html

    response = client.submit(
        "/account/password",
        {"current": PASSWORD, "password": "New4password", "confirm": "New4password"},
    )
    assert response.status_code == 302
    assert client.get("/home").status_code == 200
    db.session.refresh(user)
    assert not user.must_change_password


def test_wrong_current_password_is_refused(client, people, login_as):
    login_as(people.learner)
    html = client.submit(
        "/account/password",
        {"current": "Nope4nope", "password": "New4password", "confirm": "New4password"},
    ).get_data(as_text=True)
    assert "当前密码不正确" in html


def test_missing_or_forged_csrf_token_is_refused_in_chinese(client, people):
    missing = client.post(
        "/login", data={"id_number": people.learner.id_number, "password": PASSWORD}
    )
    forged = client.post(
        "/login",
        data={"id_number": people.learner.id_number, "password": PASSWORD, "csrf_token": "x"},
    )
    for response in (missing, forged):
        assert response.status_code == 400
        assert "页面已过期" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LoginSession)) == 0


def test_signed_in_post_without_csrf_token_changes_nothing(client, people, login_as):
    login_as(people.unit_reviewer)
    response = client.post(f"/staff/users/{people.pending.id}/activate")
    assert response.status_code == 400 and "页面已过期" in response.get_data(as_text=True)
    db.session.refresh(people.pending)
    assert people.pending.state is AccountState.pending


def test_next_parameter_cannot_leave_the_site(client, people):
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        response = client.submit(
            f"/login?next={target}",
            {"id_number": people.learner.id_number, "password": PASSWORD},
        )
        assert response.location.endswith("/home")
        client.submit("/logout")
