"""A declaration and its evidence, the year's rules per type, and rectification orders."""

from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.attachments.models import Attachment
from lms.auth.models import Role, User
from lms.courses.models import Category, credit_hours
from lms.db import Base, UTCDateTime, str_enum, utcnow
from lms.orgs.models import Organisation, OrgKind
from lms.reviews.models import Review, ReviewState

#: Hours are claimed in steps of half a 学时.
HALF_HOUR_SECONDS = 1350


class DeclarationType(enum.StrEnum):
    training = "training"
    expert_service = "expert_service"
    self_study = "self_study"
    achievement = "achievement"

    @property
    def label(self) -> str:
        return str(TYPE_LABELS[self])


TYPE_LABELS = {
    DeclarationType.training: _l("培训进修"),
    DeclarationType.expert_service: _l("专家服务"),
    DeclarationType.self_study: _l("自学考试"),
    DeclarationType.achievement: _l("成果著作"),
}


class Status(enum.StrEnum):
    """Where a declaration stands: a draft, or its review's state."""

    draft = "draft"
    in_review = "in_review"
    approved = "approved"
    rejected = "rejected"
    returned = "returned"
    withdrawn = "withdrawn"

    @property
    def label(self) -> str:
        return str(_l("草稿")) if self is Status.draft else ReviewState(self.value).label

    @property
    def editable(self) -> bool:
        return self in (Status.draft, Status.returned, Status.withdrawn)


