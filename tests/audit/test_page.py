"""The city admin's page of the record: searched by who, what, when and which object, newest
first, a page at a time; bad input is a message; only the city admin gets in."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from lms.audit import services as audit
from lms.audit.models import AuditEntry
from lms.auth.models import Role
from lms.extensions import db
from lms.staff import services as staff


def entry(at: datetime, action: str, who, obj=None, **values) -> AuditEntry:
    """An entry written at ``at`` (UTC), straight into the table."""
    row = AuditEntry(at=at, action=action, actor_id=who.id if who else None,
                     actor_name=who.name if who else None, client_address="10.1.1.1",
                     object_type=obj.__tablename__ if obj else None,
                     object_id=obj.id if obj else None,
                     object_label=audit.label_of(obj) if obj else None, **values)
    db.session.add(row)
    db.session.flush()
    return row


@pytest.fixture
def admin(client, people, login_as):
    login_as(people.city_admin)
    return people.city_admin


def rows(html: str) -> list[str]:
    """The table's rows, as text between <tr> tags (the header first)."""
    return [row.split("</tr>")[0] for row in html.split("<tr>")[2:]]


def test_newest_first_with_who_what_and_which_object(client, admin, people, orgs):
    staff.reset_password(people.unit_reviewer, people.learner)
    staff.grant_role(admin, people.learner, Role.provider, orgs.provider)
    html = client.get("/audit/").get_data(as_text=True)
    granted, reset = rows(html)[:2]
    assert "授予角色" in granted and "孙丽" in granted and "市人社局管理员" in granted
    assert "角色：培训机构管理员" in granted and f"机构：{orgs.provider.name}" in granted
    assert "重置密码" in reset and "王芳" in reset and "单位审核员" in reset
    assert orgs.unit.name in reset and f"张伟（{people.learner.masked_id_number}）" in reset
    assert people.learner.id_number not in html


def test_searching_by_name_masked_id_action_object_and_dates(client, admin, people, orgs,
                                                           course):
    first = datetime(2026, 3, 1, 15, 30, tzinfo=UTC)  # 23:30 on 1 March in Weihai
    second = datetime(2026, 3, 1, 16, 30, tzinfo=UTC)  # 00:30 on 2 March in Weihai
    entry(first, "course.publish", people.city_admin, course)
    entry(second, "staff.reset_password", people.unit_reviewer, people.learner)
    entry(second, "question.create", people.exam_admin)

    def found(**query) -> list[str]:
        response = client.get("/audit/", query_string=query)
        assert response.status_code == 200
        return [r for r in rows(response.get_data(as_text=True)) if "data-label" in r]

    assert len(found()) == 3
    assert ["王芳" in r for r in found(who="王")] == [True]
    masked = people.unit_reviewer.masked_id_number
    assert ["重置密码" in r for r in found(who=masked)] == [True]
    assert len(found(who=masked[:4] + "****" + masked[-4:])) == 1
    assert ["发布课程" in r for r in found(action="course.publish")] == [True]
    assert len(found(object_type="courses", object_id=course.id)) == 1
    assert len(found(object_type="users")) == 1
    assert ["发布课程" in r for r in found(end="2026-03-01")] == [True]
    assert len(found(start="2026-03-02", end="2026-03-02")) == 2
    assert found(start="2026-03-03") == []
    assert len(found(actor=people.exam_admin.id)) == 1
    assert "只看编号为" in client.get(f"/audit/?actor={people.exam_admin.id}").get_data(
        as_text=True)


def test_a_page_at_a_time(client, admin, people, monkeypatch):
    monkeypatch.setattr(audit, "PAGE_SIZE", 2)
    for minute in range(5):
        entry(datetime(2026, 5, 1, 8, minute, tzinfo=UTC), "role.grant", people.city_admin,
              reason=f"第{minute}条")
    first = client.get("/audit/?action=role.grant").get_data(as_text=True)
    assert "第4条" in first and "第3条" in first and "第2条" not in first
    assert "第 1 / 3 页" in first and "action=role.grant" in first.split("下一页")[0]
    last = client.get("/audit/?action=role.grant&page=3").get_data(as_text=True)
    assert "第0条" in last and "第1条" not in last
    assert "第0条" in client.get("/audit/?action=role.grant&page=99").get_data(as_text=True)


@pytest.mark.parametrize("query, message", [
    ({"start": "2026-02-30"}, "请按“年-月-日”填写日期"),
    ({"end": "yesterday"}, "请按“年-月-日”填写日期"),
    ({"start": "2026-03-02", "end": "2026-03-01"}, "截止日期不能早于起始日期"),
    ({"start": "0001-01-01"}, "日期超出范围"),
    ({"end": "9999-12-31"}, "日期超出范围"),
    ({"action": "course.fly"}, "请从列表中选择"),
    ({"object_type": "passwords"}, "请从列表中选择"),
    ({"object_id": "abc"}, "请输入数字编号"),
    ({"object_id": "99999999999999999999"}, "编号不正确"),
    ({"object_id": "-1"}, "编号不正确"),
    ({"actor": "1e9"}, "请输入数字编号"),
    ({"actor": "9" * 400}, "编号不正确"),
    ({"object_id": "-" + "9" * 400}, "编号不正确"),
    ({"object_id": "sNaN"}, "请输入数字编号"),
    ({"who": "x" * 51}, "最多 50 个字"),
    ({"page": "x"}, None),
])
def test_bad_input_is_a_message_never_an_error(client, admin, query, message):
    response = client.get("/audit/", query_string=query)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    if message:
        assert message in html and "没有符合条件的记录" not in html
    else:
        assert "没有符合条件的记录" in html or "data-label" in html


def test_a_full_id_number_is_refused_and_not_written_back(client, admin, people):
    number = people.learner.id_number
    response = client.get("/audit/", query_string={"who": number, "action": "role.grant"})
    assert response.status_code == 302 and number not in response.location
    assert "action=role.grant" in response.location
    html = client.get(response.location).get_data(as_text=True)
    assert "请勿输入完整身份证号" in html and number not in html


def test_only_the_city_admin_sees_it_in_the_menu(client, people, login_as):
    login_as(people.unit_reviewer)
    assert "/audit/" not in client.get("/home").get_data(as_text=True)
    client.submit("/logout")
    login_as(people.city_admin)
    assert 'href="/audit/"' in client.get("/home").get_data(as_text=True)


def test_the_page_in_english(client, admin, people):
    staff.reset_password(admin, people.learner)
    client.get("/language/en")
    html = client.get("/audit/").get_data(as_text=True)
    assert "Audit log" in html and '<option value="staff.reset_password">Reset password' in html
    assert "Reset password</td>" in html and "市人社局管理员" in html  # the label as recorded
    html = client.get("/audit/?start=nonsense").get_data(as_text=True)
    assert "Enter the date as year-month-day" in html
