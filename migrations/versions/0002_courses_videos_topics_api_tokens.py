"""courses, videos, topics, api tokens

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

#: The year's public-subject topics (the notice's list); the city edits them with `lms topic`.
YEAR = 2026
COMPULSORY = (
    "习近平新时代中国特色社会主义思想",
    "党史学习教育",
    "黄河流域生态保护和高质量发展",
    "乡村振兴",
    "绿色低碳高质量发展",
    "职业道德和能力建设",
)
ELECTIVE = (
    "工伤预防",
    "数字技术",
    "知识产权",
    "网络安全",
    "应急管理",
    "医养健康",
    "人才国际化",
    "科学精神培育",
    "团队合作建设",
    "人文素养",
)


def upgrade() -> None:
    topics = op.create_table(
        "topics",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column(
            "category",
            sa.Enum(
                "public_compulsory",
                "public_elective",
                "professional",
                name="topic_category",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "category <> 'professional'", name=op.f("ck_topics_public_categories_only")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_topics")),
        sa.UniqueConstraint("year", "category", "name", name=op.f("uq_topics_year_category_name")),
    )
    op.bulk_insert(
        topics,
        [
            {"year": YEAR, "category": category, "name": name, "position": position}
            for category, names in (
                ("public_compulsory", COMPULSORY),
                ("public_elective", ELECTIVE),
            )
            for position, name in enumerate(names, 1)
        ],
    )
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_api_tokens_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_tokens_token_hash")),
    )
    op.create_index(op.f("ix_api_tokens_user_id"), "api_tokens", ["user_id"])

    op.create_table(
        "courses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column(
            "category",
            sa.Enum(
                "public_compulsory",
                "public_elective",
                "professional",
                name="course_category",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("topic_id", sa.Integer(), nullable=True),
        sa.Column("provider_id", sa.Integer(), nullable=False),
        sa.Column("cover", sa.String(length=200), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "draft",
                "submitted",
                "published",
                "archived",
                name="course_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("review_note", sa.Text(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(), nullable=True),
        sa.Column("published_at", sa.DateTime(), nullable=True),
        sa.Column("published_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_courses_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["provider_id"], ["organisations.id"], name=op.f("fk_courses_provider_id_organisations")
        ),
        sa.ForeignKeyConstraint(
            ["published_by_id"], ["users.id"], name=op.f("fk_courses_published_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["topic_id"], ["topics.id"], name=op.f("fk_courses_topic_id_topics")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_courses")),
    )
    op.create_index(op.f("ix_courses_provider_id"), "courses", ["provider_id"])
    op.create_index(op.f("ix_courses_status"), "courses", ["status"])

    op.create_table(
        "course_title_series",
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("title_series_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["courses.id"],
            name=op.f("fk_course_title_series_course_id_courses"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["title_series_id"],
            ["title_series.id"],
            name=op.f("fk_course_title_series_title_series_id_title_series"),
        ),
        sa.PrimaryKeyConstraint(
            "course_id", "title_series_id", name=op.f("pk_course_title_series")
        ),
    )
    op.create_table(
        "videos",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("original_filename", sa.String(length=255), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("received", sa.BigInteger(), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "uploading",
                "queued",
                "processing",
                "ready",
                "refused",
                "failed",
                name="video_state",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("progress", sa.Integer(), nullable=False),
        sa.Column("duration_seconds", sa.Integer(), nullable=True),
        sa.Column("width", sa.Integer(), nullable=True),
        sa.Column("height", sa.Integer(), nullable=True),
        sa.Column("rendition", sa.String(length=200), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("heartbeat_at", sa.DateTime(), nullable=True),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "state <> 'ready' OR (duration_seconds IS NOT NULL AND rendition IS NOT NULL)",
            name=op.f("ck_videos_ready_videos_have_media"),
        ),
        sa.CheckConstraint(
            "progress >= 0 AND progress <= 100", name=op.f("ck_videos_progress_is_percent")
        ),
        sa.CheckConstraint(
            "received >= 0 AND received <= size", name=op.f("ck_videos_received_within_size")
        ),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["courses.id"],
            name=op.f("fk_videos_course_id_courses"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by_id"], ["users.id"], name=op.f("fk_videos_uploaded_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_videos")),
    )
    op.create_index(op.f("ix_videos_course_id"), "videos", ["course_id"])
    op.create_index(op.f("ix_videos_state"), "videos", ["state"])

    op.create_table(
        "enrollments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_video_id", sa.Integer(), nullable=True),
        sa.Column("last_opened_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["courses.id"],
            name=op.f("fk_enrollments_course_id_courses"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["last_video_id"],
            ["videos.id"],
            name=op.f("fk_enrollments_last_video_id_videos"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_enrollments_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enrollments")),
        sa.UniqueConstraint("user_id", "course_id", name=op.f("uq_enrollments_user_id_course_id")),
    )
    op.create_index(op.f("ix_enrollments_course_id"), "enrollments", ["course_id"])

    op.create_table(
        "playback_positions",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("video_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Float(), nullable=False),
        sa.Column("furthest", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_playback_positions_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["video_id"],
            ["videos.id"],
            name=op.f("fk_playback_positions_video_id_videos"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "video_id", name=op.f("pk_playback_positions")),
    )


def downgrade() -> None:
    op.drop_table("playback_positions")
    op.drop_table("enrollments")
    op.drop_table("videos")
    op.drop_table("course_title_series")
    op.drop_table("courses")
    op.drop_table("api_tokens")
    op.drop_table("topics")
