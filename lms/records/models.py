"""The learning record (学习档案): every credited item, one row per learner and course, ever."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.auth.models import User
from lms.courses.models import Category, Course
from lms.db import Base, UTCDateTime, str_enum, utcnow


class Source(enum.StrEnum):
    online_course = "online_course"
    special_training = "special_training"
    declaration = "declaration"

    @property
    def label(self) -> str:
        return str(SOURCE_LABELS[self])


SOURCE_LABELS = {
    Source.online_course: _l("网络课程"),
    Source.special_training: _l("专题培训"),
    Source.declaration: _l("学时申报"),
}


class LearningRecord(Base):
    """One credited item. A revoked row stays, with who revoked it, when and why; every total
    skips it (``LearningRecord.counts()``)."""

    __tablename__ = "learning_records"
    __table_args__ = (
        # A retry, a double click or two servers at once can never credit a course twice.
        sa.UniqueConstraint("user_id", "course_id"),
        sa.CheckConstraint("seconds > 0", name="seconds_positive"),
        sa.CheckConstraint(
            "(revoked_at IS NULL) = (revoke_reason IS NULL)", name="revocation_has_reason"
        ),
        sa.Index("ix_learning_records_user_year", "user_id", "year"),
        # A unit's year (lms.records.standing) reads only what counts, from the index alone.
        sa.Index("ix_learning_records_counted_year_user", "year", "user_id",
                 postgresql_include=["category", "seconds"],
                 postgresql_where=sa.text("revoked_at IS NULL"),
                 sqlite_where=sa.text("revoked_at IS NULL")),
        # An approved declaration is credited once, however often its approval is retried.
        sa.Index("uq_learning_records_declaration_id", "declaration_id", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    course_id: Mapped[int | None] = mapped_column(sa.ForeignKey("courses.id"))
    #: The approved declaration (学时申报) it credits; the table belongs to a workflow above.
    declaration_id: Mapped[int | None] = mapped_column(sa.ForeignKey("declarations.id"))
    #: What the item was called when it was credited.
    title: Mapped[str] = mapped_column(sa.String(120))
    category: Mapped[Category] = mapped_column(str_enum(Category, "record_category"))
    #: Credited time; 2,700 seconds make one 学时.
    seconds: Mapped[int]
    #: The calendar year (Asia/Shanghai) the hours count for.
    year: Mapped[int]
    source: Mapped[Source] = mapped_column(str_enum(Source, "record_source"))
    credited_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    revoke_reason: Mapped[str | None] = mapped_column(sa.String(200))

    course: Mapped[Course | None] = relationship()
    revoked_by: Mapped[User | None] = relationship(foreign_keys=[revoked_by_id])

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None

    @classmethod
    def counts(cls) -> sa.ColumnElement[bool]:
        """The rows every total adds up: those not revoked."""
        return cls.revoked_at.is_(None)
