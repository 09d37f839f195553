"""Activating learners, creating staff accounts, granting roles. Every function checks first."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _

from lms.audit import services as audit
from lms.auth import sessions
from lms.auth.guards import require
from lms.auth.models import AccountState, Role, RoleAssignment, User
from lms.auth.passwords import generate_password, hash_one_time_password
from lms.auth.services import add_user
from lms.db import utcnow
from lms.extensions import db
from lms.orgs.models import Organisation, OrgKind, TitleSeries
from lms.pagination import Page, paginate

logger = logging.getLogger(__name__)
PAGE_SIZE = 50


def roster(
    unit: Organisation, state: AccountState, page: int = 1, search: str = ""
) -> Page[User]:
    """A page of the unit's people in ``state``, newest first."""
    query = sa.select(User).where(User.unit_id == unit.id, User.state == state)
    if search:
        query = query.where(User.name.contains(search.strip(), autoescape=True))
    return paginate(query.order_by(User.created_at.desc(), User.id.desc()), page, PAGE_SIZE)


def _reviewing(user: User) -> list[audit.Capacity]:
    """Who may review ``user``'s registration, as ``User.can_manage_unit`` says."""
    return [Role.city_admin, (Role.unit_reviewer, user.unit)]


@audit.privileged("registration.activate")
def activate(actor: User, user: User) -> bool:
    """Activate a pending registration; False if it was not pending (a repeated click)."""
    require(actor.can_manage_unit(user.unit))
    if user.state is not AccountState.pending:
        return False
    user.state = AccountState.active
    user.reviewed_at = utcnow()
    user.reviewed_by_id = actor.id
    db.session.flush()
    audit.record(actor, "registration.activate", user, acting_as=_reviewing(user))
    logger.info("user %s activated by %s", user.id, actor.id)
    return True


@audit.privileged("registration.reject")
def reject(actor: User, user: User, reason: str) -> bool:
    """Refuse a pending registration, saying why; False if it was not pending (a repeated
    click). The row stays so the decision is on record, and no longer holds the ID number."""
    require(actor.can_manage_unit(user.unit))
    reason = " ".join(reason.split())
    if not reason:
        raise ValueError(_("请填写驳回原因。"))
    if user.state is not AccountState.pending:
        return False
    user.state = AccountState.refused
    user.refusal_reason = reason[:200]
    user.reviewed_at = utcnow()
    user.reviewed_by_id = actor.id
    db.session.flush()
    audit.record(actor, "registration.reject", user, acting_as=_reviewing(user), reason=reason)
    return True


@audit.privileged("account.release")
def release_id_number(actor: User, user: User, reason: str) -> None:
    """A city admin frees the ID number of an account registered by someone who is not its
    owner: the account is disabled (its records stay with it, its sessions end) and no longer
    holds the number, which its real owner can then register."""
    require(actor.can_release_id_number_of(user))
    reason = " ".join(reason.split())
    if not reason:
        raise ValueError(_("请填写释放原因。"))
    user.state = AccountState.disabled
    user.id_number_released_at = utcnow()
    sessions.end_all(user)
    db.session.flush()
    audit.record(actor, "account.release", user, acting_as=[Role.city_admin], reason=reason)
    logger.info("id number of user %s released by %s", user.id, actor.id)


#: The reason given to a registration no reviewer decided on in time (stored as data, and shown
#: to the person at login as the reason of any refusal is).
EXPIRED_REASON = "逾期未审核"


def expire_registrations(days: int, now: datetime | None = None) -> list[User]:
    """Refuse the registrations left pending for more than ``days`` days, so that their ID
    numbers are free again; each refusal is recorded as the system's. Run by
    ``lms user expire-registrations`` (from cron); flushes, never commits."""
    if days < 1:
        raise ValueError("registrations expire after at least one day")
    now = now or utcnow()
    stale = list(db.session.scalars(
        sa.select(User)
        .where(User.state == AccountState.pending, User.created_at < now - timedelta(days=days))
        .order_by(User.id)
    ))
    for user in stale:
        user.state = AccountState.refused
        user.refusal_reason = EXPIRED_REASON
        user.reviewed_at = now
        user.reviewed_by_id = None
        db.session.flush()
        audit.record(None, "registration.reject", user, reason=EXPIRED_REASON,
                     details={"expired_after_days": days})
    if stale:
        logger.info("%d registrations pending for over %d days refused", len(stale), days)
    return stale


@dataclass(frozen=True)
class NewAccount:
    user: User
    #: Shown once to whoever created the account; only its hash is stored.
    password: str


@audit.privileged("account.open")
def create_staff_account(
    actor: User,
    *,
    id_number: str,
    name: str,
    phone: str | None,
    role: Role,
    org: Organisation | None,
    unit: Organisation | None = None,
) -> NewAccount:
    """A city admin opens an active account with one role and a one-time password."""
    require(actor.is_city_admin)
    return open_account(
        id_number=id_number, name=name, phone=phone, role=role, org=org, unit=unit, by=actor
    )


