"""Judging heartbeats, in batches.

The heartbeat is the platform's hottest request: at the city's peak about 1,300 a second, each
with a read and a durable write. A database round trip costs about as much CPU as a whole
trivial Flask request, so heartbeats are judged in batches: whatever arrived while the last
batch was being written is locked with one query, judged in Python (``judge``, the rules of
rules §4 on plain values), written with one statement (see ``store``) and committed once;
only then does each request get its answer. Under load batches grow; alone, a heartbeat is a
batch of one and waits for nothing.

``submit`` hands a heartbeat to this process's batcher thread (``HEARTBEAT_BATCHING``), which
keeps a database connection of its own, or, when batching is off (tests, one-off commands),
judges it as a batch of one in the calling thread.
"""

from __future__ import annotations

import logging
import queue
import threading
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa
from flask import Flask, current_app
from sqlalchemy.orm import Session

from lms import clock
from lms.auth import sessions
from lms.courses.models import Course, Video
from lms.extensions import db
from lms.records import services as records
from lms.watching import services, store
from lms.watching.coverage import Verdict, furthest, merge, step, total

log = logging.getLogger(__name__)

#: The most heartbeats judged in one batch.
BATCH_LIMIT = 200
#: How long a request waits for its batch before giving up (the player retries).
ANSWER_TIMEOUT = 10.0


@dataclass(frozen=True)
class Caller:
    """Who sent a heartbeat: the digest of their login-session token (a browser) or of their
    bearer token (an app). It must belong to the playback's learner."""

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


class PlaybackNotFound(LookupError):
    """No playback by that id for this caller: forged, or another learner's."""


class CallerUnknown(PermissionError):
    """The caller's credential opens nothing: a bearer token invalid, expired or revoked, a
    login session ended, or the account no longer an active learner's."""


@dataclass
class Pending:
    """One heartbeat waiting for its answer."""

    caller: Caller
    playback_hash: str
    report: Report
    #: The server's clock when it arrived.
    received_at: datetime
    answer: Answer | None = None
    error: BaseException | None = None
    done: threading.Event = field(default_factory=threading.Event)


# --- the rules, on plain values --------------------------------------------------------------


@dataclass
class Tracked:
    """A playback and the learner's progress on its video, as a heartbeat changes them."""

    playback_id: int
    user_id: int
    video_id: int
    duration: float
    ended: bool
    last_seq: int
    last_beat_at: datetime
    position: float
    watching: bool
    slack: float
    credited: float
    presence_due: float | None
    presence_question: str | None
    presence_answer: str | None
    coverage: list[tuple[float, float]]
    covered: float
    completed_at: datetime | None
    #: Whether a heartbeat changed it, so it must be written.
    changed: bool = False


@dataclass(frozen=True)
class Judged:
    verdict: Verdict
    credited: float
    completed: bool


def judge(state: Tracked, report: Report, now: datetime) -> Judged:
    """Apply one heartbeat to ``state`` (rules §4) and say what it earned."""
    if state.ended:
        return Judged(Verdict.ended, 0.0, False)
    if report.seq <= state.last_seq:
        return Judged(Verdict.replay, 0.0, False)
    now = max(now, state.last_beat_at)  # another server's clock may be a little behind
    judged = step(
        start=state.position, end=report.position, watching=state.watching,
        elapsed=(now - state.last_beat_at).total_seconds(), slack=state.slack,
        coverage=state.coverage, duration=state.duration, rules=services.rules(),
        presence_pending=state.presence_question is not None,
    )
    credited = 0.0
    if judged.interval is not None:
        merged = [(round(a, 3), round(b, 3)) for a, b in merge([*state.coverage, judged.interval])]
        credited = max(0.0, total(merged) - state.covered)
        if credited:
            state.coverage, state.covered = merged, total(merged)
            state.credited += credited
    _presence(state, report.presence_answer)
    state.last_seq, state.last_beat_at = report.seq, now
    state.position = min(max(report.position, 0.0), state.duration)
    state.watching = report.playing and report.visible
    state.slack = judged.slack
    completed = state.completed_at is None and services.is_complete(state.covered, state.duration)
    if completed:
        state.completed_at = now
    state.changed = True
    return Judged(judged.verdict, credited, completed)


def _presence(state: Tracked, answer: str | None) -> None:
    """Clear an answered presence check; ask one when enough has been watched since the last."""
    if state.presence_question is not None:
        if answer is not None and answer.strip() == state.presence_answer:
            state.presence_question = state.presence_answer = None
            state.presence_due = services.next_presence(state.credited)
    elif state.presence_due is not None and state.credited >= state.presence_due:
        state.presence_question, state.presence_answer = services.presence_question()


