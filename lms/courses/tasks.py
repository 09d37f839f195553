"""Turning an uploaded original into published renditions, outside any request.

A job claims its video with a lease (state ``processing`` plus a heartbeat it keeps fresh), so
a duplicate delivery does nothing and a job whose worker died can be taken over. Each attempt
works in a private directory and publishes with one rename, recorded only if it still holds the
lease: learners never see half a rendition.
"""

from __future__ import annotations

import logging
import os
import shutil
import time
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from lms import jobs
from lms.courses import storage
from lms.courses.models import Course, Video, VideoState
from lms.courses.probe import Refused, probe
from lms.courses.transcode import Stopped, TranscodeFailed, transcode
from lms.db import rowcount, utcnow
from lms.extensions import db

logger = logging.getLogger(__name__)

PROCESS_VIDEO = "courses.process_video"
REENCODE_COVER = "courses.reencode_cover"
#: Seconds between heartbeats (and progress writes) while ffmpeg works.
HEARTBEAT_EVERY = 2.0


def _abandoned() -> sa.ColumnElement[bool]:
    """Being processed by a worker that stopped beating: dead."""
    stale_before = utcnow() - timedelta(seconds=current_app.config["JOB_STALE_SECONDS"])
    return sa.and_(
        Video.state == VideoState.processing,
        sa.or_(Video.heartbeat_at.is_(None), Video.heartbeat_at < stale_before),
    )


def claim(video_id: int) -> int | None:
    """Take the video for this worker; return the attempt number, or None if it is not ours
    to take (done already, or another live worker holds it). Commits: no transaction stays
    open while the file is probed."""
    claimable = sa.or_(Video.state == VideoState.queued, _abandoned())
    attempt = db.session.execute(
        sa.update(Video)
        .where(Video.id == video_id, claimable)
        .values(
            state=VideoState.processing,
            heartbeat_at=utcnow(),
            attempts=Video.attempts + 1,
            progress=0,
            reason=None,
        )
        .returning(Video.attempts)
        .execution_options(synchronize_session=False)
    ).scalar()
    db.session.commit()
    return attempt


def _holds_lease(video_id: int, attempt: int) -> sa.ColumnElement[bool]:
    return sa.and_(
        Video.id == video_id, Video.attempts == attempt, Video.state == VideoState.processing
    )


def _record(video_id: int, attempt: int, **values: Any) -> bool:
    """Write ``values`` if this attempt still holds the lease; commit; say whether it did."""
    written = rowcount(db.session.execute(
        sa.update(Video)
        .where(_holds_lease(video_id, attempt))
        .values(**values)
        .execution_options(synchronize_session=False)
    ))
    db.session.commit()
    return bool(written)


@jobs.job(PROCESS_VIDEO)
def process_video(video_id: int) -> None:
    """Probe, transcode, verify and publish one uploaded video."""
    attempt = claim(video_id)
    if attempt is None:  # done already, or in live hands; the sweeper watches for dead ones
        return
    logger.info("processing video %s, attempt %s", video_id, attempt)
    config = current_app.config
    source = storage.upload_path(video_id)
    work = storage.new_work_dir(video_id)
    try:
        try:
            info = probe(
                source, max_seconds=config["VIDEO_MAX_SECONDS"], max_bytes=config["VIDEO_MAX_BYTES"]
            )
        except Refused as refused:
            if _record(video_id, attempt, state=VideoState.refused, reason=str(refused)):
                source.unlink(missing_ok=True)  # it can never be used: free the space
            logger.info("video %s refused: %s", video_id, refused)
            return
        _record(video_id, attempt, duration_seconds=int(info.duration), width=info.width,
                height=info.height, heartbeat_at=utcnow())

        last_beat = time.monotonic()

        def beat(percent: int) -> bool:
            """Keep the lease fresh and show progress; False (stop) once the lease is lost."""
            nonlocal last_beat
            if time.monotonic() - last_beat < HEARTBEAT_EVERY:
                return True
            last_beat = time.monotonic()
            return _record(video_id, attempt, progress=percent, heartbeat_at=utcnow())

        try:
            transcode(source, work, info, nice=config["TRANSCODE_NICE"], on_progress=beat)
        except Stopped:
            logger.warning("video %s attempt %s lost its lease; stopped", video_id, attempt)
            return
        except TranscodeFailed as failed:
            _record(video_id, attempt, state=VideoState.failed, reason=str(failed))
            return
        if not _record(video_id, attempt, heartbeat_at=utcnow()):
            logger.warning("video %s attempt %s lost its lease; not publishing", video_id, attempt)
            return
        size = storage.tree_bytes(work)
        published = storage.publish(work, video_id, attempt)
        if not _record(video_id, attempt, state=VideoState.ready, rendition=published,
                       rendition_bytes=size, progress=100):
            shutil.rmtree(storage.media_root() / published, ignore_errors=True)
    except Exception:
        db.session.rollback()
        _record(video_id, attempt, state=VideoState.failed,
                reason=_("处理时发生意外错误，原文件已保留，请稍后重试。"))
        logger.exception("video %s attempt %s crashed", video_id, attempt)
        raise
    finally:
        shutil.rmtree(work, ignore_errors=True)


def unfinished_videos(include_queued: bool) -> list[tuple[str, tuple[Any, ...]]]:
    """Videos whose worker died (processing, heartbeat stale) and, when a worker starts, the
    videos left queued (their message may be gone with a restarted broker). Sending a job twice
    is harmless: :func:`claim` lets one through."""
    condition = _abandoned()
    if include_queued:
        condition = sa.or_(condition, Video.state == VideoState.queued)
    ids = db.session.scalars(sa.select(Video.id).where(condition))
    return [(PROCESS_VIDEO, (video_id,)) for video_id in ids]


jobs.RECOVERERS.append(unfinished_videos)


@jobs.job(REENCODE_COVER)
def reencode_cover(course_id: int, incoming: str) -> None:
    """Make an uploaded cover the course's, re-encoded (which drops anything else hidden in the
    file) to a JPEG at most 960 pixels wide. Run again after a crash it finds the upload gone
    (done) or still there (does it); the upload goes only once the course points at the result."""
    source = storage.media_root() / incoming
    if not source.exists():
        return
    name = f"covers/{course_id}-{os.urandom(4).hex()}.jpg"
    target = storage.media_root() / name
    # ffmpeg first, with no transaction open (on SQLite one would hold the write lock).
    made = storage.reencode_image(source, target, max_width=960)
    course = db.session.get(Course, course_id) if made else None
    if course is None:
        logger.warning("cover %s of course %s not taken (unreadable, or the course is gone)",
                       incoming, course_id)
        target.unlink(missing_ok=True)
        source.unlink(missing_ok=True)
        return
    old, course.cover = course.cover, name
    db.session.commit()
    if old:
        (storage.media_root() / old).unlink(missing_ok=True)
    source.unlink(missing_ok=True)


def waiting_covers(include_queued: bool) -> list[tuple[str, tuple[Any, ...]]]:
    """Cover uploads whose job never ran (the process stopped first)."""
    if not include_queued:
        return []
    return [(REENCODE_COVER, waiting) for waiting in storage.incoming_covers()]


jobs.RECOVERERS.append(waiting_covers)
