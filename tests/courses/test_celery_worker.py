"""The Celery path against the real Redis: a worker killed in the middle of a transcode leaves
nothing half-published, and the job is taken up again and finished."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import flask_migrate
import pytest
import redis

from lms import jobs
from lms.courses import storage
from lms.courses.models import Category, Course, Video, VideoState
from lms.courses.tasks import PROCESS_VIDEO
from lms.courses.transcode import verify
from lms.extensions import db
from lms.orgs.models import OrgKind
from tests import media
from tests.conftest import make_app
from tests.databases import fresh_database
from tests.factories import make_org

REDIS_URL = os.environ.get("LMS_TEST_REDIS_URL", "redis://127.0.0.1:6379/9")
LMS = str(Path(sys.executable).with_name("lms"))


def redis_reachable() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_timeout=1).ping())
    except redis.RedisError:
        return False


pytestmark = pytest.mark.skipif(
    not redis_reachable(), reason=f"needs Redis at {REDIS_URL} (set LMS_TEST_REDIS_URL)"
)


@dataclass(frozen=True)
class Snapshot:
    state: VideoState
    progress: int
    rendition: str | None
    attempts: int
    reason: str | None


def wait_for(check, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


def test_killed_worker_job_is_retried_and_nothing_half_published(tmp_path):
    redis.Redis.from_url(REDIS_URL).flushdb()
    media_root = tmp_path / "media"
    with fresh_database("celery", tmp_path) as url:
        settings = {"JOB_STALE_SECONDS": 3, "CELERY_VISIBILITY_TIMEOUT": 5}
        app = make_app(url, MEDIA_ROOT=media_root, CELERY_BROKER_URL=REDIS_URL,
                       JOBS_EAGER=False, **settings)
        env = {
            **os.environ, "LMS_DATABASE_URL": url, "LMS_MEDIA_ROOT": str(media_root),
            "LMS_CELERY_BROKER_URL": REDIS_URL,
            **{f"LMS_{key}": str(value) for key, value in settings.items()},
        }
        with app.app_context():
            flask_migrate.upgrade()
            provider = make_org(OrgKind.provider, "培训机构")
            course = Course(title="课", category=Category.professional, provider=provider)
            source = media.video(tmp_path / "long.mp4", seconds=30, size="1280x720")
            video = Video(course=course, title="长视频", original_filename="long.mp4",
                          size=source.stat().st_size, received=source.stat().st_size,
                          state=VideoState.queued)
            db.session.add_all([course, video])
            db.session.commit()
            video_id = video.id
            storage.upload_path(video_id).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(source, storage.upload_path(video_id))
            jobs.enqueue(PROCESS_VIDEO, video_id)

            def current() -> Snapshot:
                """The video's row as the workers left it (read, then let go of the database:
                SQLite would otherwise keep the workers from writing)."""
                row = db.session.get(Video, video_id, populate_existing=True)
                snapshot = Snapshot(row.state, row.progress, row.rendition, row.attempts,
                                    row.reason)
                db.session.rollback()
                return snapshot

            first = subprocess.Popen([LMS, "worker"], env=env, start_new_session=True,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                wait_for(lambda: (now := current()).state is VideoState.processing
                         and now.progress > 0, 90, "the first worker to start transcoding")
            finally:
                os.killpg(first.pid, signal.SIGKILL)  # the worker, its pool and ffmpeg
                first.wait()
            killed = current()
            assert killed.state is VideoState.processing and killed.rendition is None
            assert not (storage.rendition_root(video_id) / "r1").exists()

            second = subprocess.Popen([LMS, "worker"], env=env, start_new_session=True,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                done = wait_for(lambda: (now := current()).state is not VideoState.processing
                                and now, 180, "the job to be taken up and finished")
            finally:
                os.killpg(second.pid, signal.SIGTERM)
                second.wait(timeout=30)
            assert done.state is VideoState.ready, done.reason
            assert done.attempts >= 2
            assert done.rendition == f"renditions/{video_id}/r{done.attempts}"
            published = sorted(p.name for p in storage.rendition_root(video_id).iterdir())
            assert published == [f"r{done.attempts}"]  # no half-made attempt left beside it
            verify(media_root / done.rendition, 30)
            db.engine.dispose()
