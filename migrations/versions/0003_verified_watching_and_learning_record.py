"""verified watching and the learning record

Playback sessions, the raw heartbeat log, each learner's verified coverage per video, and the
learning record. Resume positions move from playback_positions into video_progress.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=32)


def upgrade() -> None:
    op.create_table(
        "learning_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column(
            "category",
            _enum("record_category", "public_compulsory", "public_elective", "professional"),
            nullable=False,
        ),
        sa.Column("seconds", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column(
            "source",
            _enum("record_source", "online_course", "special_training", "declaration"),
            nullable=False,
        ),
        sa.Column("credited_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("seconds > 0", name=op.f("ck_learning_records_seconds_positive")),
        sa.ForeignKeyConstraint(
            ["course_id"], ["courses.id"], name=op.f("fk_learning_records_course_id_courses")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_learning_records_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_learning_records")),
        sa.UniqueConstraint(
            "user_id", "course_id", name=op.f("uq_learning_records_user_id_course_id")
        ),
    )
    op.create_index("ix_learning_records_user_year", "learning_records", ["user_id", "year"])

    op.create_table(
        "playbacks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("video_id", sa.Integer(), nullable=False),
        sa.Column("duration", sa.Float(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.Column("last_seq", sa.Integer(), nullable=False),
        sa.Column("last_beat_at", sa.DateTime(), nullable=False),
        sa.Column("position", sa.Float(), nullable=False),
        sa.Column("watching", sa.Boolean(), nullable=False),
        sa.Column("slack", sa.Float(), nullable=False),
        sa.Column("credited", sa.Float(), nullable=False),
        sa.Column("presence_due", sa.Float(), nullable=True),
        sa.Column("presence_question", sa.String(length=40), nullable=True),
        sa.Column("presence_answer", sa.String(length=8), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_playbacks_user_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["video_id"], ["videos.id"], name=op.f("fk_playbacks_video_id_videos"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_playbacks")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_playbacks_token_hash")),
    )
    op.create_index(op.f("ix_playbacks_video_id"), "playbacks", ["video_id"])
    op.create_index(
        "uq_playbacks_one_active_per_user", "playbacks", ["user_id"], unique=True,
        postgresql_where=sa.text("ended_at IS NULL"), sqlite_where=sa.text("ended_at IS NULL"),
    )

    op.create_table(
        "video_progress",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("video_id", sa.Integer(), nullable=False),
        sa.Column("coverage", sa.JSON(), nullable=False),
        sa.Column("covered", sa.Float(), nullable=False),
        sa.Column("position", sa.Float(), nullable=False),
        sa.Column("completed_at", sa.DateTime(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_video_progress_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["video_id"], ["videos.id"], name=op.f("fk_video_progress_video_id_videos"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "video_id", name=op.f("pk_video_progress")),
    )
    op.create_index(op.f("ix_video_progress_video_id"), "video_progress", ["video_id"])

    op.create_table(
        "heartbeats",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("playback_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("position", sa.Float(), nullable=False),
        sa.Column("playing", sa.Boolean(), nullable=False),
        sa.Column("visible", sa.Boolean(), nullable=False),
        sa.Column(
            "verdict",
            _enum("heartbeat_verdict", "watched", "silence", "idle", "presence", "ahead",
                  "too_fast", "replay", "ended"),
            nullable=False,
        ),
        sa.Column("credited", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["playback_id"], ["playbacks.id"], name=op.f("fk_heartbeats_playback_id_playbacks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_heartbeats")),
    )
    op.create_index(op.f("ix_heartbeats_playback_id"), "heartbeats", ["playback_id"])
    op.create_index(op.f("ix_heartbeats_received_at"), "heartbeats", ["received_at"])

    # Where learners were is kept for resuming; the players' own "furthest" was never verified
    # and is not carried over.
    op.execute(
        "INSERT INTO video_progress (user_id, video_id, coverage, covered, position, updated_at) "
        "SELECT user_id, video_id, '[]', 0, position, updated_at FROM playback_positions"
    )
    op.drop_table("playback_positions")


def downgrade() -> None:
    op.create_table(
        "playback_positions",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("video_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Float(), nullable=False),
        sa.Column("furthest", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_playback_positions_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["video_id"], ["videos.id"], name=op.f("fk_playback_positions_video_id_videos"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "video_id", name=op.f("pk_playback_positions")),
    )
    op.execute(
        "INSERT INTO playback_positions (user_id, video_id, position, furthest, updated_at) "
        "SELECT user_id, video_id, position, position, updated_at FROM video_progress"
    )
    op.drop_table("heartbeats")
    op.drop_table("video_progress")
    op.drop_table("playbacks")
    op.drop_table("learning_records")
