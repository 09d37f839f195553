"""The `lms` command: demo content, opening accounts, importing staff, organisations."""

import re

import openpyxl
import sqlalchemy as sa

from lms.auth.models import Role, User
from lms.courses.models import Category, Course, CourseStatus, VideoState
from lms.demo import DEMO_PASSWORD
from lms.exam.models import QuestionBank
from lms.exam.services import exam_problems
from lms.extensions import db
from lms.orgs.models import Organisation
from tests.factories import id_number


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_demo_is_idempotent_and_its_accounts_log_in(app, client):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    users, orgs = count(User), count(Organisation)
    second = runner.invoke(args=["demo"])
    assert second.exit_code == 0 and (count(User), count(Organisation)) == (users, orgs)
    assert f"password for all: {DEMO_PASSWORD}" in second.output

    # Published courses in every category, each with real videos transcoded at seed time.
    published = db.session.scalars(
        sa.select(Course).where(Course.status == CourseStatus.published)
    ).all()
    assert {c.category for c in published} == set(Category)
    assert all(c.videos and all(v.state is VideoState.ready for v in c.videos) for c in published)
    # Every public course has an exam papers can be drawn for, from one demo bank.
    public = [c for c in published if c.category.is_public]
    assert public and all(not exam_problems(c) for c in public)
    assert count(QuestionBank) == 1

    admin_id = re.search(r"city_admin\s+(\S{18})", second.output).group(1)
    response = client.submit("/login", {"id_number": admin_id, "password": DEMO_PASSWORD})
    assert response.status_code == 302 and response.location.endswith("/home")


def test_user_create_prints_a_one_time_password(app, client, orgs):
    number = id_number()
    result = app.test_cli_runner().invoke(
        args=["user", "create", number, "王审核", "--role", "unit_reviewer",
              "--org", orgs.unit.name]
    )
    assert result.exit_code == 0, result.output
    password = result.output.split(number)[1].split()[-1]
    user = db.session.scalar(sa.select(User).where(User.id_number == number))
    assert user.has_role(Role.unit_reviewer, orgs.unit) and user.must_change_password
    response = client.submit("/login", {"id_number": number, "password": password})
    assert response.location.endswith("/account/password")


def test_user_create_refuses_bad_input(app, orgs, people):
    runner = app.test_cli_runner()
    bad_id = runner.invoke(args=["user", "create", "110105194912310021", "某", "--role",
                                 "exam_admin"])
    assert bad_id.exit_code != 0 and "校验位" in bad_id.output
    duplicate = runner.invoke(args=["user", "create", people.learner.id_number, "某", "--role",
                                    "exam_admin"])
    assert duplicate.exit_code != 0 and "exists already" in duplicate.output
    no_scope = runner.invoke(args=["user", "create", id_number(), "某", "--role",
                                   "unit_reviewer"])
    assert no_scope.exit_code != 0


def test_user_import_is_all_or_nothing(app, orgs, tmp_path):
    book = openpyxl.Workbook()
    good = id_number()
    book.active.append(("身份证号", "姓名", "手机号"))
    book.active.append((good, "好人", "13800000000"))
    book.active.append(("110105194912310021", "坏号", "13800000000"))
    path = tmp_path / "staff.xlsx"
    book.save(path)
    runner = app.test_cli_runner()
    failed = runner.invoke(args=["user", "import", str(path), "--unit", orgs.unit.name])
    assert failed.exit_code != 0 and "row 3" in failed.output
    assert db.session.scalar(sa.select(User).where(User.id_number == good)) is None

    book.active.delete_rows(3)
    book.save(path)
    done = runner.invoke(args=["user", "import", str(path), "--unit", orgs.unit.name])
    assert done.exit_code == 0, done.output
    assert db.session.scalar(sa.select(User).where(User.id_number == good)).unit == orgs.unit


def test_org_create_links_a_unit_to_its_district_and_department(app, orgs):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["org", "create", "unit", "新单位", "--district",
                                 orgs.district.name, "--department", orgs.department.name])
    assert result.exit_code == 0, result.output
    unit = db.session.scalar(sa.select(Organisation).where(Organisation.name == "新单位"))
    assert unit.district == orgs.district and unit.department == orgs.department
    # A unit in no district is a city-level (市直) unit, and may have no department either.
    city_level = runner.invoke(args=["org", "create", "unit", "市直单位"])
    assert city_level.exit_code == 0, city_level.output


def test_topic_lists_are_data_kept_per_year(app, database):
    """rules §3: topic lists are data, editable per year."""
    from lms.courses.services import topic_year, topics

    runner = app.test_cli_runner()
    this_year = topic_year()
    copied = runner.invoke(args=["topic", "copy", str(this_year), str(this_year + 1)])
    assert copied.exit_code == 0, copied.output
    assert [t.name for t in topics(this_year + 1)] == [t.name for t in topics(this_year)]
    added = runner.invoke(args=["topic", "add", str(this_year + 1), "public_elective", "人工智能"])
    assert added.exit_code == 0
    assert "人工智能" in {t.name for t in topics(this_year + 1, Category.public_elective)}
    assert "人工智能" not in {t.name for t in topics(this_year)}
    again = runner.invoke(args=["topic", "copy", str(this_year), str(this_year + 1)])
    assert again.exit_code != 0 and "already has topics" in again.output


def test_demo_refuses_a_production_database_unless_told_it_is_a_staging_copy(app, database,
                                                                             monkeypatch):
    """Demo accounts share one known password: never in the city's own database."""
    monkeypatch.setitem(app.config, "LMS_PRODUCTION", True)
    runner = app.test_cli_runner()
    users = count(User)
    refused = runner.invoke(args=["demo", "--no-videos"])
    assert refused.exit_code != 0 and "--staging-copy" in refused.output
    assert count(User) == users
    staged = runner.invoke(args=["demo", "--no-videos", "--staging-copy"])
    assert staged.exit_code == 0, staged.output
    assert count(User) > users
