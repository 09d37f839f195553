"""The unit's view of its staff's year, and each unit's for those who supervise units: sums
(revoked rows skipped), who is staff, sorting and filtering over all of them, the counts, IDs
masked on the page and whole in the unit's export (audited), the scopes of each reviewer, and
query arguments that make no sense."""

from __future__ import annotations

import io
from typing import Any

import flask_login
import openpyxl
import pytest
import sqlalchemy as sa
from werkzeug.exceptions import Forbidden

from lms.audit.models import AuditEntry
from lms.auth.models import AccountState, Role, RoleAssignment
from lms.courses.models import SECONDS_PER_CREDIT_HOUR, Category
from lms.db import utcnow
from lms.extensions import db
from lms.orgs.models import OrgKind
from lms.records import standing
from lms.records.models import LearningRecord, Source
from lms.templating import navigation
from tests.factories import make_org, make_user

H = SECONDS_PER_CREDIT_HOUR
YEAR = 2024
C, E, P = Category.public_compulsory, Category.public_elective, Category.professional


def credit(user: Any, category: Category, hours: float, *, year: int = YEAR,
           revoked: bool = False) -> None:
    record = LearningRecord(user_id=user.id, title="课程", category=category,
                            seconds=int(hours * H), year=year, source=Source.declaration,
                            credited_at=utcnow())
    if revoked:
        record.revoked_at, record.revoke_reason = utcnow(), "重复申报"
    db.session.add(record)
    db.session.flush()


def complete_year(user: Any) -> None:
    credit(user, C, 20)
    credit(user, E, 10)
    credit(user, P, 60)


def table(actor: Any, unit: Any, **query: Any) -> standing.StaffTable:
    return standing.staff_table(actor, unit, standing.StaffQuery(year=YEAR, **query))


def names(result: standing.StaffTable) -> list[str]:
    return [person.name for person in result.page.items]


def test_the_sums_skip_revoked_rows_and_other_years(people, orgs):
    learner = people.learner
    credit(learner, C, 12)
    credit(learner, C, 8)
    credit(learner, E, 10)
    credit(learner, P, 59.5)
    credit(learner, P, 30, revoked=True)  # would complete the year: revoked, so it does not
    credit(learner, P, 30, year=YEAR - 1)
    [person] = table(people.unit_reviewer, orgs.unit).page.items
    assert (person.compulsory, person.elective, person.public, person.professional,
            person.total) == (20 * H, 10 * H, 30 * H, int(59.5 * H), int(89.5 * H))
    assert [r.met for r in person.requirements] == [True, True, True, False, False]
    assert not person.complete
    credit(learner, P, 0.5)
    [person] = table(people.unit_reviewer, orgs.unit).page.items
    assert person.complete and person.total == 90 * H


def test_each_requirement_counts_on_its_own(people, orgs):
    """90 hours of professional courses alone complete nothing: each line has its minimum."""
    credit(people.learner, P, 90)
    result = table(people.unit_reviewer, orgs.unit)
    [person] = result.page.items
    assert person.total == 90 * H and not person.complete
    assert (result.counts.staff, result.counts.complete) == (1, 0)


def test_only_the_units_active_learners_are_staff(people, orgs):
    make_user(Role.learner, unit=orgs.other_unit, name="别单位")
    make_user(Role.learner, unit=orgs.unit, state=AccountState.disabled, name="已停用")
    make_user(Role.unit_reviewer, orgs.unit, unit=orgs.unit, name="只是审核员")
    both = make_user(Role.learner, unit=orgs.unit, name="也是审核员")
    both.roles.append(RoleAssignment(role=Role.unit_reviewer, org=orgs.unit))  # still staff
    db.session.flush()
    result = table(people.city_admin, orgs.unit, sort="name")
    assert sorted(names(result)) == sorted(["张伟", "也是审核员"])
    assert people.pending.name not in names(result)
    assert result.counts.staff == 2


@pytest.fixture
def crowd(people, orgs) -> list[Any]:
    """120 more staff in the unit: staff n has n professional hours, and every tenth a
    complete year."""
    made = []
    for n in range(120):
        person = make_user(Role.learner, unit=orgs.unit, name=f"员工{n:03d}")
        credit(person, P, n + 1)
        if n % 10 == 9:
            credit(person, C, 20)
            credit(person, E, 10)
            credit(person, P, 60)
        made.append(person)
    return made


