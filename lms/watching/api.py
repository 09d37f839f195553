"""The watching part of the JSON API: start a verified playback, send its heartbeats.

The heartbeat is the platform's hottest request (a city's peak is about 1,300 a second), so it
authenticates itself: the caller's credential is checked with its batch (see ``heartbeats``),
not by loading the user and roles first (see ``api.views.SELF_AUTHENTICATED``).
"""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, jsonify, request, session
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError, validate_csrf
from wtforms import ValidationError

from lms.auth import sessions, tokens
from lms.auth.guards import require_login
from lms.courses.models import Video
from lms.extensions import db
from lms.jsonapi import error_response, operation, parse, respond
from lms.watching import heartbeats, services
from lms.watching.coverage import furthest
from lms.watching.schemas import HeartbeatAnswer, HeartbeatReport, PlaybackStarted


@operation("POST", "/videos/<int:video_id>/playbacks",
           "Start a verified playback of a video (ends the learner's other playback)",
           tag="learner", response=PlaybackStarted)
def start_playback(video_id: int) -> Any:
    user = require_login()
    video = db.get_or_404(Video, video_id)
    token, playback, progress = services.start(user, video)
    db.session.commit()
    return respond(PlaybackStarted, started(token, playback, progress))


def started(token: str, playback: Any, progress: Any) -> dict[str, Any]:
    return {
        "playback": token,
        "resume_at": playback.position,
        "duration": playback.duration,
        "covered": progress.covered,
        "furthest": furthest(progress.intervals),
        "complete": progress.completed_at is not None,
        "speeds": services.allowed_speeds(),
        "heartbeat_seconds": current_app.config["HEARTBEAT_SECONDS"],
    }


@operation("POST", "/heartbeats",
           "Report a playback's position; the server's clock decides what it earns",
           tag="learner", body=HeartbeatReport, response=HeartbeatAnswer,
           errors={404: "playback_not_found: no such playback for this learner (forged, or "
                        "another's): reload the page"})
def heartbeat() -> Any:
    caller = _caller()
    report = parse(HeartbeatReport)
    try:
        answer = heartbeats.submit(caller, tokens.digest(report.playback), heartbeats.Report(
            seq=report.seq, position=report.position, playing=report.playing,
            visible=report.visible, presence_answer=report.presence_answer,
        ))
    except heartbeats.CallerUnknown:
        return error_response(401, "unauthenticated", _("登录已失效或令牌无效，请重新登录。"))
    except heartbeats.PlaybackNotFound:
        return error_response(404, "playback_not_found", _("播放已失效，请刷新页面后继续学习。"))
    return jsonify(
        active=answer.active, verdict=answer.verdict.value, credited=answer.credited,
        covered=answer.covered, furthest=answer.furthest, duration=answer.duration,
        complete=answer.complete, course_credited=answer.course_credited,
        presence_question=answer.presence_question,
    )


def _caller() -> heartbeats.Caller:
    """The heartbeat's credential: a bearer token, or the browser's login cookie with the
    page's CSRF token. Nothing is loaded here; the batch that judges the heartbeat checks it."""
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        return heartbeats.Caller(token_digest=tokens.digest(header[7:].strip()))
    login = session.get(sessions.SESSION_KEY)
    if not login:
        abort(401)
    try:
        validate_csrf(request.headers.get("X-CSRFToken"))
    except ValidationError as exc:
        raise CSRFError(str(exc)) from None
    return heartbeats.Caller(session_digest=tokens.digest(login))
