"""Question banks and their questions, question files waiting for their import, and each
course's exam settings."""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Mapped, mapped_column, object_session, relationship

from lms.auth.models import Role, User
from lms.courses.models import Course, CourseStatus
from lms.db import Base, UTCDateTime, str_enum, utcnow
from lms.exam.papers import Rule, total
from lms.exam.questions import Draft, QuestionType
from lms.orgs.models import Organisation


class QuestionBank(Base):
    """Questions kept together, by the city's exam admins or by a provider for its courses."""

    __tablename__ = "question_banks"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(80))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    #: The provider that keeps it; None: the city's exam admins.
    provider_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("organisations.id"), index=True
    )
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    provider: Mapped[Organisation | None] = relationship()

    def can_manage(self, user: User) -> bool:
        """Keep it (see and export its questions): any exam admin, or the provider that keeps
        it. Changing them is ``can_change``."""
        return user.has_role(Role.exam_admin) or (
            self.provider is not None and user.has_role(Role.provider, self.provider)
        )

    def can_change(self, user: User) -> bool:
        """Change its questions (write, edit, retire, restore, import into): any exam admin;
        the provider that keeps it only while no course whose exam draws from it has left the
        provider's hands (``CourseStatus.with_provider``): a submitted or published exam's
        questions are the city's to change."""
        if user.has_role(Role.exam_admin):
            return True
        return self.can_manage(user) and not self.drawn_by_submitted()

    def drawn_by_submitted(self) -> list[Course]:
        """The courses submitted, published or archived whose exams draw from this bank."""
        session = object_session(self)
        if session is None or self.id is None:
            return []
        exams = session.scalars(
            sa.select(CourseExam).join(CourseExam.course)
            .where(Course.status.not_in([s for s in CourseStatus if s.with_provider]))
            .order_by(Course.id)
        )
        return [exam.course for exam in exams if self.id in exam.banks]


