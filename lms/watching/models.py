"""Playbacks, their heartbeats, and what each learner has verifiably watched of each video."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.courses.models import Video
from lms.db import Base, UTCDateTime, str_enum, utcnow
from lms.watching.coverage import Interval, Verdict

#: Raw heartbeats are many: a 64-bit key, INTEGER on SQLite so it still autoincrements.
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


class Playback(Base):
    """One opening of a video by a learner. Its heartbeats are judged against what it
    remembers of the last one; a learner has at most one that has not ended."""

    __tablename__ = "playbacks"
    __table_args__ = (
        sa.Index(
            "uq_playbacks_one_active_per_user", "user_id", unique=True,
            postgresql_where=sa.text("ended_at IS NULL"), sqlite_where=sa.text("ended_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: SHA-256 of the random id the player holds.
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    video_id: Mapped[int] = mapped_column(
        sa.ForeignKey("videos.id", ondelete="CASCADE"), index=True
    )
    #: The video's length, copied so a heartbeat needs no other row.
    duration: Mapped[float]
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Set when another playback of the same learner started.
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The last heartbeat, by the server's clock:
    last_seq: Mapped[int] = mapped_column(default=0)
    last_beat_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    position: Mapped[float] = mapped_column(default=0.0)
    #: Whether the player said it was playing and visible.
    watching: Mapped[bool] = mapped_column(default=False)
    #: Seconds of jitter allowance carried over (see coverage.step).
    slack: Mapped[float]
    #: New coverage this playback earned, seconds.
    credited: Mapped[float] = mapped_column(default=0.0)
    #: The next presence check is asked once ``credited`` reaches this; None: never.
    presence_due: Mapped[float | None]
    #: A presence check waiting for its answer.
    presence_question: Mapped[str | None] = mapped_column(sa.String(40))
    presence_answer: Mapped[str | None] = mapped_column(sa.String(8))

    video: Mapped[Video] = relationship()


class VideoProgress(Base):
    """What one learner has verifiably watched of one video, and where to resume it."""

    __tablename__ = "video_progress"

    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    video_id: Mapped[int] = mapped_column(
        sa.ForeignKey("videos.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    #: Merged [start, end) media intervals, seconds: the evidence behind the credit.
    coverage: Mapped[list[Any]] = mapped_column(sa.JSON, default=list)
    #: Seconds covered: the total of ``coverage``.
    covered: Mapped[float] = mapped_column(default=0.0)
    #: Where the player last was, for resuming.
    position: Mapped[float] = mapped_column(default=0.0)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    @property
    def intervals(self) -> list[Interval]:
        return [(float(a), float(b)) for a, b in self.coverage]


class Heartbeat(Base):
    """The raw log of heartbeats and what was made of each, kept for disputes and pruned
    after ``HEARTBEAT_KEEP_DAYS``."""

    __tablename__ = "heartbeats"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    playback_id: Mapped[int] = mapped_column(
        sa.ForeignKey("playbacks.id", ondelete="CASCADE"), index=True
    )
    seq: Mapped[int] = mapped_column(sa.BigInteger)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    position: Mapped[float]
    playing: Mapped[bool]
    visible: Mapped[bool]
    verdict: Mapped[Verdict] = mapped_column(str_enum(Verdict, "heartbeat_verdict"))
    #: New coverage this heartbeat added, seconds.
    credited: Mapped[float] = mapped_column(default=0.0)
