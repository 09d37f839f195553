"""The courses part of the JSON API: catalog and playback for learners; courses, uploads and
video states for providers."""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, request, url_for
from flask_babel import gettext as _

from lms import jobs
from lms.auth.guards import require, require_login
from lms.auth.models import Role
from lms.courses import services, streaming
from lms.courses.models import Category, Course, Topic, Video, VideoState
from lms.courses.schemas import (
    CatalogParams,
    CourseCreate,
    CourseDetail,
    CoursePage,
    OffsetMismatch,
    Playback,
    UploadStart,
    VideoStatus,
)
from lms.courses.tasks import PROCESS_VIDEO
from lms.db import MAX_ID
from lms.extensions import db
from lms.jsonapi import error_response, operation, parse, parse_query, respond
from lms.orgs.models import OrgKind
from lms.orgs.services import get_org, title_series


def _summary(course: Course) -> dict[str, Any]:
    return {
        "id": course.id,
        "title": course.title,
        "category": course.category.value,
        "category_label": course.category.label,
        "topic": course.topic.name if course.topic else None,
        "provider": course.provider.name,
        "credit_hours": course.credit_hours,
        "duration_seconds": course.duration_seconds,
        "title_series": [s.name for s in course.title_series],
    }


def _detail(course: Course, videos: list[Video]) -> dict[str, Any]:
    return {
        **_summary(course),
        "description": course.description,
        "status": course.status.value,
        "videos": [
            {
                "id": v.id, "title": v.title, "position": v.position,
                "duration_seconds": v.duration_seconds, "credit_hours": v.credit_hours,
            }
            for v in videos
        ],
    }


def video_status(video: Video) -> dict[str, Any]:
    return {
        "id": video.id,
        "course_id": video.course_id,
        "title": video.title,
        "original_filename": video.original_filename,
        "state": video.state.value,
        "state_label": video.state.label,
        "reason": video.reason,
        "size": video.size,
        "received": video.received,
        "upload_percent": video.upload_percent,
        "progress": video.progress,
        "duration_seconds": video.duration_seconds,
        "credit_hours": video.credit_hours,
        "upload_url": url_for("api.upload_chunk", video_id=video.id),
    }




CATALOG_PARAMETERS = [
    {"name": name, "in": "query", "required": False, "schema": schema}
    for name, schema in (
        ("category", {"type": "string"}),
        *((name, {"type": "integer", "minimum": 0, "maximum": MAX_ID,
                  "description": "an id; 0 or absent: any"})
          for name in ("topic", "series", "provider")),
        ("q", {"type": "string"}), ("page", {"type": "integer", "maximum": MAX_ID}))
]


@operation("GET", "/courses", "Browse published courses", tag="learner",
           response=CoursePage, parameters=CATALOG_PARAMETERS)
def list_courses() -> Any:
    require_login()
    asked = parse_query(CatalogParams)
    page = services.catalog(
        services.CatalogQuery(
            category=Category.parse(asked.category),
            topic_id=asked.topic or None,
            title_series_id=asked.series or None,
            provider_id=asked.provider or None,
            text=asked.q[:50],
            page=asked.page,
        )
    )
    return respond(CoursePage, {
        "items": [_summary(c) for c in page.items],
        "page": page.page, "pages": page.pages, "total": page.total,
    })


@operation("GET", "/courses/<int:course_id>", "One course with its videos", tag="learner",
           response=CourseDetail)
def get_course(course_id: int) -> Any:
    user = require_login()
    course = db.get_or_404(Course, course_id)
    require(course.can_view(user))
    videos = course.videos if course.can_manage(user) else course.ready_videos
    return respond(CourseDetail, _detail(course, videos))


@operation("GET", "/videos/<int:video_id>/playback", "Expiring links to play a video",
           tag="learner", response=Playback)
def playback(video_id: int) -> Any:
    user = require_login()
    video = db.get_or_404(Video, video_id)
    require(video.course.can_view(user))
    if video.state is not VideoState.ready:
        abort(404)
    links = streaming.playback(video, user.id)
    return respond(Playback, {"master": links.master, "poster": links.poster,
                              "expires": links.expires})


@operation("POST", "/courses", "Create a draft course (provider)", tag="provider",
           body=CourseCreate, response=CourseDetail)