class Question(Base):
    """A question of a bank. Papers copy what they draw, so changing one never changes a
    paper already drawn; a question taken out of use is retired, not deleted."""

    __tablename__ = "questions"

    id: Mapped[int] = mapped_column(primary_key=True)
    bank_id: Mapped[int] = mapped_column(
        sa.ForeignKey("question_banks.id", ondelete="CASCADE"), index=True
    )
    type: Mapped[QuestionType] = mapped_column(str_enum(QuestionType, "question_type"))
    stem: Mapped[str] = mapped_column(sa.Text)
    #: The options' texts in order.
    options: Mapped[list[Any]] = mapped_column(sa.JSON)
    #: Indexes of the correct options.
    answer: Mapped[list[Any]] = mapped_column(sa.JSON)
    explanation: Mapped[str] = mapped_column(sa.Text, default="")
    difficulty: Mapped[int | None] = mapped_column(sa.SmallInteger)
    points: Mapped[Decimal | None] = mapped_column(sa.Numeric(5, 1))
    #: Categories and tags, for drawing papers.
    tags: Mapped[list[Any]] = mapped_column(sa.JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    bank: Mapped[QuestionBank] = relationship()

    @classmethod
    def from_draft(cls, bank: QuestionBank, draft: Draft) -> Question:
        question = cls(bank=bank)
        question.amend(draft)
        return question

    def amend(self, draft: Draft) -> None:
        self.type, self.stem, self.options = draft.type, draft.stem, list(draft.options)
        self.answer, self.explanation = sorted(draft.answer), draft.explanation
        self.difficulty, self.points, self.tags = draft.difficulty, draft.points, list(draft.tags)

    def draft(self) -> Draft:
        return Draft(self.type, self.stem, tuple(self.options), frozenset(self.answer),
                     self.explanation, self.difficulty, self.points, tuple(self.tags))


class QuestionImport(Base):
    """An uploaded question file between its preview and its import: kept so that the admin
    confirms exactly what was checked, and imported once however often confirm is pressed."""

    __tablename__ = "question_imports"

    id: Mapped[int] = mapped_column(primary_key=True)
    bank_id: Mapped[int] = mapped_column(
        sa.ForeignKey("question_banks.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    filename: Mapped[str] = mapped_column(sa.String(200))
    format: Mapped[str] = mapped_column(sa.String(10))
    data: Mapped[bytes] = mapped_column(sa.LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    imported_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    imported: Mapped[int | None]

    bank: Mapped[QuestionBank] = relationship()


class ShowAfter(enum.StrEnum):
    """What the learner sees of a submitted paper."""

    score = "score"  # 仅显示成绩
    #: 成绩；通过或用完本轮考试机会后，答错的题（不含答案）
    wrong = "wrong"
    #: as ``wrong``, and after a pass every question with its answer and explanation
    answers_after_pass = "answers_after_pass"  # 通过后显示全部答案与解析

    @property
    def label(self) -> str:
        return {"score": _("仅显示成绩"),
                "wrong": _("显示成绩；通过或用完考试机会后显示答错的题（不显示答案）"),
                "answers_after_pass": _("通过后显示全部答案和解析")}[self.value]


class CourseExam(Base):
    """A course's exam: how its papers are drawn, the pass mark, the time limit."""

    __tablename__ = "course_exams"

    course_id: Mapped[int] = mapped_column(
        sa.ForeignKey("courses.id", ondelete="CASCADE"), primary_key=True
    )
    #: Question banks papers are drawn from, and tags that narrow them (none: every question).
    banks: Mapped[list[Any]] = mapped_column(sa.JSON, default=list)
    tags: Mapped[list[Any]] = mapped_column(sa.JSON, default=list)
    #: [{"type": ..., "count": n, "points": "2"}] per question type.
    counts: Mapped[list[Any]] = mapped_column(sa.JSON, default=list)
    pass_mark: Mapped[Decimal] = mapped_column(sa.Numeric(5, 1), default=Decimal(60))
    minutes: Mapped[int] = mapped_column(default=60)
    shuffle_questions: Mapped[bool] = mapped_column(default=True)
    shuffle_options: Mapped[bool] = mapped_column(default=True)
    show_after: Mapped[ShowAfter] = mapped_column(str_enum(ShowAfter, "exam_show_after"),
                                                  default=ShowAfter.score)
    partial_credit: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    course: Mapped[Course] = relationship()

    def rules(self) -> list[Rule]:
        return [Rule(QuestionType(row["type"]), int(row["count"]), Decimal(row["points"]),
                     tuple(self.banks), tuple(self.tags))
                for row in self.counts if int(row["count"]) > 0]

    @property
    def total(self) -> Decimal:
        return total(self.rules())


class ExamAttempt(Base):
    """One sitting of a course's exam: its paper drawn and frozen at the start, the answers
    saved as the learner goes, the grade once submitted (by the learner, or by the clock)."""

    __tablename__ = "exam_attempts"
    __table_args__ = (sa.UniqueConstraint("user_id", "course_id", "cycle", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    course_id: Mapped[int] = mapped_column(
        sa.ForeignKey("courses.id", ondelete="CASCADE"), index=True
    )
    #: Study cycles: 1, then one more each time the learner re-studies the course.
    cycle: Mapped[int] = mapped_column(default=1)
    #: 1 or 2 within the cycle.
    number: Mapped[int]
    #: The frozen paper, with its answers: never sent to a browser as it is.
    paper: Mapped[list[Any]] = mapped_column(sa.JSON)
    #: Question key → chosen option ids.
    answers: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    deadline: Mapped[datetime] = mapped_column(UTCDateTime)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Submitted by the clock when the time ran out.
    timed_out: Mapped[bool] = mapped_column(default=False)
    score: Mapped[Decimal | None] = mapped_column(sa.Numeric(6, 1))
    total: Mapped[Decimal] = mapped_column(sa.Numeric(6, 1))
    pass_mark: Mapped[Decimal] = mapped_column(sa.Numeric(6, 1))
    partial_credit: Mapped[bool] = mapped_column(default=False)
    passed: Mapped[bool | None]

    course: Mapped[Course] = relationship()


class StudyCycle(Base):
    """A round of studying a course again after two failed attempts (申请重新学习). The
    first round has no row; each application adds the next."""

    __tablename__ = "study_cycles"
    __table_args__ = (sa.UniqueConstraint("user_id", "course_id", "cycle"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("courses.id", ondelete="CASCADE"))
    cycle: Mapped[int]
    applied_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: The watching progress of the round before, per video, as it was: kept, not deleted.
    archived_progress: Mapped[list[Any]] = mapped_column(sa.JSON, default=list)