# --- a batch, against the database ------------------------------------------------------------

def process(batch: list[Pending]) -> None:
    """Judge ``batch`` in one transaction and give each heartbeat its answer or error. If the
    batch fails, its heartbeats are judged again one at a time, so that one cannot fail the
    others."""
    try:
        answers = _judge_all(batch)
        db.session.commit()
    except BaseException as exc:
        _roll_back()
        if isinstance(exc, Exception) and len(batch) > 1:
            log.warning("heartbeat batch of %d failed; judging one at a time", len(batch),
                        exc_info=True)
            for pending in batch:
                process([pending])
            return
        for pending in batch:
            pending.error = exc
            pending.done.set()
        if not isinstance(exc, Exception):
            raise
        return
    for pending, answer in zip(batch, answers, strict=True):
        if isinstance(answer, Answer):
            pending.answer = answer
        else:
            pending.error = answer
        pending.done.set()


def _roll_back() -> None:
    try:
        db.session.rollback()
    except Exception:  # the connection is lost: it is dropped, and the next batch reconnects
        log.warning("heartbeat batch not rolled back", exc_info=True)


def _judge_all(batch: list[Pending]) -> list[Answer | PlaybackNotFound | CallerUnknown]:
    now = max(p.received_at for p in batch)
    database = store.for_session(db.session)
    states = {row.token_hash: _tracked(row)
              for row in database.lock(list({p.playback_hash for p in batch}))}
    owners = _owners(database, batch, now)

    answers: list[Answer | PlaybackNotFound | CallerUnknown] = []
    logged, touched, completions = [], {}, []
    for pending in batch:
        state = states.get(pending.playback_hash)
        owner = owners.get(pending.caller)
        if owner is None:
            answers.append(CallerUnknown())
            continue
        if state is None or owner[0] != state.user_id:
            answers.append(PlaybackNotFound())
            continue
        judged = judge(state, pending.report, pending.received_at)
        if owner[1] is not None and judged.verdict in (Verdict.watched, Verdict.silence):
            touched[owner[1]] = pending.received_at  # watching keeps a browser's login alive
        if judged.verdict not in (Verdict.replay, Verdict.ended):
            report = pending.report
            logged.append({
                "playback_id": state.playback_id, "seq": report.seq,
                "received_at": pending.received_at, "position": report.position,
                "playing": report.playing, "visible": report.visible,
                "verdict": judged.verdict, "credited": judged.credited,
            })
        if judged.completed:
            completions.append((len(answers), state, pending.received_at))
        answers.append(_answer(state, judged))

    written = [s for s in states.values() if s.changed]
    database.save(
        playbacks=[_playback_values(s) for s in written],
        progress=[_progress_values(s, now) for s in written],
        log=logged,
        seen=[{"id": i, "last_seen_at": touched[i]} for i in sorted(touched)],
    )
    for index, state, completed_at in completions:
        if _credit_if_course_complete(state, completed_at):
            answer = answers[index]
            assert isinstance(answer, Answer)
            answers[index] = replace(answer, course_credited=True)
    return answers


def _tracked(row: Any) -> Tracked:
    return Tracked(
        playback_id=row.id, user_id=row.user_id, video_id=row.video_id, duration=row.duration,
        ended=row.ended_at is not None, last_seq=row.last_seq, last_beat_at=row.last_beat_at,
        position=row.position, watching=row.watching, slack=row.slack, credited=row.credited,
        presence_due=row.presence_due, presence_question=row.presence_question,
        presence_answer=row.presence_answer,
        coverage=[(float(a), float(b)) for a, b in row.coverage], covered=row.covered,
        completed_at=row.completed_at,
    )


def _owners(
    database: store.Store, batch: list[Pending], now: datetime
) -> dict[Caller, tuple[int, int | None]]:
    """Each valid caller's user, and the login session to keep alive (None for a token)."""
    owners: dict[Caller, tuple[int, int | None]] = {}
    by_session = {p.caller.session_digest for p in batch if p.caller.session_digest}
    if by_session:
        for row in database.sessions(list(by_session)):
            if not sessions.expired(row.created_at, row.last_seen_at, now):
                seen = row.id if now - row.last_seen_at > sessions.TOUCH_EVERY else None
                owners[Caller(session_digest=row.token_hash)] = (row.user_id, seen)
    by_token = {p.caller.token_digest for p in batch if p.caller.token_digest}
    if by_token:
        for row in database.tokens(list(by_token), now):
            owners[Caller(token_digest=row.token_hash)] = (row.user_id, None)
    return owners


