"""`lms exam prune-imports`: question files previewed but never confirmed are let go."""

from __future__ import annotations

from datetime import timedelta

import click
from flask.cli import with_appcontext

from lms.exam import services
from lms.extensions import db

exam_cli = click.Group("exam", help="Exams and question banks.")


@exam_cli.command("prune-imports")
@click.option("--hours", type=click.IntRange(min=1), default=24, show_default=True,
              help="keep unconfirmed files this many hours")
@with_appcontext
def prune_imports(hours: int) -> None:
    """Delete uploaded question files whose preview was not confirmed within HOURS hours."""
    removed = services.prune_imports(timedelta(hours=hours))
    db.session.commit()
    click.echo(f"removed {removed} unconfirmed question files older than {hours} hours")
