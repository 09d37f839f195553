"""Migrations build the schema the models describe, and come back down cleanly."""

import flask_migrate
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
