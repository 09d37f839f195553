"""``lms worker`` (the Celery worker for transcoding) and ``lms topic`` (the year's topics)."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from lms.courses.models import Category, Topic
from lms.courses.services import topics
from lms.extensions import db


@click.command("worker")
@click.option("--concurrency", default=1, show_default=True,
              help="transcodes at once; one per worker keeps the website responsive")
@with_appcontext
def worker_command(concurrency: int) -> None:
    """Run a Celery worker for the background jobs (needs LMS_CELERY_BROKER_URL)."""
    celery = current_app.extensions.get("celery")
    if celery is None:
        raise click.ClickException("LMS_CELERY_BROKER_URL is not set: jobs run in the web process")
    celery.worker_main(["worker", f"--concurrency={concurrency}", "--loglevel=INFO",
                        "--pool=prefork", "--without-gossip", "--without-mingle"])


topic_cli = click.Group("topic", help="The public-subject topic lists, one per year.")


@topic_cli.command("list")
@click.argument("year", type=int)
@with_appcontext
def list_topics(year: int) -> None:
    for topic in topics(year):
        click.echo(f"{topic.category.value:<18} {topic.name}")


@topic_cli.command("add")
@click.argument("year", type=int)
@click.argument("category", type=click.Choice(["public_compulsory", "public_elective"]))
@click.argument("name")
@with_appcontext
def add_topic(year: int, category: str, name: str) -> None:
    position = len(topics(year, Category(category))) + 1
    db.session.add(Topic(year=year, category=Category(category), name=name, position=position))
    db.session.commit()
    click.echo(f"added {name} to {year}")


@topic_cli.command("copy")
@click.argument("source", type=int)
@click.argument("target", type=int)
@with_appcontext
def copy_topics(source: int, target: int) -> None:
    """Start next year's lists from this year's."""
    if topics(target):
        raise click.ClickException(f"{target} already has topics")
    for topic in topics(source):
        db.session.add(Topic(year=target, category=topic.category, name=topic.name,
                             position=topic.position))
    db.session.commit()
    click.echo(f"copied {len(topics(target))} topics to {target}")
