"""The organisation tree as the notice has it: a unit may sit in no district (市直, its hours go
to the city HR bureau) and may have no supervising department; only a unit has a supervising
department, and a district sits in no other district — in the service, on the organisations
page, in `lms org create`, in the unit picker and in the demo."""

import re

import pytest
import sqlalchemy as sa

from lms.demo import seed_demo
from lms.extensions import db
from lms.orgs import services
from lms.orgs.forms import unit_choices
from lms.orgs.models import Organisation, OrgKind
from tests.factories import make_org

ONLY_UNITS = "只有单位有主管部门"
NO_DISTRICT_IN_A_DISTRICT = "区市不属于其他区市"


def named(name: str) -> Organisation | None:
    return db.session.scalar(sa.select(Organisation).where(Organisation.name == name))


def field_errors(html: str, name: str) -> list[str]:
    """The errors shown under the form field called ``name``."""
    for block in re.findall(r'<div class="field[^"]*">(.*?)</div>', html, re.S):
        if f'name="{name}"' in block:
            return re.findall(r'<small class="error" role="alert">(.*?)</small>', block, re.S)
    raise AssertionError(f"no field {name} on the page")


# --- the rules ------------------------------------------------------------------------------


def test_a_unit_may_sit_in_no_district_and_have_no_department(orgs):
    city = services.create_organisation(OrgKind.unit, "威海市中心血站", department=orgs.department)
    bare = services.create_organisation(OrgKind.unit, "威海市档案馆")
    local = services.create_organisation(OrgKind.unit, "环翠区某小学", district=orgs.district)
    db.session.flush()
    assert (city.district, city.department, city.city_level) == (None, orgs.department, True)
    assert (bare.district, bare.department, bare.city_level) == (None, None, True)
    assert (local.district, local.department, local.city_level) == (orgs.district, None, False)
    assert (city.place, bare.place, local.place) == ("市直", "市直", "环翠区")


def test_a_department_may_be_city_level_or_in_a_district(orgs):
    city = services.create_organisation(OrgKind.department, "威海市交通运输局")
    local = services.create_organisation(OrgKind.department, "环翠区教育局", district=orgs.district)
    assert (city.place, local.place) == ("市直", "环翠区")
    # A district, or a provider of no district, is not 市直: it has no place to show.
    assert orgs.district.place == ""
    assert services.create_organisation(OrgKind.provider, "某培训中心").place == ""


@pytest.mark.parametrize("kind", [OrgKind.department, OrgKind.district, OrgKind.provider])
def test_only_a_unit_has_a_supervising_department(orgs, kind):
    with pytest.raises(services.MisplacedLink, match=ONLY_UNITS) as refused:
        services.create_organisation(kind, "不该有主管部门", department=orgs.department)
    assert refused.value.field == "department"
    assert named("不该有主管部门") is None


def test_a_district_sits_in_no_other_district(orgs):
    with pytest.raises(services.MisplacedLink, match=NO_DISTRICT_IN_A_DISTRICT) as refused:
        services.create_organisation(OrgKind.district, "某区", district=orgs.district)
    assert refused.value.field == "district"


def test_the_database_keeps_a_department_to_units(orgs):
    """The CHECK 0013 put in: only a unit has a supervising department, whoever writes."""
    with pytest.raises(sa.exc.IntegrityError), db.session.begin_nested():
        make_org(OrgKind.department, "下属部门", department=orgs.department)
    # A unit in no district with no department is a row the database takes.
    assert make_org(OrgKind.unit, "无主管的市直单位").id


# --- the unit picker ------------------------------------------------------------------------


def test_the_unit_picker_groups_city_level_units_under_shizhi(orgs):
    city = make_org(OrgKind.unit, "威海市中心血站", department=orgs.department)
    bare = make_org(OrgKind.unit, "威海市档案馆")
    groups = [(c.optgroup, c.label) for c in unit_choices()]
    assert groups == [  # by district, 市直 first; by name within each
        ("市直", city.name), ("市直", bare.name),
        ("文登区", orgs.other_unit.name), ("环翠区", orgs.unit.name),
    ]
    # Each group once, 市直 first: a picker's groups are runs of the list.
    runs = [g for i, (g, _) in enumerate(groups) if i == 0 or groups[i - 1][0] != g]
    assert runs[0] == "市直" and len(runs) == len(set(runs))


def test_the_registration_page_offers_city_level_units_under_shizhi(client, orgs):
    make_org(OrgKind.unit, "威海市中心血站", department=orgs.department)
    html = client.get("/register").get_data(as_text=True)
    group = re.search(r'<optgroup label="市直">(.*?)</optgroup>', html, re.S)
    assert group and "威海市中心血站" in group.group(1) and "威海市立医院" not in group.group(1)


# --- the organisations page -----------------------------------------------------------------


