"""Self-registration, and activation by the unit's own reviewer only."""

from datetime import timedelta

import sqlalchemy as sa

from lms.audit.models import AuditEntry
from lms.auth.models import AccountState, Role, User
from lms.db import utcnow
from lms.extensions import db
from lms.orgs.models import TitleSeries
from tests.factories import id_number, make_user


def registration(orgs, **overrides):
    form = {
        "id_number": id_number(),
        "name": "新同事",
        "phone": "138 0631 1234",
        "unit_id": orgs.unit.id,
        "title_series_id": 0,
        "password": "Correct4horse",
        "confirm": "Correct4horse",
    }
    return {**form, **overrides}


def test_learner_registers_and_waits_for_the_unit(client, orgs):
    form = registration(orgs)
    response = client.submit("/register", form, follow_redirects=True)
    assert "请等待所在单位审核激活" in response.get_data(as_text=True)
    user = db.session.scalar(sa.select(User).where(User.id_number == form["id_number"]))
    assert user.state is AccountState.pending
    assert user.phone == "13806311234"
    assert user.has_role(Role.learner) and user.unit == orgs.unit


def test_registration_with_lower_case_x_is_stored_upper_case(client, orgs):
    form = registration(orgs, id_number="11010519491231002x")
    client.submit("/register", form)
    assert db.session.scalar(sa.select(User).where(User.id_number == "11010519491231002X"))


def test_bad_registrations_say_what_is_wrong_and_create_nothing(client, orgs, people):
    cases = [
        ({"id_number": "110105194912310021"}, "校验位不正确"),
        ({"id_number": "110105194902300021"}, "不存在"),
        ({"id_number": people.learner.id_number}, "该身份证号已在"),
        ({"password": "abcdefgh", "confirm": "abcdefgh"}, "字母和数字"),
        ({"confirm": "Other4horse"}, "两次输入的密码不一致"),
        ({"phone": "12345"}, "11 位手机号码"),
        ({"unit_id": orgs.provider.id}, None),  # not a unit: not among the choices
        ({"name": ""}, "请输入姓名"),
    ]
    before = db.session.scalar(sa.select(sa.func.count()).select_from(User))
    for change, message in cases:
        response = client.submit("/register", registration(orgs, **change))
        assert response.status_code == 200, change
        if message:
            assert message in response.get_data(as_text=True), change
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == before


def test_unit_reviewer_activates_a_registration(client, people, login_as):
    login_as(people.unit_reviewer)
    page = client.get(f"/staff/units/{people.pending.unit_id}").get_data(as_text=True)
    assert "李娜" in page

    response = client.submit(f"/staff/users/{people.pending.id}/activate")
    assert response.status_code == 302
    db.session.refresh(people.pending)
    assert people.pending.state is AccountState.active
    assert people.pending.reviewed_by_id == people.unit_reviewer.id

    # A second click changes nothing.
    client.submit(f"/staff/users/{people.pending.id}/activate")
    db.session.refresh(people.pending)
    assert people.pending.reviewed_by_id == people.unit_reviewer.id


def test_reviewer_of_another_unit_cannot_activate(client, people, login_as):
    login_as(people.other_unit_reviewer)
    assert client.submit(f"/staff/users/{people.pending.id}/activate").status_code == 403
    assert client.get(f"/staff/units/{people.pending.unit_id}").status_code == 403
    db.session.refresh(people.pending)
    assert people.pending.state is AccountState.pending


def test_the_units_own_reviewer_sees_a_pending_registration_in_full(client, people, login_as):
    """Only the unit's own reviewer, only while pending: the city admin, the members' list
    and every other state show the number masked."""
    people.pending.title_series = db.session.scalar(sa.select(TitleSeries).limit(1))
    db.session.commit()
    login_as(people.unit_reviewer)
    response = client.get(f"/staff/units/{people.pending.unit_id}")
    page = response.get_data(as_text=True)
    assert people.pending.id_number in page and people.pending.phone in page
    assert people.pending.title_series.name in page
    assert people.learner.id_number not in page and people.learner.masked_id_number in page
    assert response.headers["Cache-Control"] == "no-store"
    client.submit("/logout")

    login_as(people.city_admin)
    page = client.get(f"/staff/units/{people.pending.unit_id}").get_data(as_text=True)
    assert people.pending.id_number not in page and people.pending.masked_id_number in page


