"""Accounts, scoped roles, server-side login sessions and login throttling."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.auth.idcard import mask_id_number
from lms.db import Base, UTCDateTime, str_enum, utcnow
from lms.orgs.models import Organisation, OrgKind, TitleSeries


class Role(enum.StrEnum):
    learner = "learner"
    provider = "provider"
    exam_admin = "exam_admin"
    unit_reviewer = "unit_reviewer"
    department_reviewer = "department_reviewer"
    district_reviewer = "district_reviewer"
    city_admin = "city_admin"

    @property
    def label(self) -> str:
        return str(ROLE_LABELS[self])

    @property
    def scope_kind(self) -> OrgKind | None:
        """The kind of organisation this role is scoped to, or None for an unscoped role."""
        return ROLE_SCOPES.get(self)


ROLE_LABELS = {
    Role.learner: _l("专业技术人员"),
    Role.provider: _l("培训机构管理员"),
    Role.exam_admin: _l("题库管理员"),
    Role.unit_reviewer: _l("单位审核员"),
    Role.department_reviewer: _l("主管部门审核员"),
    Role.district_reviewer: _l("区市人社局审核员"),
    Role.city_admin: _l("市人社局管理员"),
}

ROLE_SCOPES = {
    Role.provider: OrgKind.provider,
    Role.unit_reviewer: OrgKind.unit,
    Role.department_reviewer: OrgKind.department,
    Role.district_reviewer: OrgKind.district,
}


class AccountState(enum.StrEnum):
    #: Self-registered, waiting for the unit's reviewer.
    pending = "pending"
    active = "active"
    #: Account switched off by an admin; it keeps its ID number.
    disabled = "disabled"
    #: Registration refused by the unit (with a reason) or left unreviewed too long: the row
    #: stays on record, the ID number is free for its real owner.
    refused = "refused"



class User(UserMixin, Base):
    __tablename__ = "users"
    __table_args__ = (
        # One account holds a number; refused registrations and accounts whose number a city
        # admin released keep theirs on record only (``holding_id_number`` says the same).
        sa.Index(
            "uq_users_id_number_held",
            "id_number",
            unique=True,
            sqlite_where=sa.text("state <> 'refused' AND id_number_released_at IS NULL"),
            postgresql_where=sa.text("state <> 'refused' AND id_number_released_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: 18-character resident ID number, upper-case X; the login name of the one account
    #: that holds it (see ``uq_users_id_number_held``).
    id_number: Mapped[str] = mapped_column(sa.String(18), index=True)
    name: Mapped[str] = mapped_column(sa.String(50))
    phone: Mapped[str | None] = mapped_column(sa.String(20))
    password_hash: Mapped[str] = mapped_column(sa.String(256))
    #: Set when someone else chose the password (admin, import): it must be changed at login.
    must_change_password: Mapped[bool] = mapped_column(default=False)
    state: Mapped[AccountState] = mapped_column(
        str_enum(AccountState, "account_state"), default=AccountState.pending
    )
    unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    title_series_id: Mapped[int | None] = mapped_column(sa.ForeignKey("title_series.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: When and by whom the account was activated or refused (imports and admins count too).
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reviewed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    #: Why the registration was refused, as the reviewer wrote it (shown to the person).
    refusal_reason: Mapped[str | None] = mapped_column(sa.String(200))
    #: When a city admin released the ID number of this (disabled) account, registered by
    #: someone who is not its owner: the account and its records stay, the number is free.
    id_number_released_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    unit: Mapped[Organisation | None] = relationship(foreign_keys=[unit_id])
    title_series: Mapped[TitleSeries | None] = relationship()
    roles: Mapped[list[RoleAssignment]] = relationship(
        back_populates="user",
        foreign_keys="RoleAssignment.user_id",
        cascade="all, delete-orphan",
        order_by="RoleAssignment.id",
    )

    def __repr__(self) -> str:
        return f"<User {self.id} {self.masked_id_number}>"

    @property
    def masked_id_number(self) -> str:
        return mask_id_number(self.id_number)

    @property
    def holds_id_number(self) -> bool:
        """Whether this account is the one that holds its ID number (and logs in with it)."""
        return self.state is not AccountState.refused and self.id_number_released_at is None

    @classmethod
    def holding_id_number(cls) -> sa.ColumnElement[bool]:
        """``holds_id_number`` in SQL: the predicate of ``uq_users_id_number_held``."""
        return sa.and_(cls.state != AccountState.refused, cls.id_number_released_at.is_(None))

    @property
    def is_active(self) -> bool:  # Flask-Login refuses to log in inactive users
        return self.state is AccountState.active

    def has_role(self, role: Role, org: Organisation | None = None) -> bool:
        """Whether the user holds ``role`` (scoped to ``org`` when one is given)."""
        return any(
            a.role is role and (org is None or a.org_id == org.id) for a in self.roles
        )

    def scopes(self, role: Role) -> list[Organisation]:
        """The organisations the user holds ``role`` for."""
        return [a.org for a in self.roles if a.role is role and a.org is not None]

    @property
    def is_city_admin(self) -> bool:
        return self.has_role(Role.city_admin)

    def can_manage_unit(self, unit: Organisation | None) -> bool:
        """Activate, import and list the staff of ``unit``: its reviewer, or a city admin."""
        if unit is None:
            return False
        return self.is_city_admin or self.has_role(Role.unit_reviewer, unit)

    def can_see_full_id_number_of(self, other: User) -> bool:
        """The full ID number (with name, phone and title series) of a pending registration is
        for its own unit's reviewer, who must tell whether it is the person's own; everyone
        else, and every other state, sees it masked."""
        return other.state is AccountState.pending and other.unit is not None and self.has_role(
            Role.unit_reviewer, other.unit
        )

    def can_release_id_number_of(self, other: User) -> bool:
        """Release the number of an account registered by someone who is not its owner: a city
        admin, for an account (not their own) that holds its number."""
        return self.is_city_admin and other.id != self.id and other.holds_id_number

    def can_reset_password_of(self, other: User) -> bool:
        """A city admin may reset anyone's password; a unit's reviewer only that of the unit's
        learners who hold no other role (never a reviewer's or an admin's)."""
        if self.is_city_admin:
            return True
        return (
            self.can_manage_unit(other.unit)
            and other.id != self.id
            and all(a.role is Role.learner for a in other.roles)
        )

    @property
    def managed_units(self) -> list[Organisation]:
        return self.scopes(Role.unit_reviewer)

    def oversees(self, unit: Organisation | None) -> bool:
        """Whether ``unit`` is in the user's oversight: they review it (its own reviewer, a
        reviewer of its supervising department or of its district) or are a city admin. The
        one rule of who reviews a unit's declarations and sees its staff's year;
        ``overseen_units`` says the same in SQL."""
        if unit is None or unit.kind is not OrgKind.unit:
            return False
        return self.is_city_admin or any(
            (a.role is Role.unit_reviewer and a.org_id == unit.id)
            or (a.role is Role.department_reviewer and a.org_id == unit.department_id)
            or (a.role is Role.district_reviewer and a.org_id == unit.district_id)
            for a in self.roles
            if a.org_id is not None
        )

    def overseen_units(self) -> sa.ColumnElement[bool]:
        """``oversees`` over ``Organisation`` rows, in SQL."""
        units = Organisation.kind == OrgKind.unit
        if self.is_city_admin:
            return units

        def ids(role: Role) -> list[int]:
            return [org.id for org in self.scopes(role)]

        return sa.and_(units, sa.or_(
            Organisation.id.in_(ids(Role.unit_reviewer)),
            Organisation.department_id.in_(ids(Role.department_reviewer)),
            Organisation.district_id.in_(ids(Role.district_reviewer)),
        ))

    def can_see_staff_year_of(self, unit: Organisation | None) -> bool:
        """See each staff member's annual completion in ``unit`` (ID numbers masked): whoever
        oversees it."""
        return self.oversees(unit)

    def can_export_staff_of(self, unit: Organisation | None) -> bool:
        """Export ``unit``'s staff with their whole ID numbers, for the unit's own HR matching:
        the unit's reviewer or a city admin; supervisors see the table masked, never export."""
        return unit is not None and unit.kind is OrgKind.unit and self.can_manage_unit(unit)

    @property
    def sees_units_standing(self) -> bool:
        """The per-unit table of annual completion (学时统计): a department's or a district's
        reviewer, a city admin; a unit's reviewer gets the units they keep."""
        return self.is_city_admin or any(
            a.role in (Role.department_reviewer, Role.district_reviewer, Role.unit_reviewer)
            for a in self.roles
        )


