"""The ``lms`` console script: Flask's CLI (run, db, shell) plus the platform's commands."""

from __future__ import annotations

import click
from flask.cli import FlaskGroup, with_appcontext

from lms import create_app


@click.group(cls=FlaskGroup, create_app=create_app, help="威海市专业技术人员继续教育平台")
def main() -> None:
    pass


@main.command("demo")
@with_appcontext
def demo_command() -> None:
    """Seed demo organisations and accounts (safe to run again)."""
    from lms.demo import DEMO_PASSWORD, seed_demo

    accounts = seed_demo()
    click.echo(f"Demo accounts (password for all: {DEMO_PASSWORD}):")
    for role, id_number, name in accounts:
        click.echo(f"  {role:<24} {id_number}  {name}")