def open_account(
    *,
    id_number: str,
    name: str,
    phone: str | None,
    role: Role,
    org: Organisation | None,
    unit: Organisation | None = None,
    by: User | None = None,
) -> NewAccount:
    """Open an active account with a one-time password. No permission check: callers do it
    (the ``lms user create`` command is run by whoever operates the server)."""
    check_grant(role, org, unit)
    account = one_time_account(id_number=id_number, name=name, phone=phone, unit=unit, by=by)
    add_user(account.user)
    add_role(account.user, role, org, by)
    audit.record(by, "account.open", account.user, acting_as=[Role.city_admin],
                 details=_role_details(role, org) | {"unit": unit.name if unit else None})
    return account


def one_time_account(
    *,
    id_number: str,
    name: str,
    phone: str | None,
    unit: Organisation | None,
    by: User | None,
    title_series: TitleSeries | None = None,
) -> NewAccount:
    """An active account someone else opened, with a one-time password to change at first
    login (not yet added to the session)."""
    password = generate_password()
    user = User(
        id_number=id_number,
        name=name,
        phone=phone,
        unit=unit,
        title_series=title_series,
        password_hash=hash_one_time_password(password),
        must_change_password=True,
        state=AccountState.active,
        reviewed_at=utcnow(),
        reviewed_by_id=by.id if by else None,
    )
    return NewAccount(user, password)


def check_grant(role: Role, org: Organisation | None, unit: Organisation | None) -> None:
    """Raise ValueError unless ``role`` may be held with scope ``org`` by someone in ``unit``."""
    kind = role.scope_kind
    if kind is None and org is not None:
        raise ValueError(_("该角色不限定机构，请不要选择机构。"))
    if kind is not None and (org is None or org.kind is not kind):
        raise ValueError(_("该角色须选择一个对应的机构。"))
    if role is Role.learner and (unit is None or unit.kind is not OrgKind.unit):
        raise ValueError(_("专业技术人员须先有所在单位。"))


def _role_details(role: Role, org: Organisation | None) -> dict[str, object]:
    return {"role": role.value, "org": org.name if org else None}


@audit.privileged("role.grant")
def grant_role(actor: User, user: User, role: Role, org: Organisation | None) -> RoleAssignment:
    """A city admin gives ``user`` a role (a role already held is left as it is)."""
    require(actor.is_city_admin)
    held = list(user.roles)
    assignment = add_role(user, role, org, actor)
    if assignment not in held:
        audit.record(actor, "role.grant", user, acting_as=[Role.city_admin],
                     details=_role_details(role, org))
    return assignment


def add_role(
    user: User, role: Role, org: Organisation | None, by: User | None = None
) -> RoleAssignment:
    """Give ``user`` a role (idempotent: an existing grant is returned as it is)."""
    check_grant(role, org, user.unit)
    for existing in user.roles:
        if existing.role is role and existing.org_id == (org.id if org else None):
            return existing
    assignment = RoleAssignment(role=role, org=org, granted_by_id=by.id if by else None)
    user.roles.append(assignment)
    db.session.flush()
    logger.info("role %s (org %s) granted to %s", role, org and org.id, user.id)
    return assignment


@audit.privileged("role.revoke")
def revoke_role(actor: User, assignment: RoleAssignment) -> None:
    require(actor.is_city_admin)
    if assignment.user_id == actor.id and assignment.role is Role.city_admin:
        raise ValueError(_("不能撤销自己的市人社局管理员角色。"))
    user, details = assignment.user, _role_details(assignment.role, assignment.org)
    user.roles.remove(assignment)
    db.session.flush()
    audit.record(actor, "role.revoke", user, acting_as=[Role.city_admin], details=details)


@audit.privileged("staff.reset_password")
def reset_password(actor: User, user: User) -> str:
    """Give ``user`` a one-time password (to be changed at login) and end their sessions."""
    require(actor.can_reset_password_of(user))
    password = generate_password()
    user.password_hash = hash_one_time_password(password)
    user.must_change_password = True
    sessions.end_all(user)
    db.session.flush()
    audit.record(actor, "staff.reset_password", user, acting_as=_reviewing(user))
    return password


def looks_like_id_number(text: str) -> bool:
    return len(text) == 18 and text[:17].isdigit()


def search_accounts(text: str, limit: int = 50) -> list[User]:
    """Accounts whose name contains ``text`` or whose ID number is ``text``."""
    query = sa.select(User).order_by(User.id.desc()).limit(limit)
    text = text.strip()
    if text:
        query = query.where(
            sa.or_(User.name.contains(text, autoescape=True), User.id_number == text.upper())
        )
    return list(db.session.scalars(query))
