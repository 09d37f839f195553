"""Question banks and their questions, and question files waiting for their import."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.auth.models import Role, User
from lms.db import Base, UTCDateTime, str_enum, utcnow
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
        """Change its questions: any exam admin, or the provider that keeps it."""
        return user.has_role(Role.exam_admin) or (
            self.provider is not None and user.has_role(Role.provider, self.provider)
        )


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
        return cls(bank=bank, type=draft.type, stem=draft.stem, options=list(draft.options),
                   answer=sorted(draft.answer), explanation=draft.explanation,
                   difficulty=draft.difficulty, points=draft.points, tags=list(draft.tags))

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
