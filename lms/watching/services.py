"""Playbacks: starting one, where to resume, the rules in force (rules §4). Heartbeats are
judged in ``heartbeats``."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app

from lms import clock
from lms.auth import tokens
from lms.auth.guards import require
from lms.auth.models import Role, User
from lms.courses import hooks
from lms.courses import services as courses
from lms.courses.models import Course, CourseStatus, Video, VideoState
from lms.db import rowcount
from lms.extensions import db
from lms.watching.coverage import Rules, furthest
from lms.watching.models import Heartbeat, Playback, VideoProgress


def rules() -> Rules:
    config = current_app.config
    return Rules(
        rate=config["WATCH_RATE"],
        grace=config["WATCH_GRACE_SECONDS"],
        longest_gap=2.0 * config["HEARTBEAT_SECONDS"],
    )


def allowed_speeds() -> list[float]:
    """Playback speeds the player may offer."""
    return [s for s in (0.5, 0.75, 1.0, 1.25, 1.5, 2.0) if s <= current_app.config["WATCH_RATE"]]


# --- starting -------------------------------------------------------------------------------


def start(actor: User, video: Video) -> tuple[str, Playback, VideoProgress]:
    """Open a playback of ``video`` for the learner, ending any other they have running
    (another tab, device or video). Returns the playback's id for the player, once."""
    require(
        actor.has_role(Role.learner)
        and video.course.status is CourseStatus.published
        and video.state is VideoState.ready
    )
    courses.open_video(actor, video)
    progress = _progress(actor.id, video.id)
    now = clock.now()
    token = tokens.new_token()
    playback = Playback(
        token_hash=tokens.digest(token), user_id=actor.id, video_id=video.id,
        duration=float(video.duration_seconds or 0), started_at=now, last_beat_at=now,
        position=resume_point(progress, float(video.duration_seconds or 0)),
        slack=0.0,  # a new playback has no jitter to carry: restarting earns nothing
    )
    _carry_presence(actor, playback)
    for _ in range(3):
        db.session.execute(
            sa.update(Playback)
            .where(Playback.user_id == actor.id, Playback.ended_at.is_(None))
            .values(ended_at=now)
        )
        try:
            with db.session.begin_nested():
                db.session.add(playback)
            break
        except sa.exc.IntegrityError:  # another start of the same learner committed first
            continue
    else:
        raise RuntimeError("could not start a playback")
    return token, playback, progress


def _carry_presence(actor: User, playback: Playback) -> None:
    """A new playback (a reload, another tab) inherits the presence check of the last one:
    a question left unanswered stays asked, and the watching counted toward the next one
    stays counted."""
    last = db.session.scalar(
        sa.select(Playback).where(Playback.user_id == actor.id)
        .order_by(Playback.started_at.desc(), Playback.id.desc()).limit(1)
    )
    if last is None or last.presence_due is None and last.presence_question is None:
        playback.presence_due = next_presence(0.0)
        return
    playback.presence_question, playback.presence_answer = (
        last.presence_question, last.presence_answer
    )
    playback.presence_due = (
        None if last.presence_due is None else max(0.0, last.presence_due - last.credited)
    )


def _progress(user_id: int, video_id: int) -> VideoProgress:
    progress = db.session.get(VideoProgress, (user_id, video_id))
    if progress is None:
        progress = VideoProgress(user_id=user_id, video_id=video_id, coverage=[])
        try:
            with db.session.begin_nested():
                db.session.add(progress)
        except sa.exc.IntegrityError:  # the same learner, in another tab, just did
            theirs = db.session.get(VideoProgress, (user_id, video_id), populate_existing=True)
            assert theirs is not None
            return theirs
    return progress


def resume_point(progress: VideoProgress, duration: float) -> float:
    """Where to start: where the learner left off, but never past what they verifiably
    watched while the video is not complete."""
    position = min(progress.position, duration)
    if progress.completed_at is None:
        position = min(position, furthest(progress.intervals))
    return 0.0 if position >= duration - 3 else position


def next_presence(credited: float) -> float | None:
    low = current_app.config["PRESENCE_MIN_SECONDS"]
    high = max(low, current_app.config["PRESENCE_MAX_SECONDS"])
    if low <= 0:
        return None
    return credited + low + secrets.randbelow(high - low + 1)


def presence_question() -> tuple[str, str]:
    a, b = 1 + secrets.randbelow(9), 1 + secrets.randbelow(9)
    return f"{a} + {b} = ?", str(a + b)


def course_complete(user_id: int, course: Course) -> bool:
    """Whether the learner has completed every ready video of ``course``."""
    ready = [v.id for v in course.videos if v.state is VideoState.ready]
    done = db.session.scalar(
        sa.select(sa.func.count()).where(
            VideoProgress.user_id == user_id, VideoProgress.video_id.in_(ready),
            VideoProgress.completed_at.is_not(None),
        )
    )
    return bool(ready) and done == len(ready)


def is_complete(covered: float, duration: float) -> bool:
    return covered * 100 >= duration * current_app.config["VIDEO_COMPLETE_PERCENT"]


# --- reading progress -----------------------------------------------------------------------


@hooks.course_page_part
def _course_page_progress(user: User, course: Course) -> dict[str, Any]:
    return {"progress": progress_for(user, course)}


@hooks.watched_seconds
def covered_seconds(user: User) -> dict[int, float]:
    """Seconds of each video the learner has verifiably watched, by video id."""
    rows = db.session.execute(
        sa.select(VideoProgress.video_id, VideoProgress.covered)
        .where(VideoProgress.user_id == user.id)
    )
    return {video_id: seconds for video_id, seconds in rows}


def progress_for(user: User, course: Course) -> dict[int, VideoProgress]:
    """The learner's progress on each video of ``course`` they have opened."""
    ids = [v.id for v in course.videos]
    rows = db.session.scalars(
        sa.select(VideoProgress).where(
            VideoProgress.user_id == user.id, VideoProgress.video_id.in_(ids)
        )
    )
    return {row.video_id: row for row in rows}


def prune(older_than: timedelta) -> int:
    """Delete heartbeats received longer than ``older_than`` ago, and playbacks that ended
    before then (coverage, the evidence behind credit, is kept). Returns heartbeats deleted."""
    cutoff = clock.now() - older_than
    removed = db.session.execute(sa.delete(Heartbeat).where(Heartbeat.received_at < cutoff))
    db.session.execute(sa.delete(Playback).where(Playback.ended_at < cutoff))
    return rowcount(removed)
