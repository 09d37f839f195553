"""a course returned to its provider

``courses.status`` gains ``returned``: a submitted course the city sent back with a reason,
edited and resubmitted like a draft but shown as returned. The status is a string guarded by
a CHECK constraint (``lms.db.str_enum``), not a native enum: the constraint is widened.

On SQLite the constraint is widened in place, in the table's stored definition, rather than by
copying the table (batch mode): dropping ``courses`` to copy it would cascade, with foreign keys
on, to every video, enrolment and exam attempt of every course. Widening a CHECK constraint
changes nothing stored, which is the case SQLite's documentation allows for this.

Downgrade: returned courses become drafts again (their review note stays).

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

NAME = "ck_courses_course_status"
BEFORE = ("draft", "submitted", "published", "archived")
AFTER = ("draft", "returned", "submitted", "published", "archived")


def _check(values: tuple[str, ...]) -> str:
    return "status IN (" + ", ".join(f"'{value}'" for value in values) + ")"


def _set_check(old: tuple[str, ...], new: tuple[str, ...]) -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        op.drop_constraint(op.f(NAME), "courses", type_="check")
        op.create_check_constraint(op.f(NAME), "courses", _check(new))
        return
    written = bind.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'courses'"
    ).scalar_one()
    if _check(old) not in written:
        raise RuntimeError(f"courses: {NAME} is not {_check(old)!r} as expected")
    version = bind.exec_driver_sql("PRAGMA schema_version").scalar_one()
    bind.exec_driver_sql("PRAGMA writable_schema = ON")
    bind.execute(
        sa.text("UPDATE sqlite_master SET sql = :sql WHERE type = 'table' AND name = 'courses'"),
        {"sql": written.replace(_check(old), _check(new))},
    )
    bind.exec_driver_sql(f"PRAGMA schema_version = {int(version) + 1}")
    bind.exec_driver_sql("PRAGMA writable_schema = OFF")


def upgrade() -> None:
    _set_check(BEFORE, AFTER)


def downgrade() -> None:
    op.execute("UPDATE courses SET status = 'draft' WHERE status = 'returned'")
    _set_check(AFTER, BEFORE)
