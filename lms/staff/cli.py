"""``lms user``: open accounts and import staff from the command line."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from lms.auth import sessions, throttle
from lms.auth.idcard import InvalidIdNumber, normalize_id_number
from lms.auth.models import Role
from lms.auth.services import DuplicateIdNumber
from lms.extensions import db
from lms.files import intake
from lms.orgs.models import Organisation, OrgKind
from lms.orgs.services import org_named
from lms.staff import importer
from lms.staff.services import NewAccount, expire_registrations, open_account

user_cli = click.Group("user", help="Accounts: create staff, import a unit's staff.")


def _org_named(name: str | None, kind: OrgKind | None = None) -> Organisation | None:
    if not name:
        return None
    org = org_named(name, kind)
    if org is None:
        raise click.BadParameter(f"no single organisation named {name!r}")
    return org


def _print_accounts(accounts: list[NewAccount]) -> None:
    click.echo("One-time passwords (shown once; to be changed at first login):")
    for account in accounts:
        click.echo(f"  {account.user.id_number}  {account.user.name}  {account.password}")


@user_cli.command("create")
@click.argument("id_number")
@click.argument("name")
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--org", "org_name", help="organisation the role is scoped to")
@click.option("--unit", "unit_name", help="employer unit (needed for learners)")
@click.option("--phone")
@with_appcontext
def create(
    id_number: str, name: str, role: str, org_name: str | None,
    unit_name: str | None, phone: str | None,
) -> None:
    """Open an account with one role; prints its one-time password."""
    try:
        number = normalize_id_number(id_number)
    except InvalidIdNumber as exc:
        raise click.BadParameter(str(exc)) from None
    try:
        account = open_account(
            id_number=number, name=name, phone=phone, role=Role(role),
            org=_org_named(org_name), unit=_org_named(unit_name, OrgKind.unit),
        )
    except DuplicateIdNumber:
        raise click.ClickException("an account with this ID number exists already") from None
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    db.session.commit()
    _print_accounts([account])


@user_cli.command("import")
@click.argument("sheet", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--unit", "unit_name", required=True, help="the employer unit of everyone in it")
@with_appcontext
def import_command(sheet: Path, unit_name: str) -> None:
    """Import a unit's staff from an .xlsx or .csv sheet: all rows or none."""
    unit = org_named(unit_name, OrgKind.unit)
    if unit is None:
        raise click.BadParameter(f"no unit named {unit_name!r}", param_hint="--unit")
    try:
        check = importer.check_sheet(sheet.read_bytes())
        if not check.ok:
            for line, message in check.errors:
                click.echo(f"row {line}: {message}", err=True)
            raise click.ClickException("nothing imported")
        accounts = importer.create_accounts(unit, check.rows)
    except intake.Refused as exc:
        raise click.ClickException(str(exc)) from None
    db.session.commit()
    _print_accounts(accounts)


@user_cli.command("prune")
@with_appcontext
def prune() -> None:
    """Delete ended login sessions older than 30 days and stale login-failure counts."""
    ended = sessions.prune(timedelta(days=30))
    forgotten = throttle.prune()
    db.session.commit()
    click.echo(f"removed {ended} old login sessions and {forgotten} login-failure records")


@user_cli.command("expire-registrations")
@click.option("--days", type=click.IntRange(min=1), default=None,
              help="override LMS_REGISTRATION_EXPIRE_DAYS")
@with_appcontext
def expire_registrations_command(days: int | None) -> None:
    """Refuse registrations no reviewer decided on within LMS_REGISTRATION_EXPIRE_DAYS days
    (reason: 逾期未审核), freeing their ID numbers. Run it daily from cron."""
    days = days or current_app.config["REGISTRATION_EXPIRE_DAYS"]
    expired = expire_registrations(days)
    db.session.commit()
    click.echo(f"{len(expired)} registrations pending for over {days} days refused")