class Declaration(Base):
    __tablename__ = "declarations"
    __table_args__ = (
        sa.CheckConstraint(
            f"claimed_seconds > 0 AND claimed_seconds % {HALF_HOUR_SECONDS} = 0",
            name="claimed_in_half_hours",
        ),
        sa.CheckConstraint("end_date >= start_date", name="dates_in_order"),
        sa.CheckConstraint(
            "approved_seconds IS NULL OR (approved_seconds > 0 "
            "AND approved_seconds <= claimed_seconds)",
            name="approved_within_claim",
        ),
        sa.Index("ix_declarations_user_year", "user_id", "year"),
        sa.Index("ix_declarations_unit_year", "unit_id", "year"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    #: The declarant's unit when it was last saved: its chain reviews it.
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"))
    type: Mapped[DeclarationType] = mapped_column(str_enum(DeclarationType, "declaration_type"))
    title: Mapped[str] = mapped_column(sa.String(120))
    #: The organiser of the training, or the body that issued the result.
    organiser: Mapped[str] = mapped_column(sa.String(120))
    start_date: Mapped[date]
    end_date: Mapped[date]
    #: The year the hours count for: the end date's.
    year: Mapped[int]
    category: Mapped[Category] = mapped_column(str_enum(Category, "declaration_category"))
    claimed_seconds: Mapped[int]
    #: What the chain approved (possibly reduced), set at final approval.
    approved_seconds: Mapped[int | None]
    description: Mapped[str] = mapped_column(sa.Text, default="")
    review_id: Mapped[int | None] = mapped_column(sa.ForeignKey("reviews.id"), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    user: Mapped[User] = relationship()
    unit: Mapped[Organisation] = relationship()
    review: Mapped[Review | None] = relationship()
    evidence: Mapped[list[Evidence]] = relationship(
        back_populates="declaration", order_by="Evidence.id", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<Declaration {self.id} {self.type.value} {self.title!r}>"

    @property
    def status(self) -> Status:
        return Status.draft if self.review is None else Status(self.review.state.value)

    @property
    def claimed_hours(self) -> str:
        return credit_hours(self.claimed_seconds)

    @property
    def days(self) -> int:
        return (self.end_date - self.start_date).days + 1

    def can_edit(self, user: User) -> bool:
        """Its declarant, while it is a draft, returned for correction or withdrawn."""
        return user.id == self.user_id and self.status.editable

    def can_withdraw(self, user: User) -> bool:
        """Its declarant, while in review and before anyone decided it in this round."""
        review = self.review
        return (
            user.id == self.user_id and review is not None
            and review.state is ReviewState.in_review and not review.round_decisions
        )

    def can_see(self, user: User) -> bool:
        """Its declarant; once submitted, the reviewers whose scope covers its unit and the
        city admin (a draft is its declarant's alone)."""
        return user.id == self.user_id or (self.review is not None and user.oversees(self.unit))

    def can_review(self, user: User) -> bool:
        """Take part in its review (whether a step is theirs now is ``reviews.capacity``): the
        reviewers whose scope covers it and the city, never its declarant."""
        return (user.id != self.user_id and self.review is not None
                and user.oversees(self.unit))

    def can_revoke(self, user: User) -> bool:
        """Approved hours are revoked by the district's HR bureau or the city, never by the
        declarant."""
        if self.status is not Status.approved or user.id == self.user_id:
            return False
        district = self.unit.district
        return user.is_city_admin or (
            district is not None and user.has_role(Role.district_reviewer, district)
        )


class Evidence(Base):
    """A file backing a declaration (certificate, notice, publication)."""

    __tablename__ = "declaration_evidence"

    id: Mapped[int] = mapped_column(primary_key=True)
    declaration_id: Mapped[int] = mapped_column(
        sa.ForeignKey("declarations.id", ondelete="CASCADE"), index=True
    )
    attachment_id: Mapped[int] = mapped_column(sa.ForeignKey("attachments.id"), unique=True)

    declaration: Mapped[Declaration] = relationship(back_populates="evidence")
    attachment: Mapped[Attachment] = relationship()


class DeclarationRule(Base):
    """What one type may claim in one year, as the city set it."""

    __tablename__ = "declaration_rules"
    __table_args__ = (sa.UniqueConstraint("year", "type"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int]
    type: Mapped[DeclarationType] = mapped_column(str_enum(DeclarationType, "rule_type"))
    #: The categories the type may count toward: ``Category`` values, comma-separated.
    categories: Mapped[str] = mapped_column(sa.String(100))
    #: Caps in seconds; None: no cap of that kind.
    max_seconds_per_item: Mapped[int | None]
    max_seconds_per_day: Mapped[int | None]
    max_seconds_per_year: Mapped[int | None]
    evidence_required: Mapped[bool] = mapped_column(default=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    @property
    def category_list(self) -> list[Category]:
        return [Category(c) for c in self.categories.split(",") if c]


class RectificationOrder(Base):
    """An order to a unit, or a department and all its units, to rectify (责令整改)."""

    __tablename__ = "rectification_orders"
    __table_args__ = (
        sa.CheckConstraint("(lifted_at IS NULL) = (lifted_by_id IS NULL)", name="lift_signed"),
        sa.Index("ix_rectification_orders_org_lifted", "org_id", "lifted_at"),
        # One standing order per organisation, even when two are issued at once.
        sa.Index("uq_rectification_orders_standing", "org_id", unique=True,
                 sqlite_where=sa.text("lifted_at IS NULL"),
                 postgresql_where=sa.text("lifted_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: A unit, or a department (all the units it supervises).
    org_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"))
    reason: Mapped[str] = mapped_column(sa.String(500))
    deadline: Mapped[date]
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    issued_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    #: The rectification report the unit uploaded (整改报告), and when.
    report_id: Mapped[int | None] = mapped_column(sa.ForeignKey("attachments.id"))
    reported_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lifted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lifted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    org: Mapped[Organisation] = relationship()
    issued_by: Mapped[User] = relationship(foreign_keys=[issued_by_id])
    lifted_by: Mapped[User | None] = relationship(foreign_keys=[lifted_by_id])
    report: Mapped[Attachment | None] = relationship()

    @property
    def standing(self) -> bool:
        return self.lifted_at is None

    @property
    def title(self) -> str:
        """What the audit record and the pages call it: the organisation ordered."""
        return self.org.name

    @property
    def on_department(self) -> bool:
        return self.org.kind is OrgKind.department

    def overdue_on(self, day: date) -> bool:
        """Still standing after its deadline."""
        return self.standing and day > self.deadline

    @staticmethod
    def may_order(user: User, org: Organisation) -> bool:
        """The city admin orders any unit or department; a district's HR bureau orders the
        units of its own district only."""
        if org.kind is OrgKind.department:
            return user.is_city_admin
        if org.kind is not OrgKind.unit:
            return False
        return user.is_city_admin or (
            org.district is not None and user.has_role(Role.district_reviewer, org.district))

    def can_see(self, user: User) -> bool:
        """Who may order it, its issuer, and the reviewers of what it orders: the unit's (or
        the department's and its units'), and the unit's department's."""
        org = self.org
        if user.id == self.issued_by_id or self.may_order(user, org):
            return True
        if self.on_department:
            return user.has_role(Role.department_reviewer, org) or any(
                unit.department_id == org.id for unit in user.scopes(Role.unit_reviewer))
        return user.has_role(Role.unit_reviewer, org) or (
            org.department is not None and user.has_role(Role.department_reviewer,
                                                         org.department))

    def can_report(self, user: User) -> bool:
        """Upload the rectification report while it stands: the unit's reviewer; for a
        department, the department's reviewer (on behalf of all its units)."""
        role = Role.department_reviewer if self.on_department else Role.unit_reviewer
        return self.standing and user.has_role(role, self.org)

    def can_lift(self, user: User) -> bool:
        """The city admin, or its issuer while they may still order the organisation."""
        return self.standing and (user.is_city_admin or (
            user.id == self.issued_by_id and self.may_order(user, self.org)))
