"""an index of the learning records that count, by year and person

A unit's year (every staff member's sums for one year, lms.records.standing) reads the rows
that count from this index alone on PostgreSQL (it carries category and seconds); without it,
every request read every record of every year. bench/staff_table.py measures both.

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_learning_records_counted_year_user", "learning_records", ["year", "user_id"],
        postgresql_include=["category", "seconds"],
        postgresql_where=sa.text("revoked_at IS NULL"),
        sqlite_where=sa.text("revoked_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_learning_records_counted_year_user", table_name="learning_records")