def test_sorting_and_filtering_run_over_all_the_staff(people, orgs, crowd):
    reviewer = people.unit_reviewer
    by_total = table(reviewer, orgs.unit, sort="total", descending=True)
    assert by_total.page.total == 121 and by_total.page.pages == 3
    assert names(by_total)[:2] == ["员工119", "员工109"]  # 90 + 120, 90 + 110
    last = table(reviewer, orgs.unit, sort="total", descending=True, page=3)
    assert len(names(last)) == 21
    assert names(last)[-1] == "张伟"  # no hours at all: last over all 121, not on page one
    # Completion: the incomplete first, fewest hours first; the complete after them.
    first = table(reviewer, orgs.unit)
    assert names(first)[:2] == ["张伟", "员工000"]
    tail = table(reviewer, orgs.unit, page=3)
    assert [p.complete for p in tail.page.items] == [False] * 9 + [True] * 12
    assert names(tail)[-1] == "员工119"

    complete = table(reviewer, orgs.unit, status="complete", sort="name")
    assert names(complete) == [f"员工{n:03d}" for n in range(9, 120, 10)]
    assert complete.page.total == 12 and complete.page.pages == 1
    incomplete = table(reviewer, orgs.unit, status="incomplete", sort="name", page=2)
    assert incomplete.page.total == 109 and len(incomplete.page.items) == 50
    assert all(not p.complete for p in incomplete.page.items)
    found = table(reviewer, orgs.unit, search="员工11")
    assert sorted(names(found)) == [f"员工{n}" for n in range(110, 120)]
    # The counts are the unit's, whatever the filter.
    for result in (complete, incomplete, found):
        assert (result.counts.staff, result.counts.complete, result.counts.incomplete) == (
            121, 12, 109)


def test_a_search_is_a_name_not_a_pattern(people, orgs):
    make_user(Role.learner, unit=orgs.unit, name="王_%")
    assert names(table(people.unit_reviewer, orgs.unit, search="_%")) == ["王_%"]
    assert names(table(people.unit_reviewer, orgs.unit, search="%")) == ["王_%"]


def test_a_page_past_the_end_is_the_last(people, orgs, crowd):
    result = table(people.unit_reviewer, orgs.unit, status="complete", page=99)
    assert result.page.page == 1 and len(result.page.items) == 12
    result = table(people.unit_reviewer, orgs.unit, page=2**62)
    assert result.page.page == 3


# --- the pages ----------------------------------------------------------------------------------


