"""Build organisations and people for tests."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

from lms.auth.idcard import check_character
from lms.auth.models import AccountState, Role, RoleAssignment, User
from lms.auth.passwords import hash_password
from lms.extensions import db
from lms.orgs.models import Organisation, OrgKind

PASSWORD = "Correct4horse"
_serial = itertools.count(1)


def id_number(region: str = "371002", born: date | None = None) -> str:
    """A valid, unique resident ID number."""
    n = next(_serial)
    # Birth dates stay between 1960 and 2014; (date, serial) repeats only every 20,000 numbers.
    born = born or date(1960, 1, 1) + timedelta(days=n * 37 % 20000)
    first17 = f"{region}{born:%Y%m%d}{n % 1000:03d}"
    return first17 + check_character(first17)


def make_org(kind: OrgKind, name: str, **links: Organisation | None) -> Organisation:
    org = Organisation(kind=kind, name=name, **links)
    db.session.add(org)
    db.session.flush()
    return org


def make_user(
    role: Role | None = Role.learner,
    org: Organisation | None = None,
    *,
    unit: Organisation | None = None,
    state: AccountState = AccountState.active,
    password: str = PASSWORD,
    must_change_password: bool = False,
    name: str = "测试用户",
) -> User:
    user = User(
        id_number=id_number(),
        name=name,
        phone="13806310000",
        unit=unit,
        password_hash=hash_password(password),
        state=state,
        must_change_password=must_change_password,
    )
    if role is not None:
        user.roles.append(RoleAssignment(role=role, org=org))
    db.session.add(user)
    db.session.flush()
    return user
