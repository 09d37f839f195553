"""``lms org``: keep organisations from the command line."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from lms.extensions import db
from lms.orgs import services
from lms.orgs.models import Organisation, OrgKind

org_cli = click.Group("org", help="Organisations: districts, departments, units, providers.")


def _find(kind: OrgKind, name: str | None) -> Organisation | None:
    if not name:
        return None
    found = services.org_named(name, kind)
    if found is None:
        raise click.BadParameter(f"no {kind.value} named {name!r}")
    return found


@org_cli.command("create")
@click.argument("kind", type=click.Choice([k.value for k in OrgKind]))
@click.argument("name")
@click.option("--code", help="统一社会信用代码")
@click.option("--district", help="name of the district it sits in; none: city-level (市直)")
@click.option("--department", help="a unit's supervising department (name); a unit may have none")
@with_appcontext
def create(
    kind: str, name: str, code: str | None, district: str | None, department: str | None
) -> None:
    """Add an organisation."""
    try:
        org = services.create_organisation(
            OrgKind(kind), name, code,
            district=_find(OrgKind.district, district),
            department=_find(OrgKind.department, department),
        )
    except services.MisplacedLink as exc:
        raise click.BadParameter(str(exc), param_hint=f"--{exc.field}") from None
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    db.session.commit()
    place = f" ({org.place})" if org.place else ""
    click.echo(f"created {org.kind.value} #{org.id}: {org.name}{place}")


@org_cli.command("list")
@with_appcontext
def list_orgs() -> None:
    """List organisations."""
    for org in services.organisations():
        click.echo(f"{org.id:>6}  {org.kind.value:<10}  {org.name}  {org.place}".rstrip())
