"""Playbacks and heartbeats: the server's side of verified watching (DESIGN §4).

A heartbeat is judged under a lock on its playback and the learner's progress on the video,
so two tabs, two servers or a replayed request are judged one after the other, each against
what the one before left.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from lms import clock
from lms.auth import sessions, tokens
from lms.auth.guards import require
from lms.auth.models import ApiToken, LoginSession, Role, User
from lms.courses import services as courses
from lms.courses.models import Course, CourseStatus, Video, VideoState
from lms.extensions import db
from lms.records import services as records
from lms.watching.coverage import Rules, Verdict, furthest, merge, step, total
from lms.watching.models import Heartbeat, Playback, VideoProgress


class PlaybackNotFound(LookupError):
    """No playback by that id for this caller: forged, another learner's, or logged out."""


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
        slack=rules().grace, presence_due=_next_presence(0.0),
    )
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


def _progress(user_id: int, video_id: int) -> VideoProgress:
    progress = db.session.get(VideoProgress, (user_id, video_id))
    if progress is None:
        progress = VideoProgress(user_id=user_id, video_id=video_id, coverage=[])
        try:
            with db.session.begin_nested():
                db.session.add(progress)
        except sa.exc.IntegrityError:  # the same learner, in another tab, just did
            progress = db.session.get(VideoProgress, (user_id, video_id), populate_existing=True)
    return progress


def resume_point(progress: VideoProgress, duration: float) -> float:
    """Where to start: where the learner left off, but never past what they verifiably
    watched while the video is not complete."""
    position = min(progress.position, duration)
    if progress.completed_at is None:
        position = min(position, furthest(progress.intervals))
    return 0.0 if position >= duration - 3 else position


def _next_presence(credited: float) -> float | None:
    low = current_app.config["PRESENCE_MIN_SECONDS"]
    high = max(low, current_app.config["PRESENCE_MAX_SECONDS"])
    if low <= 0:
        return None
    return credited + low + secrets.randbelow(high - low + 1)


def _presence_question() -> tuple[str, str]:
    a, b = 1 + secrets.randbelow(9), 1 + secrets.randbelow(9)
    return f"{a} + {b} = ?", str(a + b)


# --- heartbeats -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Caller:
    """Who sent a heartbeat: the digest of their login-session token (a browser) or of their
    bearer token (an app). The heartbeat is checked against it in the same query that
    locks the playback."""

    session_digest: str | None = None
    token_digest: str | None = None


@dataclass(frozen=True)
class Report:
    seq: int
    position: float
    playing: bool
    visible: bool
    presence_answer: str | None = None


@dataclass(frozen=True)
class Answer:
    active: bool
    verdict: Verdict
    #: New coverage this heartbeat earned, seconds.
    credited: float
    covered: float
    furthest: float
    duration: float
    complete: bool
    course_credited: bool
    presence_question: str | None


def beat(caller: Caller, playback_id: str, report: Report) -> Answer:
    """Judge one heartbeat and record what it earned. The caller commits."""
    now = clock.now()
    found = db.session.execute(_locked(caller, tokens.digest(playback_id), now)).one_or_none()
    if found is None:
        raise PlaybackNotFound
    playback, progress, session_id, opened_at, seen_at = found
    if session_id is not None:
        if sessions.expired(opened_at, seen_at, now):
            raise PlaybackNotFound
        if now - seen_at > sessions.TOUCH_EVERY:  # watching is being active
            db.session.execute(
                sa.update(LoginSession).where(LoginSession.id == session_id)
                .values(last_seen_at=now)
            )
    if playback.ended_at is not None:
        return _answer(playback, progress, Verdict.ended)
    if report.seq <= playback.last_seq:
        return _answer(playback, progress, Verdict.replay)

    coverage = progress.intervals
    judged = step(
        start=playback.position, end=report.position, watching=playback.watching,
        elapsed=(now - playback.last_beat_at).total_seconds(), slack=playback.slack,
        coverage=coverage, duration=playback.duration, rules=rules(),
        presence_pending=playback.presence_question is not None,
    )
    credited = 0.0
    if judged.interval is not None:
        merged = [(round(a, 3), round(b, 3)) for a, b in merge([*coverage, judged.interval])]
        credited = max(0.0, total(merged) - progress.covered)
        if credited:
            progress.coverage = [list(i) for i in merged]
            progress.covered = total(merged)
            playback.credited += credited

    _presence(playback, report.presence_answer)
    playback.last_seq = report.seq
    playback.last_beat_at = now
    playback.position = min(max(report.position, 0.0), playback.duration)
    playback.watching = report.playing and report.visible
    playback.slack = judged.slack
    progress.position = playback.position
    db.session.add(Heartbeat(
        playback_id=playback.id, seq=report.seq, received_at=now, position=report.position,
        playing=report.playing, visible=report.visible, verdict=judged.verdict,
        credited=credited,
    ))
    course_credited = False
    if progress.completed_at is None and _is_complete(progress, playback.duration):
        progress.completed_at = now
        course_credited = _credit_if_course_complete(playback, now)
    return _answer(playback, progress, judged.verdict, credited, course_credited)


