"""Courses from draft to publication, uploads, the catalog. Services check first, then flush."""

from __future__ import annotations

import logging
import os
import shutil
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import IO

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload, selectinload
from werkzeug.exceptions import ClientDisconnected

from lms.audit import services as audit
from lms.audit.models import AuditEntry
from lms.auth.guards import require
from lms.auth.models import Role, User
from lms.courses import hooks, storage
from lms.courses.models import (
    Category,
    Course,
    CourseStatus,
    Enrollment,
    Topic,
    Video,
    VideoState,
)
from lms.courses.probe import megabytes
from lms.db import rowcount, utcnow
from lms.extensions import db
from lms.files import intake
from lms.orgs.models import Organisation, OrgKind, TitleSeries
from lms.pagination import Page, paginate

logger = logging.getLogger(__name__)
PAGE_SIZE = 12
COPY_BUFFER = 1024 * 1024
#: Unfinished uploads one course may have at once.
MAX_OPEN_UPLOADS = 20


class CourseError(ValueError):
    """The action cannot be done in the course's present state; str() says why."""


class UploadError(ValueError):
    """The upload request cannot be accepted; str() says why."""


class OffsetMismatch(UploadError):
    """The chunk does not start where the stored bytes end; resume from ``received``."""

    def __init__(self, received: int) -> None:
        super().__init__(_("上传位置不一致，请从 %(n)d 字节处继续。", n=received))
        self.received = received


# --- courses ---------------------------------------------------------------------------------


@dataclass
class CourseFields:
    title: str
    description: str
    category: Category
    topic: Topic | None
    title_series: list[TitleSeries]


def _check_fields(fields: CourseFields) -> None:
    if fields.category.is_public:
        if fields.topic is None or fields.topic.category is not fields.category:
            raise CourseError(_("公需科目课程须选择本类别的专题。"))
    elif fields.topic is not None:
        raise CourseError(_("专业科目课程不选专题。"))


def create_course(actor: User, provider: Organisation, fields: CourseFields) -> Course:
    require(provider.kind is OrgKind.provider and actor.has_role(Role.provider, provider))
    _check_fields(fields)
    course = Course(provider=provider, created_by_id=actor.id)
    _apply(course, fields)
    db.session.add(course)
    db.session.flush()
    return course


def update_course(actor: User, course: Course, fields: CourseFields) -> None:
    require(course.can_edit(actor))
    _check_fields(fields)
    _apply(course, fields)
    db.session.flush()


def _apply(course: Course, fields: CourseFields) -> None:
    course.title = fields.title.strip()
    course.description = fields.description.strip()
    course.category = fields.category
    course.topic = fields.topic
    course.title_series = list(fields.title_series)


#: What the course's review history shows, from the audit record.
REVIEW_ACTIONS = ("course.submit", "course.return", "course.publish", "course.archive")


@audit.privileged("course.submit")
def submit(actor: User, course: Course) -> None:
    """The provider sends a finished draft to the city for publication."""
    require(course.can_edit(actor))
    if not course.videos:
        raise CourseError(_("课程还没有视频。"))
    unfinished = [v for v in course.videos if v.state is not VideoState.ready]
    if unfinished:
        raise CourseError(
            _("视频“%(title)s”%(state)s，请等待处理完成或删除后再提交。",
              title=unfinished[0].title, state=unfinished[0].state.label)
        )
    course.status = CourseStatus.submitted
    course.submitted_at = utcnow()
    course.review_note = None  # the returns and their reasons stay in the review history
    db.session.flush()
    audit.record(actor, "course.submit", course, acting_as=[(Role.provider, course.provider)])


@audit.privileged("course.publish")
def publish(actor: User, course: Course) -> None:
    require(actor.is_city_admin)
    if course.status is not CourseStatus.submitted:
        raise CourseError(_("只有待审核的课程可以发布。"))
    if any(v.state is not VideoState.ready for v in course.videos):
        raise CourseError(_("课程中有未处理完成的视频。"))
    if missing := hooks.publish_problems(course):
        raise CourseError("；".join(missing))
    course.status = CourseStatus.published
    course.published_at = utcnow()
    course.published_by_id = actor.id
    db.session.flush()
    audit.record(actor, "course.publish", course, acting_as=[Role.city_admin])
    logger.info("course %s published by %s", course.id, actor.id)


