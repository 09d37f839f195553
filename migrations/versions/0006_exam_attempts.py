"""exam attempts

Each sitting of a course's exam: its frozen paper, saved answers, deadline and grade.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "exam_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("cycle", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("paper", sa.JSON(), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("deadline", sa.DateTime(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(), nullable=True),
        sa.Column("timed_out", sa.Boolean(), nullable=False),
        sa.Column("score", sa.Numeric(precision=6, scale=1), nullable=True),
        sa.Column("total", sa.Numeric(precision=6, scale=1), nullable=False),
        sa.Column("pass_mark", sa.Numeric(precision=6, scale=1), nullable=False),
        sa.Column("partial_credit", sa.Boolean(), nullable=False),
        sa.Column("passed", sa.Boolean(), nullable=True),
        sa.ForeignKeyConstraint(
            ["course_id"], ["courses.id"], name=op.f("fk_exam_attempts_course_id_courses"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_exam_attempts_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exam_attempts")),
        sa.UniqueConstraint(
            "user_id", "course_id", "cycle", "number",
            name=op.f("uq_exam_attempts_user_id_course_id_cycle_number"),
        ),
    )
    op.create_index(op.f("ix_exam_attempts_course_id"), "exam_attempts", ["course_id"])


def downgrade() -> None:
    op.drop_table("exam_attempts")
