"""course exams

Each course's exam settings: banks and tags to draw from, counts and points per question type,
pass mark, time limit, shuffling, what is shown after submitting, partial credit.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "course_exams",
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("banks", sa.JSON(), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("pass_mark", sa.Numeric(precision=5, scale=1), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("shuffle_questions", sa.Boolean(), nullable=False),
        sa.Column("shuffle_options", sa.Boolean(), nullable=False),
        sa.Column(
            "show_after",
            sa.Enum("score", "wrong", "answers_after_pass", name="exam_show_after",
                    native_enum=False, create_constraint=True, length=32),
            nullable=False,
        ),
        sa.Column("partial_credit", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["course_id"], ["courses.id"], name=op.f("fk_course_exams_course_id_courses"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("course_id", name=op.f("pk_course_exams")),
    )


def downgrade() -> None:
    op.drop_table("course_exams")
