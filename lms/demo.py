"""Demo content for a newcomer to click through: organisations and one account per role.

Idempotent: running it again adds only what is missing.
"""

from __future__ import annotations

import logging

import click
import sqlalchemy as sa
from flask.cli import with_appcontext

from lms.auth.idcard import check_character
from lms.auth.models import AccountState, Role, User
from lms.auth.passwords import hash_password
from lms.auth.services import user_by_id_number
from lms.extensions import db
from lms.orgs.models import Organisation, OrgKind, TitleSeries
from lms.staff.services import add_role

logger = logging.getLogger(__name__)

DEMO_PASSWORD = "Weihai2026"

DISTRICTS = (
    "环翠区", "文登区", "荣成市", "乳山市",
    "威海火炬高技术产业开发区", "威海经济技术开发区", "威海临港经济技术开发区",
)
#: (name, district or None for city level)
DEPARTMENTS = (
    ("威海市卫生健康委员会", None),
    ("威海市教育局", None),
    ("文登区卫生健康局", "文登区"),
)
#: (name, district, department)
UNITS = (
    ("威海市立医院", "环翠区", "威海市卫生健康委员会"),
    ("威海市第一中学", "环翠区", "威海市教育局"),
    ("文登区人民医院", "文登区", "文登区卫生健康局"),
)
PROVIDERS = (("威海职业学院继续教育基地", "环翠区"),)

#: (role, scope organisation, 17 digits before the check character, name, unit, state)
ACCOUNTS = (
    (Role.learner, None, "37100219850612301", "张伟", "威海市立医院", AccountState.active),
    (Role.learner, None, "37100219920315402", "李娜", "威海市立医院", AccountState.pending),
    (Role.unit_reviewer, "威海市立医院", "37100219800101503", "王芳", "威海市立医院",
     AccountState.active),
    (Role.department_reviewer, "威海市卫生健康委员会", "37100219790202604", "刘洋", None,
     AccountState.active),
    (Role.district_reviewer, "环翠区", "37100219780303705", "陈静", None, AccountState.active),
    (Role.provider, "威海职业学院继续教育基地", "37100219880404806", "杨帆", None,
     AccountState.active),
    (Role.exam_admin, None, "37100219870505907", "赵磊", None, AccountState.active),
    (Role.city_admin, None, "37100219750606108", "孙丽", None, AccountState.active),
)


def _org(kind: OrgKind, name: str, **links: Organisation | None) -> Organisation:
    org = db.session.scalar(
        sa.select(Organisation).where(Organisation.kind == kind, Organisation.name == name)
    )
    if org is None:
        org = Organisation(kind=kind, name=name, **links)
        db.session.add(org)
        db.session.flush()
    return org


def seed_demo() -> list[tuple[str, str, str]]:
    """Add what is missing (the caller commits); return (role, ID number, name) of each account."""
    districts = {name: _org(OrgKind.district, name) for name in DISTRICTS}
    departments = {
        name: _org(OrgKind.department, name, district=districts.get(district or ""))
        for name, district in DEPARTMENTS
    }
    units = {
        name: _org(
            OrgKind.unit, name, district=districts[district], department=departments[department]
        )
        for name, district, department in UNITS
    }
    providers = {
        name: _org(OrgKind.provider, name, district=districts[district])
        for name, district in PROVIDERS
    }
    scopes = {**districts, **departments, **units, **providers}
    health = db.session.scalar(sa.select(TitleSeries).where(TitleSeries.name == "卫生"))

    shown = []
    for role, scope, first17, name, unit, state in ACCOUNTS:
        id_number = first17 + check_character(first17)
        user = user_by_id_number(id_number)
        if user is None:
            user = User(
                id_number=id_number,
                name=name,
                phone="1380631" + first17[-4:],
                unit=units.get(unit or ""),
                title_series=health if role is Role.learner else None,
                password_hash=hash_password(DEMO_PASSWORD),
                state=state,
            )
            db.session.add(user)
            db.session.flush()
            add_role(user, role, scopes.get(scope or ""))
        label = role.value + (" (pending)" if state is AccountState.pending else "")
        shown.append((label, id_number, name))
    db.session.flush()
    logger.info("demo content ready")
    return shown


@click.command("demo")
@with_appcontext
def demo_command() -> None:
    """Seed demo organisations and accounts (safe to run again)."""
    accounts = seed_demo()
    db.session.commit()
    click.echo(f"Demo accounts (password for all: {DEMO_PASSWORD}):")
    for role, id_number, name in accounts:
        click.echo(f"  {role:<24} {id_number}  {name}")
