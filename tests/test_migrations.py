"""Migrations build the schema the models describe, and come back down cleanly."""

import flask_migrate
import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from lms.extensions import db
from tests.conftest import make_app
from tests.databases import fresh_database


def schema_differences():
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, db.metadata)


def test_empty_database_upgrades_to_head_and_matches_the_models(tmp_path):
    with fresh_database("migrations", tmp_path) as url:
        app = make_app(url)
        with app.app_context():
            flask_migrate.upgrade()
            assert schema_differences() == []
            flask_migrate.downgrade(revision="base")
            with db.engine.connect() as connection:
                tables = sa.inspect(connection).get_table_names()
            assert set(tables) <= {"alembic_version"}
            flask_migrate.upgrade()
            assert schema_differences() == []
            db.engine.dispose()


def test_title_series_are_seeded(app, database):
    from lms.orgs.services import title_series

    names = [s.name for s in title_series()]
    assert names[:4] == ["高校教师", "哲学社会科学研究", "自然科学研究", "卫生"]
    assert len(names) == len(set(names)) >= 27


def test_0010_widens_the_course_status_for_returned_and_keeps_every_course(tmp_path):
    """A course may be stored as returned after 0010 (the CHECK constraint is widened in place:
    on SQLite, a course's videos survive it); downgrading makes returned courses drafts again
    and refuses returned once more."""
    with fresh_database("returned", tmp_path) as url:
        app = make_app(url)
        with app.app_context():
            flask_migrate.upgrade(revision="0008")
            with db.engine.begin() as connection:
                connection.execute(sa.text(
                    "INSERT INTO organisations (id, kind, name, created_at) "
                    "VALUES (1, 'provider', '培训机构', '2026-01-01')"))
                connection.execute(sa.text(
                    "INSERT INTO courses (id, title, description, category, provider_id, "
                    "status, created_at) VALUES (1, '课程', '', 'professional', 1, 'submitted', "
                    "'2026-01-01')"))
                connection.execute(sa.text(
                    "INSERT INTO videos (id, course_id, position, title, original_filename, "
                    "size, received, state, progress, attempts, created_at, updated_at) VALUES "
                    "(1, 1, 0, '第1讲', 'a.mp4', 1, 0, 'uploading', 0, 0, '2026-01-01', "
                    "'2026-01-01')"))
            flask_migrate.upgrade()
            assert schema_differences() == []
            with db.engine.begin() as connection:
                connection.execute(sa.text("UPDATE courses SET status = 'returned'"))
                assert connection.execute(sa.text("SELECT count(*) FROM videos")).scalar() == 1
            with pytest.raises(sa.exc.IntegrityError), db.engine.begin() as connection:
                connection.execute(sa.text("UPDATE courses SET status = 'lost'"))
            flask_migrate.downgrade(revision="0008")
            with db.engine.begin() as connection:
                assert connection.execute(sa.text("SELECT status FROM courses")).scalar() == "draft"
                assert connection.execute(sa.text("SELECT count(*) FROM videos")).scalar() == 1
            with pytest.raises(sa.exc.IntegrityError), db.engine.begin() as connection:
                connection.execute(sa.text("UPDATE courses SET status = 'returned'"))
            db.engine.dispose()



def test_0011_frees_refused_numbers_and_keeps_what_references_users(tmp_path):
    """Rebuilding ``users`` on SQLite must not cascade to the rows that reference it; the
    number of a refused registration is free after the upgrade, held again after downgrade."""
    with fresh_database("refused", tmp_path) as url:
        app = make_app(url)
        with app.app_context():
            flask_migrate.upgrade(revision="0008")
            with db.engine.begin() as connection:
                connection.exec_driver_sql(
                    "INSERT INTO users (id, id_number, name, password_hash, must_change_password,"
                    " state, created_at) VALUES (1, '11010519491231002X', '甲', 'x', false,"
                    " 'active', '2026-01-01')"
                )
                connection.exec_driver_sql(
                    "INSERT INTO role_assignments (user_id, role, granted_at)"
                    " VALUES (1, 'learner', '2026-01-01')"
                )
            flask_migrate.upgrade(revision="0011")
            with db.engine.begin() as connection:
                assert connection.exec_driver_sql(
                    "SELECT count(*) FROM role_assignments").scalar_one() == 1
                connection.exec_driver_sql("UPDATE users SET state = 'refused'")
                connection.exec_driver_sql(
                    "INSERT INTO users (id, id_number, name, password_hash, must_change_password,"
                    " state, created_at) VALUES (2, '11010519491231002X', '乙', 'x', false,"
                    " 'pending', '2026-01-02')"
                )
            flask_migrate.downgrade(revision="0008")
            with db.engine.begin() as connection:
                rows = connection.exec_driver_sql("SELECT id, state FROM users").all()
                assert [tuple(r) for r in rows] == [(2, "pending")]
            db.engine.dispose()