@audit.privileged("course.return")
def return_to_draft(actor: User, course: Course, note: str) -> None:
    """The city sends a submitted course back to its provider (``CourseStatus.returned``),
    saying why: edited and resubmitted like a draft, shown as returned with the reason."""
    require(actor.is_city_admin)
    if course.status is not CourseStatus.submitted:
        raise CourseError(_("只有待审核的课程可以退回。"))
    course.status = CourseStatus.returned
    course.review_note = note.strip() or None
    db.session.flush()
    audit.record(actor, "course.return", course, acting_as=[Role.city_admin], reason=note)


@audit.privileged("course.archive")
def archive(actor: User, course: Course) -> None:
    require(actor.is_city_admin)
    if course.status is not CourseStatus.published:
        raise CourseError(_("只有已发布的课程可以归档。"))
    course.status = CourseStatus.archived
    db.session.flush()
    audit.record(actor, "course.archive", course, acting_as=[Role.city_admin])


def review_history(course: Course) -> list[AuditEntry]:
    """The course's submissions, returns with their reasons, publication and archiving, oldest
    first: the record keeps every one, where the review note keeps only the last return."""
    return audit.history(course, REVIEW_ACTIONS)


def courses_of(user: User) -> list[Course]:
    """The courses of every provider the user works for."""
    providers = [org.id for org in user.scopes(Role.provider)]
    if not providers:
        return []
    return list(
        db.session.scalars(
            sa.select(Course)
            .where(Course.provider_id.in_(providers))
            .order_by(Course.created_at.desc(), Course.id.desc())
        )
    )


def awaiting_review() -> list[Course]:
    return list(
        db.session.scalars(
            sa.select(Course)
            .where(Course.status == CourseStatus.submitted)
            .order_by(Course.submitted_at)
        )
    )


def topic_year() -> int:
    """This year, or the latest earlier year with a topic list while this year's is not set."""
    this_year = date.today().year
    latest = db.session.scalar(sa.select(sa.func.max(Topic.year)).where(Topic.year <= this_year))
    return latest or this_year


def topics(year: int, category: Category | None = None) -> list[Topic]:
    query = sa.select(Topic).where(Topic.year == year).order_by(Topic.category, Topic.position)
    if category is not None:
        query = query.where(Topic.category == category)
    return list(db.session.scalars(query))


# --- uploads ---------------------------------------------------------------------------------


def begin_upload(actor: User, course: Course, filename: str, size: int, title: str) -> Video:
    """Announce a file of ``size`` bytes; its bytes follow in chunks (:func:`receive_chunk`)."""
    require(course.can_edit(actor))
    limit = current_app.config["VIDEO_MAX_BYTES"]
    if size <= 0:
        raise UploadError(_("文件是空的（0 字节），请重新选择视频文件。"))
    if size > limit:
        raise UploadError(
            _("文件大小 %(size)s，超过上限 %(limit)s。", size=megabytes(size),
              limit=megabytes(limit))
        )
    _check_free_space(size)
    _check_quota(course.provider, size)
    open_uploads = sum(1 for v in course.videos if v.state is VideoState.uploading)
    if open_uploads >= MAX_OPEN_UPLOADS:
        raise UploadError(
            _("本课程已有 %(n)d 个未完成的上传，请先继续或删除它们。", n=open_uploads)
        )
    name = storage.display_name(filename)
    position = max((v.position for v in course.videos), default=0) + 1
    video = Video(
        course=course,
        position=position,
        title=(title or os.path.splitext(name)[0]).strip()[:120] or name,
        original_filename=name,
        size=size,
        uploaded_by_id=actor.id,
    )
    db.session.add(video)
    db.session.flush()
    return video


def check_chunk(actor: User, video: Video, offset: int, length: int) -> None:
    """May ``actor`` send ``length`` bytes at ``offset``? Raise if not. No bytes are read yet:
    the caller ends its transaction before it reads the (slow) request body."""
    require(video.course.can_edit(actor))
    if video.state is not VideoState.uploading:
        raise UploadError(_("该视频已上传完成。"))
    if offset != video.received:
        raise OffsetMismatch(video.received)
    if length <= 0 or offset + length > video.size:
        raise UploadError(_("上传的数据超出了文件声明的大小。"))
    # Again for every chunk: other uploads and transcodes fill the volume meanwhile.
    _check_free_space(length)


