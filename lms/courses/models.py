"""Courses, their topics and videos."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.auth.models import Role, User
from lms.db import Base, UTCDateTime, str_enum, utcnow
from lms.orgs.models import Organisation, TitleSeries

#: 45 minutes of video earn one credit hour (学时).
SECONDS_PER_CREDIT_HOUR = 2700


def credit_hours(seconds: int) -> str:
    """Seconds as 学时 with one decimal, rounded down so nothing is overstated."""
    tenths = seconds * 10 // SECONDS_PER_CREDIT_HOUR
    return f"{tenths // 10}.{tenths % 10}"


class Category(enum.StrEnum):
    public_compulsory = "public_compulsory"
    public_elective = "public_elective"
    professional = "professional"

    @property
    def label(self) -> str:
        return str(CATEGORY_LABELS[self])

    @property
    def is_public(self) -> bool:
        return self is not Category.professional

    @classmethod
    def parse(cls, value: str | None) -> Category | None:
        """The category named ``value``, or None for anything else (a filter left empty)."""
        try:
            return cls(value or "")
        except ValueError:
            return None


CATEGORY_LABELS = {
    Category.public_compulsory: _l("公需科目·必修"),
    Category.public_elective: _l("公需科目·选修"),
    Category.professional: _l("专业科目"),
}


class CourseStatus(enum.StrEnum):
    draft = "draft"
    #: Sent back by the city with a reason (``Course.review_note``): edited and resubmitted
    #: like a draft, but shown as returned.
    returned = "returned"
    submitted = "submitted"
    published = "published"
    archived = "archived"

    @property
    def label(self) -> str:
        return str(STATUS_LABELS[self])

    @property
    def with_provider(self) -> bool:
        """In the provider's hands (a draft, or returned to it): not yet, or no longer, under
        the city's review or in the catalog."""
        return self in (CourseStatus.draft, CourseStatus.returned)


STATUS_LABELS = {
    CourseStatus.draft: _l("草稿"),
    CourseStatus.returned: _l("已退回"),
    CourseStatus.submitted: _l("待审核"),
    CourseStatus.published: _l("已发布"),
    CourseStatus.archived: _l("已归档"),
}


class VideoState(enum.StrEnum):
    #: Bytes are still arriving.
    uploading = "uploading"
    #: Complete upload waiting for the job queue.
    queued = "queued"
    #: Being probed and transcoded.
    processing = "processing"
    ready = "ready"
    #: The file can never be used (not a video, too long, ...): ``reason`` says why.
    refused = "refused"
    #: Transcoding went wrong; the original is kept and the provider may retry.
    failed = "failed"

    @property
    def label(self) -> str:
        return str(VIDEO_STATE_LABELS[self])


VIDEO_STATE_LABELS = {
    VideoState.uploading: _l("上传中"),
    VideoState.queued: _l("排队处理"),
    VideoState.processing: _l("转码中"),
    VideoState.ready: _l("可播放"),
    VideoState.refused: _l("不符合要求"),
    VideoState.failed: _l("转码失败"),
}


