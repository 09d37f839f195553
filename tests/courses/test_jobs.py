"""Job leases: one worker at a time, dead workers' jobs taken over, a lost lease publishes
nothing; the in-process runner of the embedded set-up."""

from __future__ import annotations

import shutil
import time
from datetime import timedelta

import flask_migrate
import sqlalchemy as sa

from lms import jobs
from lms.courses import storage, tasks
from lms.courses.models import Category, Course, Video, VideoState
from lms.db import utcnow
from lms.extensions import db
from lms.orgs.models import OrgKind
from tests.conftest import make_app
from tests.databases import fresh_database
from tests.factories import make_org


def queued_video(course: Course, source) -> Video:
    video = Video(course=course, title="视频", original_filename="v.mp4",
                  size=source.stat().st_size, received=source.stat().st_size,
                  state=VideoState.queued)
    db.session.add(video)
    db.session.flush()
    storage.upload_path(video.id).parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(source, storage.upload_path(video.id))
    return video


def test_one_claim_at_a_time_and_a_dead_workers_lease_is_taken_over(course, files, app):
    video = queued_video(course, files["small"])
    assert tasks.claim(video.id) == 1
    assert tasks.claim(video.id) is None  # a duplicate delivery does nothing
    assert tasks.unfinished_videos(include_queued=False) == []
    stale = utcnow() - timedelta(seconds=app.config["JOB_STALE_SECONDS"] + 1)
    db.session.execute(sa.update(Video).values(heartbeat_at=stale))
    assert tasks.unfinished_videos(include_queued=False) == [(tasks.PROCESS_VIDEO, (video.id,))]
    assert tasks.claim(video.id) == 2


def test_queued_videos_are_resent_only_when_a_worker_starts(course, files):
    video = queued_video(course, files["small"])
    assert tasks.unfinished_videos(include_queued=False) == []
    assert tasks.unfinished_videos(include_queued=True) == [(tasks.PROCESS_VIDEO, (video.id,))]


def test_a_worker_that_lost_its_lease_stops_and_publishes_nothing(course, files, monkeypatch):
    video = queued_video(course, files["good"])
    real = tasks.transcode
    monkeypatch.setattr(tasks, "HEARTBEAT_EVERY", 0)

    def taken_over_meanwhile(source, work, info, nice, on_progress):
        def progress(percent: int) -> bool:
            db.session.execute(sa.update(Video).values(attempts=Video.attempts + 1))
            db.session.commit()  # another worker took the job over
            return on_progress(percent)

        return real(source, work, info, nice=nice, on_progress=progress)

    monkeypatch.setattr(tasks, "transcode", taken_over_meanwhile)
    tasks.process_video(video.id)
    db.session.refresh(video)
    assert video.state is VideoState.processing and video.rendition is None
    assert not list(storage.rendition_root(video.id).glob("r*"))


def test_in_process_runner_finishes_jobs_and_its_sweeper_recovers(tmp_path, files):
    with fresh_database("runner", tmp_path) as url:
        app = make_app(url, JOBS_EAGER=False, MEDIA_ROOT=tmp_path / "media", JOB_STALE_SECONDS=2)
        with app.app_context():
            flask_migrate.upgrade()
            provider = make_org(OrgKind.provider, "机构")
            course = Course(title="课", category=Category.professional, provider=provider)
            db.session.add(course)
            enqueued = queued_video(course, files["small"])
            # A video a crashed process left half done: processing, heartbeat long stopped.
            abandoned = queued_video(course, files["small"])
            abandoned.state = VideoState.processing
            abandoned.heartbeat_at = utcnow() - timedelta(minutes=5)
            db.session.commit()
            ids = [enqueued.id, abandoned.id]
            jobs.start_runner(app)  # what the first request of a web process does

            def states() -> list[VideoState]:
                found = db.session.scalars(sa.select(Video.state).where(Video.id.in_(ids))).all()
                db.session.rollback()
                return found

            deadline = time.monotonic() + 60
            while states() != [VideoState.ready] * 2 and time.monotonic() < deadline:
                time.sleep(0.3)
            jobs.stop_runner(app)
            assert states() == [VideoState.ready] * 2
            db.engine.dispose()