def storage_used(provider: Organisation) -> int:
    """Bytes the provider's videos take: every original not refused (a refused one is deleted)
    and every published rendition."""
    used = db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(
            sa.case((Video.state == VideoState.refused, 0), else_=Video.size)
            + sa.func.coalesce(Video.rendition_bytes, 0)
        ), 0))
        .join(Course, Course.id == Video.course_id)
        .where(Course.provider_id == provider.id)
    )
    return int(used or 0)


def _check_quota(provider: Organisation, size: int) -> None:
    quota = current_app.config["PROVIDER_QUOTA_BYTES"]
    used = storage_used(provider)
    if used + size > quota:
        raise UploadError(_(
            "本机构的视频已占用 %(used)s，加上这个文件将超过上限 %(limit)s：请删除不再使用的视频，"
            "或联系市人社局调整。", used=megabytes(used), limit=megabytes(quota)))


def _check_free_space(size: int) -> None:
    if storage.free_bytes() - size < current_app.config["MEDIA_FREE_RESERVE_BYTES"]:
        logger.error("media volume nearly full: refusing %d bytes of upload", size)
        raise UploadError(_("服务器存储空间不足，暂时无法上传，请联系市人社局。"))


def spool_chunk(video_id: int, stream: IO[bytes], length: int) -> Path:
    """Stream up to ``length`` bytes of the request body into a private file; no database.
    A connection that breaks off keeps what arrived."""
    part = storage.chunk_path(video_id)
    with part.open("wb") as target:
        stored = 0
        while stored < length:
            try:
                piece = stream.read(min(COPY_BUFFER, length - stored))
            except ClientDisconnected:
                break
            if not piece:
                break
            target.write(piece)
            stored += len(piece)
        target.flush()
        os.fsync(target.fileno())
    return part


def append_chunk(video: Video, offset: int, part: Path) -> bool:
    """Add a spooled chunk to the original at ``offset``, unless another request did first;
    return True when the file is complete (queued: the caller starts the job after commit)."""
    try:
        stored = part.stat().st_size
        if stored == 0:
            return False
        # Moving the mark takes the row's lock (the database's on SQLite) until the caller
        # commits: the bytes below go in while no other chunk can.
        moved = rowcount(db.session.execute(
            sa.update(Video)
            .where(Video.id == video.id, Video.received == offset,
                   Video.state == VideoState.uploading)
            .values(received=offset + stored)
            .execution_options(synchronize_session=False)
        ))
        db.session.refresh(video)
        if not moved:
            raise OffsetMismatch(video.received)
        original = storage.upload_path(video.id)
        original.touch(exist_ok=True)
        with original.open("r+b") as target, part.open("rb") as source:
            target.seek(offset)
            target.truncate()  # bytes a broken earlier attempt left past the mark
            shutil.copyfileobj(source, target, COPY_BUFFER)
            target.flush()
            os.fsync(target.fileno())
    finally:
        part.unlink(missing_ok=True)
    if video.received == video.size:
        video.state = VideoState.queued
        db.session.flush()
        return True
    return False


def retry(actor: User, video: Video) -> None:
    require(video.course.can_edit(actor))
    if video.state is not VideoState.failed:
        raise CourseError(_("只有转码失败的视频可以重试。"))
    video.state = VideoState.queued
    video.reason = None
    video.progress = 0
    db.session.flush()


def delete_video(actor: User, video: Video) -> int:
    """Remove the video from its course; the caller deletes its files after committing."""
    require(video.course.can_edit(actor))
    video_id = video.id
    video.course.videos.remove(video)
    db.session.flush()
    return video_id


def move_video(actor: User, video: Video, step: int) -> None:
    """Move a video one place up (-1) or down (+1) in its course."""
    require(video.course.can_edit(actor))
    videos = list(video.course.videos)
    index = videos.index(video)
    other = index + step
    if 0 <= other < len(videos):
        videos[index], videos[other] = videos[other], videos[index]
        for position, item in enumerate(videos, start=1):
            item.position = position
        db.session.flush()