def test_the_unit_page_masks_id_numbers_and_shows_the_counts(client, people, orgs, login_as):
    complete_year(people.learner)
    other = make_user(Role.learner, unit=orgs.unit, name="刘强")
    outsider = make_user(Role.learner, unit=orgs.other_unit, name="别单位的人")
    login_as(people.unit_reviewer)
    response = client.get(f"/record/units/{orgs.unit.id}?year={YEAR}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert people.learner.masked_id_number in html and other.masked_id_number in html
    assert people.learner.id_number not in html and other.id_number not in html
    assert "别单位的人" not in html and outsider.masked_id_number not in html
    assert "达标 1 人" in html and "未达标 1 人" in html and "共 2 人" in html
    assert '<progress max="100" value="50"' in html
    assert 'data-label="总学时"' in html  # a phone stacks the cells with their labels
    assert "staff.xlsx" in html


def test_a_unit_reviewer_goes_straight_to_their_unit(client, people, orgs, login_as):
    login_as(people.unit_reviewer)
    response = client.get(f"/record/units?year={YEAR}")
    assert response.status_code == 302
    assert response.location.endswith(f"/record/units/{orgs.unit.id}?year={YEAR}")


def test_the_export_has_whole_id_numbers_and_is_recorded(client, people, orgs, login_as):
    complete_year(people.learner)
    other = make_user(Role.learner, unit=orgs.unit, name="=HYPERLINK(\"http://x\",\"y\")")
    credit(other, P, 61, revoked=True)
    login_as(people.unit_reviewer)
    before = db.session.scalar(sa.select(sa.func.max(AuditEntry.id))) or 0
    response = client.get(f"/record/units/{orgs.unit.id}/staff.xlsx?year={YEAR}&sort=name")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[0] == ["姓名", "身份证号", "公需科目·必修", "公需科目·选修", "公需科目合计",
                       "专业科目", "总学时", "是否达标"]
    assert sorted(rows[1:]) == sorted([
        ["张伟", people.learner.id_number, 20, 10, 30, 60, 90, "是"],
        [other.name, other.id_number, 0, 0, 0, 0, 0, "否"],
    ])
    formula = next(row for row in sheet.iter_rows(min_row=2) if row[1].value == other.id_number)
    assert formula[0].data_type == "s"  # a name is text, never a formula
    entries = list(db.session.scalars(sa.select(AuditEntry).where(AuditEntry.id > before)))
    assert [(e.action, e.actor_id, e.object_type, e.object_id) for e in entries] == [
        ("staff.export_year", people.unit_reviewer.id, "organisations", orgs.unit.id)]
    assert entries[0].details == {"year": YEAR, "count": 2}


def test_the_export_follows_the_filter(client, people, orgs, login_as):
    complete_year(people.learner)
    make_user(Role.learner, unit=orgs.unit, name="刘强")
    login_as(people.city_admin)
    response = client.get(f"/record/units/{orgs.unit.id}/staff.xlsx?year={YEAR}"
                          "&status=incomplete")
    rows = list(openpyxl.load_workbook(io.BytesIO(response.data)).active.values)
    assert [row[0] for row in rows[1:]] == ["刘强"]


def test_nobody_else_exports(people, orgs):
    for who in (people.department_reviewer, people.district_reviewer,
                people.other_unit_reviewer, people.learner):
        with pytest.raises(Forbidden):
            standing.export_staff(who, orgs.unit, standing.StaffQuery(year=YEAR))


# --- scopes -------------------------------------------------------------------------------------


@pytest.fixture
def city_unit(orgs) -> Any:
    """A 市直 unit: in no district, with no supervising department."""
    return make_org(OrgKind.unit, "威海市档案馆")


def unit_names(actor: Any, **query: Any) -> list[str]:
    result = standing.unit_table(actor, standing.UnitQuery(year=YEAR, sort="unit", **query))
    return [unit.name for unit in result.page.items]


def test_each_reviewer_sees_the_units_in_scope(people, orgs, city_unit):
    third = make_org(OrgKind.unit, "环翠区第三医院", district=orgs.district)
    assert sorted(unit_names(people.department_reviewer)) == sorted(
        [orgs.unit.name, orgs.other_unit.name])
    assert sorted(unit_names(people.district_reviewer)) == sorted([orgs.unit.name, third.name])
    assert sorted(unit_names(people.city_admin)) == sorted(
        [orgs.unit.name, orgs.other_unit.name, third.name, city_unit.name])
    assert unit_names(people.unit_reviewer) == [orgs.unit.name]
    # The model says the same, unit by unit.
    for who in (people.department_reviewer, people.district_reviewer, people.city_admin,
                people.unit_reviewer, people.other_unit_reviewer):
        seen = set(unit_names(who))
        for unit in (orgs.unit, orgs.other_unit, third, city_unit):
            assert who.can_see_staff_year_of(unit) == (unit.name in seen), (who.name, unit.name)
    assert not people.city_admin.can_see_staff_year_of(orgs.department)
    assert not people.learner.sees_units_standing
    with pytest.raises(Forbidden):
        standing.unit_table(people.learner, standing.UnitQuery(year=YEAR))


def test_the_per_unit_table_counts_and_sorts(people, orgs, city_unit):
    complete_year(people.learner)
    make_user(Role.learner, unit=orgs.unit, name="刘强")
    for n in range(3):
        complete_year(make_user(Role.learner, unit=city_unit, name=f"档案{n}"))
    make_user(Role.learner, unit=orgs.other_unit, name="文登")
    result = standing.unit_table(people.city_admin, standing.UnitQuery(year=YEAR))
    rows = {u.name: (u.district, u.counts.staff, u.counts.complete, u.counts.incomplete,
                     u.counts.percent) for u in result.page.items}
    assert rows == {
        orgs.unit.name: ("环翠区", 2, 1, 1, 50),
        orgs.other_unit.name: ("文登区", 1, 0, 1, 0),
        city_unit.name: (None, 3, 3, 0, 100),
    }
    assert (result.counts.staff, result.counts.complete) == (6, 4)
    assert [u.name for u in result.page.items] == [
        orgs.other_unit.name, orgs.unit.name, city_unit.name]  # by rate, lowest first
    by_staff = standing.unit_table(people.city_admin, standing.UnitQuery(
        year=YEAR, sort="staff", descending=True))
    assert by_staff.page.items[0].name == city_unit.name


def test_supervisors_open_a_units_staff_masked_and_cannot_export(client, people, orgs,
                                                                 login_as):
    complete_year(people.learner)
    login_as(people.department_reviewer)
    page = client.get(f"/record/units?year={YEAR}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and f"/record/units/{orgs.unit.id}?year={YEAR}" in html
    assert "市直" not in html
    response = client.get(f"/record/units/{orgs.other_unit.id}")
    assert response.status_code == 200 and "staff.xlsx" not in response.get_data(as_text=True)
    staff = client.get(f"/record/units/{orgs.unit.id}?year={YEAR}").get_data(as_text=True)
    assert people.learner.masked_id_number in staff and people.learner.id_number not in staff
    assert client.get(f"/record/units/{orgs.unit.id}/staff.xlsx").status_code == 403
    workbook = client.get(f"/record/units.xlsx?year={YEAR}&sort=unit")
    assert workbook.status_code == 200
    rows = list(openpyxl.load_workbook(io.BytesIO(workbook.data)).active.values)
    assert rows[0] == ("单位", "所在区市", "人数", "达标", "未达标", "达标率（%）")
    assert sorted(rows[1:]) == sorted([(orgs.unit.name, "环翠区", 1, 1, 0, 100),
                                       (orgs.other_unit.name, "文登区", 0, 0, 0, 0)])


def test_the_city_admin_sees_city_level_units(client, people, city_unit, login_as):
    login_as(people.city_admin)
    html = client.get(f"/record/units?year={YEAR}&sort=unit").get_data(as_text=True)
    assert city_unit.name in html and "市直" in html
    assert client.get(f"/record/units/{city_unit.id}").status_code == 200


def test_out_of_scope_is_refused_and_no_unit_is_not_found(client, people, orgs, login_as):
    login_as(people.district_reviewer)
    assert client.get(f"/record/units/{orgs.other_unit.id}").status_code == 403
    assert client.get("/record/units/999999").status_code == 404
    assert client.get(f"/record/units/{orgs.department.id}").status_code == 404  # not a unit
    login_as(people.unit_reviewer)
    assert client.get(f"/record/units/{orgs.other_unit.id}/staff.xlsx").status_code == 403


@pytest.mark.parametrize("query", [
    "sort=drop%20table", "sort=total&dir=sideways", "status=maybe", "page=abc", "page=-3",
    "page=0", "page=99999999999999999999", "q=%25_%5C", "year=", "status=complete&page=9",
])
def test_nonsense_query_arguments_fall_back(client, people, orgs, login_as, query):
    login_as(people.city_admin)
    for url in (f"/record/units/{orgs.unit.id}", "/record/units",
                f"/record/units/{orgs.unit.id}/staff.xlsx", "/record/units.xlsx"):
        assert client.get(f"{url}?{query}").status_code == 200, url


@pytest.mark.parametrize("year", ["abc", "1999", "99999", "2e3", "-2024", "١٩٩٩"])
def test_a_year_that_is_no_year_is_refused_clearly(client, people, orgs, login_as, year):
    login_as(people.city_admin)
    for url in (f"/record/units/{orgs.unit.id}", "/record/units"):
        response = client.get(f"{url}?year={year}")
        assert response.status_code == 400
        assert "年度应为 2000 至" in response.get_data(as_text=True)


def test_navigation_names_the_view(app, people):
    def labels(user: Any) -> list[str]:
        with app.test_request_context():
            flask_login.login_user(user)
            return [str(item.label) for item in navigation()]

    assert "本单位学时" in labels(people.unit_reviewer)
    assert "学时统计" not in labels(people.unit_reviewer)
    for who in (people.department_reviewer, people.district_reviewer, people.city_admin):
        assert "学时统计" in labels(who) and "本单位学时" not in labels(who)
    assert not {"学时统计", "本单位学时"} & set(labels(people.learner))