def test_the_page_explains_city_level_and_lists_it(client, people, orgs, login_as):
    make_org(OrgKind.unit, "威海市中心血站", department=orgs.department)
    login_as(people.city_admin)
    html = client.get("/staff/organisations").get_data(as_text=True)
    assert "不属于任何区市的单位或部门为市直" in html and "单位可以没有主管部门" in html
    row = re.search(
        r"<tr>\s*<td[^>]*>单位</td>\s*<td[^>]*>威海市中心血站</td>(.*?)</tr>", html, re.S)
    assert row and ">市直<" in row.group(1) and orgs.department.name in row.group(1)
    # The city-level department of the fixtures shows as 市直 too; a district shows no place.
    def place(kind: str, name: str) -> str:
        found = re.search(
            rf"<td[^>]*>{kind}</td>\s*<td[^>]*>{name}</td>\s*<td[^>]*>(.*?)</td>", html, re.S)
        assert found, name
        return found.group(1)

    assert place("主管部门", "威海市卫生健康委员会") == "市直"
    assert place("区市", "环翠区") == "—"


def test_an_admin_adds_a_city_level_unit_and_a_unit_without_department(
    client, people, orgs, login_as
):
    login_as(people.city_admin)
    city = client.submit("/staff/organisations", {
        "kind": "unit", "name": "威海市中心血站", "code": "", "district_id": 0,
        "department_id": orgs.department.id})
    assert city.status_code == 302, city.get_data(as_text=True)
    bare = client.submit("/staff/organisations", {
        "kind": "unit", "name": "环翠区某小学", "code": "", "district_id": orgs.district.id,
        "department_id": 0})
    assert bare.status_code == 302, bare.get_data(as_text=True)
    blood, school = named("威海市中心血站"), named("环翠区某小学")
    assert (blood.district, blood.department) == (None, orgs.department)
    assert (school.district, school.department) == (orgs.district, None)
    listed = client.get("/staff/organisations").get_data(as_text=True)
    assert "已添加单位：环翠区某小学" in listed


@pytest.mark.parametrize("kind", ["department", "district", "provider"])
def test_a_supervising_department_for_anything_but_a_unit_is_refused_on_its_field(
    client, people, orgs, login_as, kind
):
    login_as(people.city_admin)
    response = client.submit("/staff/organisations", {
        "kind": kind, "name": "不该有主管部门", "code": "", "district_id": 0,
        "department_id": orgs.department.id})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    [error] = field_errors(html, "department_id")
    assert ONLY_UNITS in error and "“主管部门”请不选" in error
    assert field_errors(html, "name") == [] and field_errors(html, "district_id") == []
    assert named("不该有主管部门") is None


def test_a_district_in_a_district_is_refused_on_its_field(client, people, orgs, login_as):
    login_as(people.city_admin)
    response = client.submit("/staff/organisations", {
        "kind": "district", "name": "某区", "code": "", "district_id": orgs.district.id,
        "department_id": 0})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    [error] = field_errors(html, "district_id")
    assert NO_DISTRICT_IN_A_DISTRICT in error and "“所在区市”请不选" in error
    assert field_errors(html, "department_id") == []
    assert named("某区") is None


# --- `lms org` ------------------------------------------------------------------------------


def test_org_create_makes_city_level_units_and_units_without_department(app, orgs):
    runner = app.test_cli_runner()
    city = runner.invoke(args=["org", "create", "unit", "威海市中心血站",
                               "--department", orgs.department.name])
    assert city.exit_code == 0, city.output
    assert "威海市中心血站 (市直)" in city.output
    bare = runner.invoke(args=["org", "create", "unit", "环翠区某小学",
                               "--district", orgs.district.name])
    assert bare.exit_code == 0, bare.output
    assert "环翠区某小学 (环翠区)" in bare.output
    blood, school = named("威海市中心血站"), named("环翠区某小学")
    assert (blood.district, blood.department) == (None, orgs.department)
    assert (school.district, school.department) == (orgs.district, None)
    listing = runner.invoke(args=["org", "list"])
    assert re.search(r"unit\s+威海市中心血站\s+市直", listing.output), listing.output


@pytest.mark.parametrize("kind", ["department", "district", "provider"])
def test_org_create_refuses_a_department_for_anything_but_a_unit(app, orgs, kind):
    result = app.test_cli_runner().invoke(args=["org", "create", kind, "不该有主管部门",
                                                "--department", orgs.department.name])
    assert result.exit_code == 2  # a usage error, on the option at fault: no traceback
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Invalid value for --department" in result.output and ONLY_UNITS in result.output
    assert named("不该有主管部门") is None


def test_org_create_refuses_a_district_in_a_district(app, orgs):
    result = app.test_cli_runner().invoke(args=["org", "create", "district", "某区",
                                                "--district", orgs.district.name])
    assert result.exit_code == 2
    assert "Invalid value for --district" in result.output
    assert NO_DISTRICT_IN_A_DISTRICT in result.output
    assert named("某区") is None


# --- the demo -------------------------------------------------------------------------------


def test_the_demo_has_a_city_level_unit_with_a_learner(database):
    accounts = seed_demo()
    blood = named("威海市中心血站")
    assert blood.kind is OrgKind.unit and blood.district is None
    assert blood.department == named("威海市卫生健康委员会") and blood.place == "市直"
    [(label, _, name)] = [a for a in accounts if "市直" in a[0]]
    assert (label, name) == ("learner (市直)", "周敏")
    # Each label names one account: tests and newcomers pick accounts by it.
    assert len({label for label, _, _ in accounts}) == len(accounts)