def test_a_refusal_needs_a_reason_and_frees_the_number(client, orgs, people, login_as):
    login_as(people.unit_reviewer)
    response = client.submit(f"/staff/users/{people.pending.id}/reject", {"reason": "  "},
                             follow_redirects=True)
    assert "请填写驳回原因" in response.get_data(as_text=True)
    db.session.refresh(people.pending)
    assert people.pending.state is AccountState.pending

    client.submit(f"/staff/users/{people.pending.id}/reject", {"reason": "非本单位职工"})
    db.session.refresh(people.pending)
    assert people.pending.state is AccountState.refused
    assert people.pending.refusal_reason == "非本单位职工"
    assert people.pending.reviewed_by_id == people.unit_reviewer.id
    entry = db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert (entry.action, entry.reason) == ("registration.reject", "非本单位职工")
    client.submit("/logout")

    # The real owner registers the number now; the refused row stays on record.
    form = registration(orgs, id_number=people.pending.id_number, name="真李娜")
    response = client.submit("/register", form, follow_redirects=True)
    assert "请等待所在单位审核激活" in response.get_data(as_text=True)
    rows = db.session.scalars(
        sa.select(User).where(User.id_number == people.pending.id_number).order_by(User.id)
    ).all()
    assert [(u.name, u.state) for u in rows] == [
        ("李娜", AccountState.refused), ("真李娜", AccountState.pending)]
    # ...and holds it: a third registration is refused.
    response = client.submit("/register", registration(orgs, id_number=form["id_number"]))
    assert "该身份证号已在" in response.get_data(as_text=True)


def test_a_refused_person_logging_in_is_told_why(client, people, login_as):
    login_as(people.unit_reviewer)
    client.submit(f"/staff/users/{people.pending.id}/reject", {"reason": "身份证号与本人不符"})
    client.submit("/logout")
    html = client.submit(
        "/login", {"id_number": people.pending.id_number, "password": "Correct4horse"}
    ).get_data(as_text=True)
    assert "注册申请未通过" in html and "身份证号与本人不符" in html
    assert "/logout" not in html  # not logged in


def test_activated_learner_can_log_in_and_sees_who_activated_it(client, orgs, people, login_as):
    login_as(people.unit_reviewer)
    client.submit(f"/staff/users/{people.pending.id}/activate")
    client.submit("/logout")
    login_as(people.pending)
    home = client.get("/home").get_data(as_text=True)
    assert "您好，李娜" in home
    assert f"您的账号由 {orgs.unit.name} 的 王芳 审核开通" in home
    account = client.get("/account").get_data(as_text=True)
    assert f"{orgs.unit.name} · 王芳" in account
    # Said at the first login only.
    client.submit("/logout")
    login_as(people.pending)
    assert "审核开通" not in client.get("/home").get_data(as_text=True)


def test_reset_password_gives_a_one_time_password(client, people, login_as):
    login_as(people.learner)
    old_cookie = client.get_cookie("lms_session").value
    reviewer = client.application.test_client()
    login_as(people.unit_reviewer, browser=reviewer)
    html = reviewer.submit(f"/staff/users/{people.learner.id}/reset-password").get_data(
        as_text=True
    )
    password = html.split('class="password">')[1].split("<")[0]
    # The learner's old sessions are gone; the new password works once and must be changed.
    stale = client.application.test_client()
    stale.set_cookie("lms_session", old_cookie)
    assert stale.get("/home").status_code == 302
    fresh = client.application.test_client()
    login_as(people.learner, password=password, browser=fresh)
    assert fresh.get("/home").location.endswith("/account/password")


def test_already_registered_says_whom_the_real_owner_contacts(client, orgs, people):
    """The unit holding the number and its reviewers, and that a city admin can release it;
    nothing about the person who registered it."""
    form = registration(orgs, id_number=people.pending.id_number, unit_id=orgs.other_unit.id)
    html = client.submit("/register", form).get_data(as_text=True)
    assert f"该身份证号已在 {orgs.unit.name}（审核员：王芳） 注册" in html
    assert "市人社局管理员可以释放该身份证号" in html
    assert "李娜" not in html and people.pending.phone not in html