def create_course() -> Any:
    user = require_login()
    require(user.has_role(Role.provider))
    form = parse(CourseCreate)
    provider = get_org(form.provider_id, OrgKind.provider)
    if provider is None:
        abort(403)
    wanted = set(form.title_series_ids)
    fields = services.CourseFields(
        title=form.title,
        description=form.description,
        category=Category(form.category),
        topic=db.session.get(Topic, form.topic_id) if form.topic_id else None,
        title_series=[s for s in title_series() if s.id in wanted],
    )
    try:
        course = services.create_course(user, provider, fields)
    except services.CourseError as exc:
        return error_response(400, "invalid", exc)
    db.session.commit()
    return respond(CourseDetail, _detail(course, []), 201)


@operation("GET", "/courses/<int:course_id>/videos", "Every video of a course, with its state "
           "(provider)", tag="provider", response=VideoStatus, many=True)
def course_videos(course_id: int) -> Any:
    user = require_login()
    course = db.get_or_404(Course, course_id)
    require(course.can_manage(user))
    return respond(VideoStatus, [video_status(v) for v in course.videos])


@operation("POST", "/courses/<int:course_id>/videos", "Announce a video upload (provider)",
           tag="provider", body=UploadStart, response=VideoStatus)
def start_upload(course_id: int) -> Any:
    user = require_login()
    course = db.get_or_404(Course, course_id)
    require(course.can_edit(user))
    form = parse(UploadStart)
    try:
        video = services.begin_upload(user, course, form.filename, form.size, form.title)
    except services.UploadError as exc:
        return error_response(400, "invalid", exc)
    db.session.commit()
    return respond(VideoStatus, video_status(video), 201)


@operation("GET", "/videos/<int:video_id>", "A video's upload and transcode state",
           tag="provider", response=VideoStatus)
def get_video(video_id: int) -> Any:
    user = require_login()
    video = db.get_or_404(Video, video_id)
    require(video.course.can_manage(user))
    return respond(VideoStatus, video_status(video))


@operation(
    "PUT", "/videos/<int:video_id>/upload", "Send the next chunk of a video's bytes (provider)",
    tag="provider", response=VideoStatus,
    parameters=[{"name": "Upload-Offset", "in": "header", "required": True,
                 "schema": {"type": "integer"},
                 "description": "where this chunk starts: the video's `received`"}],
    raw_body="At most 8 MiB of the file, starting at Upload-Offset. A 409 answer carries the "
             "video state in `video`: resume from its `received`.",
    errors={400: "invalid: a header missing, or the chunk refused (the message says why)",
            409: ("offset_mismatch: the server holds other bytes than Upload-Offset assumes",
                  OffsetMismatch)},
)
def upload_chunk(video_id: int) -> Any:
    user = require_login()
    video = db.get_or_404(Video, video_id)
    require(video.course.can_edit(user))
    chunk_limit = current_app.config["UPLOAD_CHUNK_BYTES"]
    request.max_content_length = chunk_limit
    offset = request.headers.get("Upload-Offset", type=int)
    length = request.content_length
    if offset is None or length is None:
        return error_response(400, "invalid", _("缺少 Upload-Offset 或 Content-Length。"),
                              "Upload-Offset" if offset is None else "Content-Length")
    if length > chunk_limit:
        abort(413)
    try:
        services.check_chunk(user, video, offset, length)
    except services.OffsetMismatch:
        return _offset_mismatch(video)
    except services.UploadError as exc:
        return error_response(400, "invalid", exc)
    db.session.commit()  # hold no transaction while the body trickles in
    part = services.spool_chunk(video_id, request.stream, length)
    try:
        complete = services.append_chunk(video, offset, part)
    except services.OffsetMismatch:
        db.session.rollback()
        return _offset_mismatch(video)
    db.session.commit()
    if complete:
        jobs.enqueue(PROCESS_VIDEO, video.id)
    return respond(VideoStatus, video_status(video))


def _offset_mismatch(video: Video) -> Any:
    return respond(OffsetMismatch, {
        "error": "offset_mismatch", "field": "Upload-Offset",
        "message": _("服务器已收到 %(n)d 字节，请从那里继续上传。", n=video.received),
        "video": video_status(video),
    }, 409)