def _playback_values(state: Tracked) -> dict[str, Any]:
    return {
        "id": state.playback_id, "last_seq": state.last_seq,
        "last_beat_at": state.last_beat_at, "position": state.position,
        "watching": state.watching, "slack": state.slack, "credited": state.credited,
        "presence_due": state.presence_due, "presence_question": state.presence_question,
        "presence_answer": state.presence_answer,
    }


def _progress_values(state: Tracked, now: datetime) -> dict[str, Any]:
    return {
        "user_id": state.user_id, "video_id": state.video_id,
        "coverage": [list(i) for i in state.coverage], "covered": state.covered,
        "position": state.position, "completed_at": state.completed_at, "updated_at": now,
    }


def _credit_if_course_complete(state: Tracked, completed_at: datetime) -> bool:
    """Credit a professional course when this video was the last of it to complete (a public
    course is credited when its exam is passed: lms.exam.attempts)."""
    course = db.session.scalar(
        sa.select(Course).join(Video, Video.course_id == Course.id)
        .where(Video.id == state.video_id)
    )
    assert course is not None
    if course.category.is_public:
        return False
    return (services.course_complete(state.user_id, course)
            and records.credit_course(state.user_id, course, completed_at))


def _answer(state: Tracked, judged: Judged) -> Answer:
    return Answer(
        active=not state.ended, verdict=judged.verdict, credited=judged.credited,
        covered=state.covered, furthest=furthest(state.coverage), duration=state.duration,
        complete=state.completed_at is not None, course_credited=False,
        presence_question=state.presence_question,
    )


# --- handing heartbeats over -----------------------------------------------------------------


def submit(caller: Caller, playback_hash: str, report: Report) -> Answer:
    """Judge one heartbeat (with whatever else arrives meanwhile) and return its answer."""
    pending = Pending(caller, playback_hash, report, received_at=clock.now())
    if not current_app.config["HEARTBEAT_BATCHING"]:
        process([pending])
    else:
        _batcher(current_app._get_current_object()).put(pending)  # type: ignore[attr-defined]
        if not pending.done.wait(ANSWER_TIMEOUT):
            raise TimeoutError("heartbeat not judged in time")
    if pending.error is not None:
        raise pending.error
    assert pending.answer is not None
    return pending.answer


class Batcher:
    """A thread of this process that judges queued heartbeats a batch at a time."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.queue: queue.SimpleQueue[Pending | None] = queue.SimpleQueue()
        self.thread = threading.Thread(target=self._run, name="heartbeats", daemon=True)
        self.thread.start()

    def put(self, pending: Pending) -> None:
        self.queue.put(pending)

    def stop(self) -> None:
        self.queue.put(None)
        self.thread.join(timeout=10)

    def _run(self) -> None:
        with self.app.app_context(), db.engine.connect() as connection:
            # The batcher keeps one connection: no checkout from the pool, and no ping to
            # test it, per batch. Its session (this thread's db.session) works on it; after a
            # lost connection, the next batch reconnects.
            # A plain Session, not Flask-SQLAlchemy's: it is bound to this one connection.
            cast(Any, db.session.registry).set(Session(bind=connection))
            try:
                while (batch := self._next_batch()) is not None:
                    try:
                        process(batch)
                    except BaseException:  # process() has answered every heartbeat with it
                        log.exception("heartbeat batch failed")
                    finally:
                        db.session.close()
            finally:
                db.session.remove()

    def _next_batch(self) -> list[Pending] | None:
        """Wait for a heartbeat; return it with whatever else has arrived (None: stop)."""
        first = self.queue.get()
        if first is None:
            return None
        batch = [first]
        while len(batch) < BATCH_LIMIT:
            try:
                more = self.queue.get_nowait()
            except queue.Empty:
                break
            if more is None:
                self.queue.put(None)
                break
            batch.append(more)
        return batch


_lock = threading.Lock()


def _batcher(app: Flask) -> Batcher:
    with _lock:
        batcher = app.extensions.get("heartbeat_batcher")
        if batcher is None:
            batcher = app.extensions["heartbeat_batcher"] = Batcher(app)
    return batcher


def stop_batcher(app: Flask) -> None:
    """Stop this app's batcher thread, if it started (tests that end a server)."""
    batcher = app.extensions.pop("heartbeat_batcher", None)
    if batcher is not None:
        batcher.stop()
