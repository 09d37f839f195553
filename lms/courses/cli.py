"""``lms worker`` (the Celery worker for transcoding), ``lms topic`` (the year's topics) and
``lms media`` (housekeeping of uploads)."""

from __future__ import annotations

from datetime import timedelta

import click
from flask import current_app
from flask.cli import with_appcontext

from lms.courses import storage
from lms.courses.models import Category, Topic
from lms.courses.services import abandoned_uploads, topics
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


media_cli = click.Group("media", help="Uploaded and transcoded media.")


@media_cli.command("prune")
@click.option("--days", default=7, show_default=True, help="idle for this long")
@with_appcontext
def prune_uploads(days: int) -> None:
    """Delete uploads left unfinished for DAYS days, with their bytes."""
    videos = abandoned_uploads(timedelta(days=days))
    ids = [video.id for video in videos]
    for video in videos:
        video.course.videos.remove(video)
    db.session.commit()
    for video_id in ids:
        storage.remove_video_files(video_id)
    click.echo(f"removed {len(ids)} unfinished uploads")
