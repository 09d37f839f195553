"""`lms watch prune`: the raw heartbeat log is kept for disputes, then let go."""

from __future__ import annotations

from datetime import timedelta

import click
from flask import current_app
from flask.cli import with_appcontext

from lms.extensions import db
from lms.watching import services

watch_cli = click.Group("watch", help="Verified watching.")


@watch_cli.command("prune")
@click.option("--days", type=int, default=None,
              help="keep this many days (default: HEARTBEAT_KEEP_DAYS)")
@with_appcontext
def prune(days: int | None) -> None:
    """Delete heartbeats and ended playbacks older than DAYS days. Coverage — what each
    learner verifiably watched, the evidence behind credit — is kept."""
    keep = days if days is not None else current_app.config["HEARTBEAT_KEEP_DAYS"]
    removed = services.prune(timedelta(days=keep))
    db.session.commit()
    click.echo(f"removed {removed} heartbeats older than {keep} days")
