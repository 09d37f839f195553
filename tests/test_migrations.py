"""Migrations build the schema the models describe, and come back down cleanly."""

import flask_migrate
import pytest
import sqlalchemy as sa
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
