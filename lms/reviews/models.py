"""A review (one per subject), its chain of steps per round, and its decisions."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.auth.models import Role, User
from lms.db import Base, UTCDateTime, append_only, str_enum
from lms.orgs.models import Organisation


class ReviewState(enum.StrEnum):
    in_review = "in_review"
    #: Approved at every step of the chain.
    approved = "approved"
    #: Rejected at some step: final.
    rejected = "rejected"
    #: Sent back for correction: the owner edits and submits again, in a new round.
    returned = "returned"
    #: Taken back by its owner before anyone decided; it may be submitted again.
    withdrawn = "withdrawn"

    @property
    def label(self) -> str:
        return str(STATE_LABELS[self])


STATE_LABELS = {
    ReviewState.in_review: _l("审核中"),
    ReviewState.approved: _l("已通过"),
    ReviewState.rejected: _l("未通过"),
    ReviewState.returned: _l("已退回修改"),
    ReviewState.withdrawn: _l("已撤回"),
}


class Action(enum.StrEnum):
    approve = "approve"
    reject = "reject"
    #: Return for correction.
    send_back = "return"

    @property
    def label(self) -> str:
        return str(ACTION_LABELS[self])


ACTION_LABELS = {
    Action.approve: _l("通过"),
    Action.reject: _l("不通过"),
    Action.send_back: _l("退回修改"),
}


class Review(Base):
    __tablename__ = "reviews"
    __table_args__ = (
        sa.CheckConstraint("round >= 1 AND position >= 0", name="round_and_position"),
        sa.Index("ix_reviews_workflow_state", "workflow", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The registered workflow's name ("declaration", ...).
    workflow: Mapped[str] = mapped_column(sa.String(32))
    #: Whose subject it is: they can never decide it.
    owner_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    state: Mapped[ReviewState] = mapped_column(str_enum(ReviewState, "review_state"))
    #: 1, then one more each time a returned or withdrawn subject is submitted again.
    round: Mapped[int] = mapped_column(default=1)
    #: The step of the round waiting for a decision (0-based), or past the last once approved.
    position: Mapped[int] = mapped_column(default=0)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: When it was approved, rejected, returned or withdrawn; None while in review.
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    owner: Mapped[User] = relationship()
    steps: Mapped[list[ReviewStep]] = relationship(
        back_populates="review", order_by="(ReviewStep.round, ReviewStep.position)",
        cascade="all, delete-orphan",
    )
    decisions: Mapped[list[Decision]] = relationship(
        back_populates="review", order_by="Decision.id", viewonly=True
    )

    @property
    def round_steps(self) -> list[ReviewStep]:
        return [s for s in self.steps if s.round == self.round]

    @property
    def current_step(self) -> ReviewStep | None:
        if self.state is not ReviewState.in_review:
            return None
        return next((s for s in self.round_steps if s.position == self.position), None)

    @property
    def round_decisions(self) -> list[Decision]:
        return [d for d in self.decisions if d.round == self.round]


class ReviewStep(Base):
    """One level of the chain of one round, fixed when the round was submitted."""

    __tablename__ = "review_steps"
    __table_args__ = (
        sa.UniqueConstraint("review_id", "round", "position"),
        sa.Index("ix_review_steps_role_org", "role", "org_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(sa.ForeignKey("reviews.id", ondelete="CASCADE"))
    round: Mapped[int]
    position: Mapped[int]
    #: Who decides this step: holders of ``role`` in ``org`` (an unscoped role: org is None).
    role: Mapped[Role] = mapped_column(str_enum(Role, "review_step_role"))
    org_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organisations.id"))

    review: Mapped[Review] = relationship(back_populates="steps")
    org: Mapped[Organisation | None] = relationship()

    @property
    def label(self) -> str:
        return self.org.name if self.org is not None else self.role.label


class Decision(Base):
    """One decision on one step: append-only (the database refuses UPDATE and DELETE), signed
    with a snapshot of who decided, and digested over what was decided."""

    __tablename__ = "review_decisions"
    __table_args__ = (
        # One decision per step: of two reviewers deciding at once, one is told it is taken.
        sa.UniqueConstraint("review_id", "round", "position"),
        sa.CheckConstraint("action = 'approve' OR reason IS NOT NULL", name="reason_given"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(sa.ForeignKey("reviews.id"), index=True)
    round: Mapped[int]
    position: Mapped[int]
    #: The step decided, as it was: its role and organisation.
    step_role: Mapped[Role] = mapped_column(str_enum(Role, "decision_step_role"))
    step_org_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organisations.id"))
    step_org_name: Mapped[str | None] = mapped_column(sa.String(100))
    action: Mapped[Action] = mapped_column(str_enum(Action, "review_action"))
    reason: Mapped[str | None] = mapped_column(sa.String(500))
    #: What the workflow measures and a reviewer may reduce (a declaration's seconds).
    amount: Mapped[int | None] = mapped_column(sa.BigInteger)
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: The signature: the reviewer as they were at that moment.
    reviewer_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    reviewer_name: Mapped[str] = mapped_column(sa.String(50))
    reviewer_role: Mapped[Role] = mapped_column(str_enum(Role, "decision_reviewer_role"))
    reviewer_role_label: Mapped[str] = mapped_column(sa.String(40))
    reviewer_org_name: Mapped[str | None] = mapped_column(sa.String(100))
    #: Decided in place of a step nobody could decide (by a later level, or the city).
    in_place: Mapped[bool] = mapped_column(default=False)
    #: SHA-256 of the subject's fields as decided (``services.digest``).
    digest: Mapped[str] = mapped_column(sa.String(64))

    review: Mapped[Review] = relationship(back_populates="decisions")

    @property
    def step_label(self) -> str:
        return self.step_org_name or self.step_role.label


append_only(Decision.__table__)  # type: ignore[arg-type]  # it is a Table