# --- the learner's side ----------------------------------------------------------------------


@dataclass(frozen=True)
class CatalogQuery:
    category: Category | None = None
    topic_id: int | None = None
    title_series_id: int | None = None
    provider_id: int | None = None
    text: str = ""
    page: int = 1


def catalog(query: CatalogQuery) -> Page[Course]:
    """Published courses matching ``query``, newest first, a page at a time."""
    select = sa.select(Course).where(Course.status == CourseStatus.published)
    if query.category:
        select = select.where(Course.category == query.category)
    if query.topic_id:
        select = select.where(Course.topic_id == query.topic_id)
    if query.provider_id:
        select = select.where(Course.provider_id == query.provider_id)
    if query.title_series_id:  # courses aimed at that series, and those aimed at everyone
        select = select.where(
            sa.or_(
                Course.title_series.any(TitleSeries.id == query.title_series_id),
                ~Course.title_series.any(),
            )
        )
    if query.text.strip():
        select = select.where(Course.title.contains(query.text.strip(), autoescape=True))
    # A listing shows each course's credit, provider, topic and series: load them with it.
    select = select.options(
        selectinload(Course.videos), selectinload(Course.title_series),
        joinedload(Course.provider), joinedload(Course.topic),
    )
    return paginate(
        select.order_by(Course.published_at.desc(), Course.id.desc()), query.page, PAGE_SIZE
    )


def open_video(actor: User, video: Video) -> Enrollment:
    """The learner starts or resumes ``video``: the course goes into "my courses"."""
    require(video.course.can_view(actor) and video.state is VideoState.ready)
    enrollment = db.session.scalar(
        sa.select(Enrollment).where(
            Enrollment.user_id == actor.id, Enrollment.course_id == video.course_id
        )
    )
    if enrollment is None:
        enrollment = Enrollment(user_id=actor.id, course_id=video.course_id)
        try:
            with db.session.begin_nested():
                db.session.add(enrollment)
        except sa.exc.IntegrityError:  # the same learner, in another tab, just did
            enrollment = db.session.scalars(
                sa.select(Enrollment).where(
                    Enrollment.user_id == actor.id, Enrollment.course_id == video.course_id
                )
            ).one()
    enrollment.last_video_id = video.id
    enrollment.last_opened_at = utcnow()
    db.session.flush()
    return enrollment


def my_courses(user: User) -> list[tuple[Enrollment, int]]:
    """The learner's courses, last opened first, each with the percent of it verifiably
    watched."""
    enrollments = list(
        db.session.scalars(
            sa.select(Enrollment)
            .where(Enrollment.user_id == user.id)
            .options(
                selectinload(Enrollment.course).selectinload(Course.videos),
                joinedload(Enrollment.last_video),
            )
            .order_by(Enrollment.last_opened_at.desc())
        )
    )
    covered = hooks.watched(user)
    result = []
    for enrollment in enrollments:
        videos = enrollment.course.ready_videos
        total = sum(v.duration_seconds or 0 for v in videos) or 1
        watched = sum(min(covered.get(v.id, 0.0), v.duration_seconds or 0) for v in videos)
        result.append((enrollment, int(watched * 100 // total)))
    return result


# --- covers ----------------------------------------------------------------------------------

def receive_cover(actor: User, course: Course, data: bytes) -> str:
    """Take a course's new cover: a JPEG or PNG by its content, under the image caps
    (``lms.files``), kept for the job that re-encodes it (``tasks.reencode_cover``) outside the
    request. Returns what to enqueue that job with."""
    require(course.can_edit(actor))
    try:
        image = intake.read_image(data)
    except intake.Refused as refused:
        raise UploadError(str(refused)) from None
    return storage.keep_incoming_cover(course.id, data, image.mime_type)


def abandoned_uploads(older_than: timedelta) -> list[Video]:
    """Uploads nobody has added a byte to for ``older_than``."""
    return list(
        db.session.scalars(
            sa.select(Video).where(
                Video.state == VideoState.uploading, Video.updated_at < utcnow() - older_than
            )
        )
    )