def _locked(caller: Caller, playback_hash: str, now: datetime) -> sa.Select:
    """The playback and the learner's progress on its video, locked, provided the caller's
    credential is valid and belongs to the playback's learner."""
    query = (
        sa.select(Playback, VideoProgress)
        .join(VideoProgress, sa.and_(
            VideoProgress.user_id == Playback.user_id,
            VideoProgress.video_id == Playback.video_id,
        ))
        .where(Playback.token_hash == playback_hash)
        .with_for_update(of=[Playback, VideoProgress])  # type: ignore[list-item]
    )
    if caller.session_digest is not None:
        return query.add_columns(
            LoginSession.id, LoginSession.created_at, LoginSession.last_seen_at
        ).join(LoginSession, sa.and_(
            LoginSession.user_id == Playback.user_id,
            LoginSession.token_hash == caller.session_digest,
            LoginSession.ended_at.is_(None),
        ))
    return query.add_columns(sa.null(), sa.null(), sa.null()).join(ApiToken, sa.and_(
        ApiToken.user_id == Playback.user_id,
        ApiToken.token_hash == caller.token_digest,
        ApiToken.revoked_at.is_(None),
        ApiToken.expires_at > now,
    ))


def _presence(playback: Playback, answer: str | None) -> None:
    """Clear an answered presence check; ask one when enough has been watched since the last."""
    if playback.presence_question is not None:
        if answer is not None and answer.strip() == playback.presence_answer:
            playback.presence_question = playback.presence_answer = None
            playback.presence_due = _next_presence(playback.credited)
    elif playback.presence_due is not None and playback.credited >= playback.presence_due:
        playback.presence_question, playback.presence_answer = _presence_question()


def _is_complete(progress: VideoProgress, duration: float) -> bool:
    return progress.covered * 100 >= duration * current_app.config["VIDEO_COMPLETE_PERCENT"]


def _credit_if_course_complete(playback: Playback, now: datetime) -> bool:
    """Credit the course when this video was the last of it to complete."""
    course = playback.video.course
    ready = [v.id for v in course.ready_videos]
    completed = db.session.scalar(
        sa.select(sa.func.count()).where(
            VideoProgress.user_id == playback.user_id,
            VideoProgress.video_id.in_(ready),
            VideoProgress.completed_at.is_not(None),
        )
    )
    return completed == len(ready) and records.credit_course(playback.user_id, course, now)


def _answer(
    playback: Playback, progress: VideoProgress, verdict: Verdict,
    credited: float = 0.0, course_credited: bool = False,
) -> Answer:
    return Answer(
        active=playback.ended_at is None,
        verdict=verdict,
        credited=credited,
        covered=progress.covered,
        furthest=furthest(progress.intervals),
        duration=playback.duration,
        complete=progress.completed_at is not None,
        course_credited=course_credited,
        presence_question=playback.presence_question,
    )


# --- reading progress -----------------------------------------------------------------------


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
    return removed.rowcount