class Topic(Base):
    """A public-subject topic on a year's list (专题); the lists are data, kept per year."""

    __tablename__ = "topics"
    __table_args__ = (
        sa.UniqueConstraint("year", "category", "name"),
        sa.CheckConstraint("category <> 'professional'", name="public_categories_only"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int]
    category: Mapped[Category] = mapped_column(str_enum(Category, "topic_category"))
    name: Mapped[str] = mapped_column(sa.String(60))
    position: Mapped[int] = mapped_column(default=0)


course_title_series = sa.Table(
    "course_title_series",
    Base.metadata,
    sa.Column("course_id", sa.ForeignKey("courses.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("title_series_id", sa.ForeignKey("title_series.id"), primary_key=True),
)


class Course(Base):
    __tablename__ = "courses"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(120))
    #: Plain text; paragraphs are kept, nothing is rendered as HTML.
    description: Mapped[str] = mapped_column(sa.Text, default="")
    category: Mapped[Category] = mapped_column(str_enum(Category, "course_category"))
    topic_id: Mapped[int | None] = mapped_column(sa.ForeignKey("topics.id"))
    provider_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    #: Path of the cover image under the media root, if one was uploaded.
    cover: Mapped[str | None] = mapped_column(sa.String(200))
    status: Mapped[CourseStatus] = mapped_column(
        str_enum(CourseStatus, "course_status"), default=CourseStatus.draft, index=True
    )
    #: Why the city returned a submitted course to its provider, shown to the provider.
    review_note: Mapped[str | None] = mapped_column(sa.Text)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    published_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    provider: Mapped[Organisation] = relationship()
    topic: Mapped[Topic | None] = relationship()
    title_series: Mapped[list[TitleSeries]] = relationship(
        secondary=course_title_series, order_by=TitleSeries.position
    )
    videos: Mapped[list[Video]] = relationship(
        back_populates="course", order_by="[Video.position, Video.id]",
        cascade="all, delete-orphan",
    )

    @property
    def ready_videos(self) -> list[Video]:
        return [v for v in self.videos if v.state is VideoState.ready]

    @property
    def duration_seconds(self) -> int:
        return sum(v.duration_seconds or 0 for v in self.ready_videos)

    @property
    def credit_hours(self) -> str:
        return credit_hours(self.duration_seconds)

    def can_edit(self, user: User) -> bool:
        """The course's own provider may change it (and submit it) while it is a draft or
        returned to it."""
        return self.status.with_provider and user.has_role(Role.provider, self.provider)

    def can_manage(self, user: User) -> bool:
        """See the course's back office: its provider, or a city admin."""
        return user.has_role(Role.provider, self.provider) or user.is_city_admin

    def can_view(self, user: User) -> bool:
        """See and stream it: anyone signed in once published; its provider and the city always."""
        return self.status is CourseStatus.published or self.can_manage(user)

    def can_see_exam(self, user: User) -> bool:
        """See its exam's settings, statistics and results: whoever manages the course, or an
        exam admin."""
        return user.has_role(Role.exam_admin) or self.can_manage(user)

    def can_set_exam(self, user: User) -> bool:
        """Change its exam's settings: while it is a draft or returned, its provider, a city
        admin or an exam admin; once submitted (under review, published, archived) only the
        city's exam admins, since learners may already be sitting it."""
        if user.has_role(Role.exam_admin):
            return True
        return self.status.with_provider and self.can_manage(user)


class Video(Base):
    __tablename__ = "videos"
    __table_args__ = (
        sa.CheckConstraint("received >= 0 AND received <= size", name="received_within_size"),
        sa.CheckConstraint("progress >= 0 AND progress <= 100", name="progress_is_percent"),
        sa.CheckConstraint(
            "state <> 'ready' OR (duration_seconds IS NOT NULL AND rendition IS NOT NULL)",
            name="ready_videos_have_media",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(
        sa.ForeignKey("courses.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(default=0)
    title: Mapped[str] = mapped_column(sa.String(120))
    #: The name the file had on the provider's computer: shown, never used as a path.
    original_filename: Mapped[str] = mapped_column(sa.String(255))
    #: Size in bytes announced when the upload began.
    size: Mapped[int] = mapped_column(sa.BigInteger)
    #: Bytes stored so far; an interrupted upload resumes from here.
    received: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    state: Mapped[VideoState] = mapped_column(
        str_enum(VideoState, "video_state"), default=VideoState.uploading, index=True
    )
    #: Why the file was refused or the transcode failed, for the provider.
    reason: Mapped[str | None] = mapped_column(sa.Text)
    #: Transcode progress, percent.
    progress: Mapped[int] = mapped_column(default=0)
    #: Measured by reading the file, never taken from the uploader.
    duration_seconds: Mapped[int | None]
    width: Mapped[int | None]
    height: Mapped[int | None]
    #: Directory of the published HLS renditions under the media root.
    rendition: Mapped[str | None] = mapped_column(sa.String(200))
    #: Bytes of the published renditions, counted against the provider's storage quota.
    rendition_bytes: Mapped[int | None] = mapped_column(sa.BigInteger)
    #: Transcode attempts so far.
    attempts: Mapped[int] = mapped_column(default=0)
    #: Last sign of life from the job working on it; a stale one means the worker died.
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    uploaded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    course: Mapped[Course] = relationship(back_populates="videos")

    @property
    def credit_hours(self) -> str:
        return credit_hours(self.duration_seconds or 0)

    @property
    def upload_percent(self) -> int:
        return int(self.received * 100 // self.size) if self.size else 0


class Enrollment(Base):
    """A learner's "my courses" entry, made when they start a course."""

    __tablename__ = "enrollments"
    __table_args__ = (sa.UniqueConstraint("user_id", "course_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    course_id: Mapped[int] = mapped_column(
        sa.ForeignKey("courses.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: The video the learner opened last, to resume there.
    last_video_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("videos.id", ondelete="SET NULL")
    )
    last_opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    course: Mapped[Course] = relationship()
    last_video: Mapped[Video | None] = relationship()
