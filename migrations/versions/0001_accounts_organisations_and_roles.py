"""accounts, organisations and roles

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

#: 职称系列, in the national list's order. Data: the city can add to it.
TITLE_SERIES = (
    "高校教师", "哲学社会科学研究", "自然科学研究", "卫生", "工程", "农业", "新闻", "出版",
    "图书资料", "文物博物", "档案", "工艺美术", "技工院校教师", "体育", "翻译", "播音主持",
    "会计", "统计", "经济", "实验技术", "中等职业学校教师", "中小学教师", "艺术",
    "公共法律服务", "船舶", "民用航空飞行", "审计", "社会工作",
)


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=32)


def upgrade() -> None:
    op.create_table(
        "login_throttles",
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failure_at", sa.DateTime(), nullable=False),
        sa.Column("blocked_until", sa.DateTime(), nullable=True),
        sa.CheckConstraint("failures >= 0", name=op.f("ck_login_throttles_failures_not_negative")),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_login_throttles")),
    )
    op.create_table(
        "organisations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", _enum("org_kind", "district", "department", "unit", "provider"),
                  nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=True),
        sa.Column("district_id", sa.Integer(), nullable=True),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "kind <> 'unit' OR (district_id IS NOT NULL AND department_id IS NOT NULL)",
            name=op.f("ck_organisations_unit_has_district_and_department"),
        ),
        sa.ForeignKeyConstraint(["department_id"], ["organisations.id"],
                                name=op.f("fk_organisations_department_id_organisations")),
        sa.ForeignKeyConstraint(["district_id"], ["organisations.id"],
                                name=op.f("fk_organisations_district_id_organisations")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organisations")),
        sa.UniqueConstraint("code", name=op.f("uq_organisations_code")),
        sa.UniqueConstraint("kind", "name", name=op.f("uq_organisations_kind_name")),
    )
    op.create_index(op.f("ix_organisations_department_id"), "organisations", ["department_id"])
    op.create_index(op.f("ix_organisations_district_id"), "organisations", ["district_id"])

    title_series = op.create_table(
        "title_series",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_title_series")),
        sa.UniqueConstraint("name", name=op.f("uq_title_series_name")),
    )
    op.bulk_insert(
        title_series,
        [{"name": name, "position": index} for index, name in enumerate(TITLE_SERIES, 1)],
    )

    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("id_number", sa.String(length=18), nullable=False),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=True),
        sa.Column("password_hash", sa.String(length=256), nullable=False),
        sa.Column("must_change_password", sa.Boolean(), nullable=False),
        sa.Column("state", _enum("account_state", "pending", "active", "disabled"),
                  nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("title_series_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("reviewed_at", sa.DateTime(), nullable=True),
        sa.Column("reviewed_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["reviewed_by_id"], ["users.id"],
                                name=op.f("fk_users_reviewed_by_id_users")),
        sa.ForeignKeyConstraint(["title_series_id"], ["title_series.id"],
                                name=op.f("fk_users_title_series_id_title_series")),
        sa.ForeignKeyConstraint(["unit_id"], ["organisations.id"],
                                name=op.f("fk_users_unit_id_organisations")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("id_number", name=op.f("uq_users_id_number")),
    )
    op.create_index(op.f("ix_users_unit_id"), "users", ["unit_id"])

    op.create_table(
        "login_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(), nullable=False),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.Column("client_address", sa.String(length=45), nullable=True),
        sa.Column("user_agent", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"],
                                name=op.f("fk_login_sessions_user_id_users"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_sessions")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_login_sessions_token_hash")),
    )
    op.create_index(op.f("ix_login_sessions_user_id"), "login_sessions", ["user_id"])

    op.create_table(
        "role_assignments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column(
            "role",
            _enum("role", "learner", "provider", "exam_admin", "unit_reviewer",
                  "department_reviewer", "district_reviewer", "city_admin"),
            nullable=False,
        ),
        sa.Column("org_id", sa.Integer(), nullable=True),
        sa.Column("granted_by_id", sa.Integer(), nullable=True),
        sa.Column("granted_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "(role IN ('provider', 'unit_reviewer', 'department_reviewer', 'district_reviewer'))"
            " = (org_id IS NOT NULL)",
            name=op.f("ck_role_assignments_scoped_roles_have_org"),
        ),
        sa.ForeignKeyConstraint(["granted_by_id"], ["users.id"],
                                name=op.f("fk_role_assignments_granted_by_id_users")),
        sa.ForeignKeyConstraint(["org_id"], ["organisations.id"],
                                name=op.f("fk_role_assignments_org_id_organisations")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"],
                                name=op.f("fk_role_assignments_user_id_users"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_role_assignments")),
        sa.UniqueConstraint("user_id", "role", "org_id",
                            name=op.f("uq_role_assignments_user_id_role_org_id")),
    )
    op.create_index(
        "uq_role_assignments_unscoped", "role_assignments", ["user_id", "role"], unique=True,
        sqlite_where=sa.text("org_id IS NULL"), postgresql_where=sa.text("org_id IS NULL"),
    )


def downgrade() -> None:
    op.drop_table("role_assignments")
    op.drop_table("login_sessions")
    op.drop_table("users")
    op.drop_table("title_series")
    op.drop_table("organisations")
    op.drop_table("login_throttles")
