"""City admins open staff accounts with a scoped role, grant and revoke roles."""

import re

import sqlalchemy as sa

from lms.auth.models import Role, RoleAssignment, User
from lms.extensions import db
from tests.factories import id_number


def test_city_admin_opens_a_reviewer_account_with_a_one_time_password(
    client, people, orgs, login_as
):
    login_as(people.city_admin)
    number = id_number()
    html = client.submit(
        "/staff/accounts/new",
        {"id_number": number, "name": "吴审核", "phone": "", "role": "department_reviewer",
         "org_id": orgs.department.id, "unit_id": 0},
    ).get_data(as_text=True)
    assert "账号已创建" in html
    password = re.search(r'class="password">([^<]+)<', html).group(1)
    user = db.session.scalar(sa.select(User).where(User.id_number == number))
    assert user.has_role(Role.department_reviewer, orgs.department)
    assert user.must_change_password

    staff = client.application.test_client()
    response = staff.submit("/login", {"id_number": number, "password": password})
    assert response.location.endswith("/account/password")


def test_scope_must_fit_the_role(client, people, orgs, login_as):
    login_as(people.city_admin)
    cases = [
        ("unit_reviewer", orgs.department.id, "须选择一个对应的机构"),
        ("district_reviewer", 0, "须选择一个对应的机构"),
        ("exam_admin", orgs.unit.id, "不限定机构"),
    ]
    for role, org_id, message in cases:
        html = client.submit(
            "/staff/accounts/new",
            {"id_number": id_number(), "name": "某人", "role": role, "org_id": org_id,
             "unit_id": 0},
        ).get_data(as_text=True)
        assert message in html, role


def test_a_refused_account_leaves_nothing_behind(client, people, login_as):
    login_as(people.city_admin)
    number = id_number()
    html = client.submit(
        "/staff/accounts/new",
        {"id_number": number, "name": "某人", "role": "learner", "org_id": 0, "unit_id": 0},
    ).get_data(as_text=True)
    assert "须先有所在单位" in html
    assert db.session.scalar(sa.select(User).where(User.id_number == number)) is None


def test_unit_reviewer_cannot_reset_a_colleague_reviewers_password(
    client, people, orgs, login_as
):
    colleague = people.other_unit_reviewer
    colleague.unit = orgs.unit  # works in the same unit, reviews another
    db.session.flush()
    login_as(people.unit_reviewer)
    assert client.submit(f"/staff/users/{colleague.id}/reset-password").status_code == 403
    roster = client.get(f"/staff/units/{orgs.unit.id}").get_data(as_text=True)
    colleague_row = roster.split(colleague.name)[1].split("</tr>")[0]
    assert "重置密码" not in colleague_row


def test_existing_id_number_is_refused(client, people, login_as):
    login_as(people.city_admin)
    html = client.submit(
        "/staff/accounts/new",
        {"id_number": people.learner.id_number, "name": "某人", "role": "exam_admin",
         "org_id": 0, "unit_id": 0},
    ).get_data(as_text=True)
    assert "已有账号" in html


def test_grant_and_revoke_a_role(client, people, orgs, login_as):
    login_as(people.city_admin)
    learner = people.learner
    client.submit(
        f"/staff/accounts/{learner.id}", {"role": "unit_reviewer", "org_id": orgs.unit.id}
    )
    # Granting twice is harmless.
    client.submit(
        f"/staff/accounts/{learner.id}", {"role": "unit_reviewer", "org_id": orgs.unit.id}
    )
    db.session.refresh(learner)
    grants = [a for a in learner.roles if a.role is Role.unit_reviewer]
    assert len(grants) == 1

    client.submit(f"/staff/accounts/{learner.id}/roles/{grants[0].id}/revoke")
    db.session.expire_all()
    assert not db.session.get(User, learner.id).has_role(Role.unit_reviewer)


def test_city_admin_cannot_revoke_own_admin_role(client, people, login_as):
    login_as(people.city_admin)
    grant = people.city_admin.roles[0]
    html = client.submit(
        f"/staff/accounts/{people.city_admin.id}/roles/{grant.id}/revoke", follow_redirects=True
    ).get_data(as_text=True)
    assert "不能撤销自己" in html
    assert db.session.get(RoleAssignment, grant.id) is not None


def test_database_refuses_a_scoped_role_without_its_organisation(database, people):
    import pytest

    with pytest.raises(sa.exc.IntegrityError), database.begin_nested():
        database.add(RoleAssignment(user=people.learner, role=Role.unit_reviewer, org=None))
        database.flush()