def test_a_city_admin_releases_a_number_registered_by_someone_else(
    client, orgs, people, login_as
):
    """The squatter's account is disabled and keeps its records; the number is free for its
    real owner; the release is audited with its reason."""
    squatter = people.learner
    session = client.application.test_client()
    login_as(squatter, browser=session)
    login_as(people.city_admin)
    response = client.submit(f"/staff/accounts/{squatter.id}/release", {"reason": ""})
    assert "请填写释放原因" in response.get_data(as_text=True)
    db.session.refresh(squatter)
    assert squatter.state is AccountState.active

    response = client.submit(f"/staff/accounts/{squatter.id}/release",
                             {"reason": "本人持身份证到场核实，系他人冒用"})
    assert response.status_code == 302
    db.session.refresh(squatter)
    assert squatter.state is AccountState.disabled and squatter.id_number_released_at
    assert squatter.has_role(Role.learner)  # the account and its records stay
    assert session.get("/home").status_code == 302  # logged out
    entry = db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert (entry.action, entry.object_id, entry.reason) == (
        "account.release", squatter.id, "本人持身份证到场核实，系他人冒用")
    # Released once: nothing more to release.
    assert client.submit(f"/staff/accounts/{squatter.id}/release",
                         {"reason": "再次"}).status_code == 403
    client.submit("/logout")

    form = registration(orgs, id_number=squatter.id_number, name="真张伟")
    response = client.submit("/register", form, follow_redirects=True)
    assert "请等待所在单位审核激活" in response.get_data(as_text=True)


def test_only_a_city_admin_releases_a_number(client, people, login_as):
    login_as(people.unit_reviewer)
    response = client.submit(f"/staff/accounts/{people.learner.id}/release", {"reason": "冒用"})
    assert response.status_code == 403
    db.session.refresh(people.learner)
    assert people.learner.holds_id_number


def test_registrations_left_pending_too_long_expire(app, client, orgs, people):
    """``lms user expire-registrations`` refuses what waited over LMS_REGISTRATION_EXPIRE_DAYS
    days (reason 逾期未审核, recorded as the system's), so the number is free again; newer
    registrations wait on."""
    assert app.config["REGISTRATION_EXPIRE_DAYS"] == 30
    stale = people.pending
    stale.created_at = utcnow() - timedelta(days=30, minutes=1)
    fresh = make_user(Role.learner, unit=orgs.unit, state=AccountState.pending)
    fresh.created_at = utcnow() - timedelta(days=29, hours=23)
    db.session.commit()

    result = app.test_cli_runner().invoke(args=["user", "expire-registrations"])
    assert result.exit_code == 0, result.output
    assert "1 registrations pending for over 30 days refused" in result.output
    db.session.expire_all()
    assert (stale.state, stale.refusal_reason) == (AccountState.refused, "逾期未审核")
    assert fresh.state is AccountState.pending
    entry = db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert (entry.action, entry.object_id, entry.actor_id, entry.reason) == (
        "registration.reject", stale.id, None, "逾期未审核")

    html = client.submit(
        "/login", {"id_number": stale.id_number, "password": "Correct4horse"}
    ).get_data(as_text=True)
    assert "逾期未审核" in html
    response = client.submit("/register", registration(orgs, id_number=stale.id_number),
                             follow_redirects=True)
    assert "请等待所在单位审核激活" in response.get_data(as_text=True)


def test_the_unit_is_chosen_never_preselected(client, orgs):
    """The picker starts at 请选择, grouped by district; sent unchosen, the form says so."""
    html = client.get("/register").get_data(as_text=True)
    picker = html.split('id="unit_id"')[1].split("</select>")[0]
    first = picker.split("<option")[1]
    # A browser shows the first option when none is selected: 请选择, not a unit.
    assert 'value="0"' in first and "请选择" in first and "selected" not in picker
    assert "<optgroup" in picker and 'data-filter-for="unit_id"' in html
    before = db.session.scalar(sa.select(sa.func.count()).select_from(User))
    for unit_id in (0, None):
        form = registration(orgs, unit_id=unit_id)
        if unit_id is None:
            del form["unit_id"]
        response = client.submit("/register", form)
        assert "请选择工作单位" in response.get_data(as_text=True), unit_id
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == before
