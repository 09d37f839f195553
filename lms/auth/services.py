"""Logging in, registering and passwords. Services flush; the caller commits."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _

from lms.auth import devices, throttle
from lms.auth.models import AccountState, LoginSession, Role, RoleAssignment, User
from lms.auth.passwords import check_strength, constant_time, hash_password, verify_password
from lms.extensions import db
from lms.orgs.models import Organisation, OrgKind, TitleSeries

logger = logging.getLogger(__name__)


class LoginRefused(Exception):
    """The login did not succeed; str() is the message to show."""


class WrongPassword(ValueError):
    """The current password given does not match."""


class DuplicateIdNumber(ValueError):
    """An account with this ID number exists already."""


def user_by_id_number(id_number: str) -> User | None:
    """The account that holds ``id_number`` or, when none does, the latest one that held it
    (a refused registration's person is told why at login)."""
    holding = sa.case((User.holding_id_number(), 0), else_=1)
    return db.session.scalar(
        sa.select(User)
        .where(User.id_number == id_number.strip().upper())
        .order_by(holding, User.id.desc())
        .limit(1)
    )


@dataclass(frozen=True)
class Holder:
    """Whom the real owner of a number registered by someone else should contact: the unit
    of the account holding it and that unit's reviewers (nothing about the holder)."""

    unit: str | None
    reviewers: list[str]


def holder_of(id_number: str) -> Holder | None:
    """Whom to contact about the account holding ``id_number``, or None if none does."""
    user = user_by_id_number(id_number)
    if user is None or not user.holds_id_number:
        return None
    reviewers: list[str] = []
    if user.unit_id is not None:
        reviewers = list(db.session.scalars(
            sa.select(User.name)
            .join(RoleAssignment, RoleAssignment.user_id == User.id)
            .where(RoleAssignment.role == Role.unit_reviewer,
                   RoleAssignment.org_id == user.unit_id,
                   User.state == AccountState.active)
            .order_by(User.id)
        ))
    return Holder(user.unit.name if user.unit else None, reviewers)


@dataclass(frozen=True)
class Activation:
    """Who opened an account to its owner: the reviewer's name, where they act, and when."""

    reviewer: str
    where: str
    at: datetime | None


def activation_of(user: User) -> Activation | None:
    """Who activated ``user``'s registration (or opened the account), from the review columns;
    None when nobody did (an account opened from the command line)."""
    if user.state is not AccountState.active or user.reviewed_by_id is None:
        return None
    reviewer = db.session.get(User, user.reviewed_by_id)
    if reviewer is None:
        return None
    if user.unit is not None and reviewer.has_role(Role.unit_reviewer, user.unit):
        where = user.unit.name
    else:
        where = _("市人社局")
    return Activation(reviewer.name, where, user.reviewed_at)


def is_first_login(user: User) -> bool:
    """Whether ``user`` has never logged in (no login session was ever opened for them)."""
    return not db.session.scalar(sa.select(sa.exists().where(LoginSession.user_id == user.id)))


def authenticate(
    id_number: str, password: str, client_address: str | None, device_cookie: str | None = None
) -> User:
    """Check the credentials under the throttle; return the user or raise :class:`LoginRefused`.

    ``device_cookie`` is the browser's device cookie, if any (:mod:`lms.auth.devices`): one
    naming this account lets the owner past what other people's failures caused.
    Failures are flushed to the throttle table and must be committed by the caller even
    though the login failed.
    """
    user = user_by_id_number(id_number)
    device = devices.device_for(device_cookie, user)
    account = throttle.account_key(id_number)
    throttle.hold(account)
    keys: tuple[str, ...]
    checked: tuple[str, ...]
    if device is not None:
        keys = checked = (throttle.device_key(device),)
    else:
        pair = throttle.pair_key(id_number, client_address)
        address = throttle.address_key(client_address)
        keys = (account, pair, address)
        # The account's own waits stop only clients that have been failing: the owner at
        # another desk gets in at the first try.
        checked = keys if throttle.failed_lately(address) else (pair, address)
    block = throttle.current_block(*checked)
    if block is not None:
        if block.locked:
            minutes = (block.seconds_left + 59) // 60
            raise LoginRefused(
                _("密码错误次数过多，登录已被锁定，请 %(m)d 分钟后再试。", m=minutes)
            )
        raise LoginRefused(_("尝试过于频繁，请 %(s)d 秒后再试。", s=block.seconds_left))

    with constant_time():
        ok = user is not None and verify_password(user.password_hash, password)
    if user is None or not ok:
        throttle.record_failure(*keys)
        raise LoginRefused(_("身份证号或密码不正确。"))
    if user.state is AccountState.pending:
        raise LoginRefused(_("账号尚未激活，请等待所在单位审核。"))
    if user.state is AccountState.disabled:
        raise LoginRefused(_("账号已停用，如有疑问请联系所在单位。"))
    if user.state is AccountState.refused:
        raise LoginRefused(
            _("您的注册申请未通过，原因：%(reason)s。如有疑问请联系所在单位；核对信息后可重新注册。",
              reason=user.refusal_reason or "—")
        )
    throttle.clear(account, *keys[:2])  # never the address: others share it
    return user


@dataclass(frozen=True)
class Registration:
    id_number: str
    name: str
    phone: str
    unit: Organisation
    password: str
    title_series: TitleSeries | None = None


def register_learner(form: Registration) -> User:
    """Create a pending learner account for the unit's reviewer to activate."""
    if form.unit.kind is not OrgKind.unit:
        raise ValueError("learners register with an employer unit")
    check_strength(form.password, form.id_number)
    user = User(
        id_number=form.id_number,
        name=form.name,
        phone=form.phone,
        unit=form.unit,
        title_series=form.title_series,
        password_hash=hash_password(form.password),
        state=AccountState.pending,
    )
    user.roles.append(RoleAssignment(role=Role.learner))
    add_user(user)
    logger.info("learner registered for unit %s", form.unit.id)
    return user


def add_user(user: User) -> None:
    """Insert ``user``, turning a clash on the ID number into :class:`DuplicateIdNumber`."""
    try:
        with db.session.begin_nested():
            db.session.add(user)
    except sa.exc.IntegrityError:
        raise DuplicateIdNumber(user.id_number) from None


def change_password(user: User, current: str, new: str) -> None:
    """Replace the user's password after checking the current one."""
    if not verify_password(user.password_hash, current):
        raise WrongPassword(_("当前密码不正确。"))
    if current == new:
        raise ValueError(_("新密码不能与当前密码相同。"))
    check_strength(new, user.id_number)
    user.password_hash = hash_password(new)
    user.must_change_password = False
    db.session.flush()