class RoleAssignment(Base):
    """A role a user holds, with the organisation it is scoped to for scoped roles."""

    __tablename__ = "role_assignments"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "role", "org_id"),
        # NULLs are distinct in unique constraints: unscoped roles need their own index.
        sa.Index(
            "uq_role_assignments_unscoped",
            "user_id",
            "role",
            unique=True,
            sqlite_where=sa.text("org_id IS NULL"),
            postgresql_where=sa.text("org_id IS NULL"),
        ),
        sa.CheckConstraint(
            "(role IN ('provider', 'unit_reviewer', 'department_reviewer', 'district_reviewer'))"
            " = (org_id IS NOT NULL)",
            name="scoped_roles_have_org",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    role: Mapped[Role] = mapped_column(str_enum(Role, "role"))
    org_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organisations.id"))
    granted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship(back_populates="roles", foreign_keys=[user_id])
    org: Mapped[Organisation | None] = relationship()

    @property
    def label(self) -> str:
        return f"{self.role.label} · {self.org.name}" if self.org else self.role.label


class LoginSession(Base):
    """One login on one device. Logging out ends it; the cookie alone is then worthless."""

    __tablename__ = "login_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: SHA-256 of the random token kept in the signed session cookie.
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    client_address: Mapped[str | None] = mapped_column(sa.String(45))
    user_agent: Mapped[str | None] = mapped_column(sa.String(200))

    user: Mapped[User] = relationship()


class LoginThrottle(Base):
    """Recent failed logins for one account or one client address."""

    __tablename__ = "login_throttles"

    #: "account:…", "pair:…" (account and address), "address:…" or "device:…", each followed
    #: by an HMAC of what it names (lms.auth.throttle): no ID number, no address.
    key: Mapped[str] = mapped_column(sa.String(80), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    last_failure_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: No attempt for this key is checked before this moment.
    blocked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (sa.CheckConstraint("failures >= 0", name="failures_not_negative"),)


class ApiToken(Base):
    """A bearer token for non-browser clients of the JSON API."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: SHA-256 of the token; the token itself is shown once, when it is made.
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()