def test_0013_frees_the_org_tree_and_makes_records_revocable_keeping_every_row(tmp_path):
    """After 0013 a unit may sit in no district and have no department, only a unit may have a
    department, and a revoked record must say why; the CHECKs change in place (on SQLite
    ``organisations`` and ``learning_records`` keep their rows and what points at them).
    Downgrading is refused while a 市直 unit or a revoked record exists, and works without."""
    with fresh_database("org_tree", tmp_path) as url:
        app = make_app(url)
        with app.app_context():
            flask_migrate.upgrade(revision="0012")
            with db.engine.begin() as connection:
                run = connection.exec_driver_sql
                run("INSERT INTO organisations (id, kind, name, created_at) VALUES"
                    " (1, 'district', '环翠区', '2026-01-01'),"
                    " (2, 'department', '卫健委', '2026-01-01')")
                run("INSERT INTO organisations (id, kind, name, district_id, department_id,"
                    " created_at) VALUES (3, 'unit', '医院', 1, 2, '2026-01-01')")
                run("INSERT INTO users (id, id_number, name, password_hash, must_change_password,"
                    " state, unit_id, created_at) VALUES"
                    " (1, '11010519491231002X', '甲', 'x', false, 'active', 3, '2026-01-01'),"
                    " (2, '110105194912310021', '乙', 'x', false, 'active', NULL, '2026-01-01')")
                run("INSERT INTO role_assignments (user_id, role, granted_at) VALUES"
                    " (1, 'learner', '2026-01-01'), (2, 'city_admin', '2026-01-01')")
                run("INSERT INTO learning_records (id, user_id, title, category, seconds, year,"
                    " source, credited_at) VALUES (1, 1, '专题培训', 'professional', 2700, 2026,"
                    " 'special_training', '2026-03-01')")

            def counts() -> tuple[int, ...]:
                with db.engine.connect() as connection:
                    return tuple(
                        connection.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar_one()
                        for table in ("organisations", "users", "role_assignments",
                                      "learning_records"))

            assert counts() == (3, 2, 2, 1)
            flask_migrate.upgrade()
            assert schema_differences() == []
            flask_migrate.downgrade(revision="0013")  # what follows is about 0013 alone
            assert counts() == (3, 2, 2, 1)
            with db.engine.connect() as connection:
                record = connection.exec_driver_sql(
                    "SELECT revoked_at, revoked_by_id, revoke_reason FROM learning_records"
                ).one()
            assert tuple(record) == (None, None, None)

            # What the tree now holds: a 市直 unit, with a department or none.
            with db.engine.begin() as connection:
                connection.exec_driver_sql(
                    "INSERT INTO organisations (id, kind, name, department_id, created_at) VALUES"
                    " (4, 'unit', '市直单位', 2, '2026-01-01'),"
                    " (5, 'unit', '无主管单位', NULL, '2026-01-01')")
            # What it does not: a department with a department; a revocation without a reason.
            with pytest.raises(sa.exc.IntegrityError), db.engine.begin() as connection:
                connection.exec_driver_sql(
                    "INSERT INTO organisations (id, kind, name, department_id, created_at)"
                    " VALUES (6, 'department', '下属部门', 2, '2026-01-01')")
            with pytest.raises(sa.exc.IntegrityError), db.engine.begin() as connection:
                connection.exec_driver_sql(
                    "UPDATE learning_records SET revoked_at = '2026-04-01', revoked_by_id = 2")
            with db.engine.begin() as connection:
                connection.exec_driver_sql(
                    "UPDATE learning_records SET revoked_at = '2026-04-01', revoked_by_id = 2,"
                    " revoke_reason = '重复登记'")

            def version() -> str:
                with db.engine.connect() as connection:
                    return connection.exec_driver_sql(
                        "SELECT version_num FROM alembic_version").scalar_one()

            def refused_downgrade() -> pytest.ExceptionInfo[RuntimeError]:
                """alembic's own downgrade, as ``flask_migrate.downgrade`` runs it: that one
                logs the RuntimeError and exits."""
                migrate = app.extensions["migrate"]
                with pytest.raises(RuntimeError) as refused:
                    command.downgrade(migrate.migrate.get_config(migrate.directory), "0012")
                return refused

            # Refused while the older schema could not hold what is stored: nothing changes.
            assert "revoked learning records exist" in str(refused_downgrade().value)
            assert version() == "0013" and counts() == (5, 2, 2, 1)
            with db.engine.begin() as connection:
                connection.exec_driver_sql(
                    "UPDATE learning_records SET revoked_at = NULL, revoked_by_id = NULL,"
                    " revoke_reason = NULL")
            assert "units without a district or a department exist" in str(
                refused_downgrade().value)  # the 市直 units still
            with pytest.raises(SystemExit):  # how flask_migrate (and `lms db downgrade`) says it
                flask_migrate.downgrade(revision="0012")
            assert version() == "0013"
            with db.engine.begin() as connection:
                connection.exec_driver_sql("DELETE FROM organisations WHERE id IN (4, 5)")

            flask_migrate.downgrade(revision="0012")
            assert version() == "0012" and counts() == (3, 2, 2, 1)
            with db.engine.connect() as connection:
                columns = {c["name"] for c in sa.inspect(connection).get_columns(
                    "learning_records")}
            assert not columns & {"revoked_at", "revoked_by_id", "revoke_reason"}
            # The older CHECK is back: a unit needs its district and department again.
            with pytest.raises(sa.exc.IntegrityError), db.engine.begin() as connection:
                connection.exec_driver_sql(
                    "INSERT INTO organisations (id, kind, name, department_id, created_at)"
                    " VALUES (4, 'unit', '市直单位', 2, '2026-01-01')")
            # And up again, cleanly.
            flask_migrate.upgrade()
            assert schema_differences() == [] and counts() == (3, 2, 2, 1)
            db.engine.dispose()
