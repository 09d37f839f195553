"""Pages: providers build courses and upload videos, the city publishes, learners study."""

from __future__ import annotations

from collections.abc import Callable

from flask import (
    abort,
    flash,
    redirect,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from flask_babel import gettext as _
from flask_login import login_required
from werkzeug.wrappers import Response

from lms import jobs
from lms.auth.guards import actor, require, require_role
from lms.auth.models import Role
from lms.courses import bp, hooks, services, storage, streaming
from lms.courses.forms import CatalogForm, CourseForm, CoverForm, ReturnForm
from lms.courses.models import (
    CATEGORY_LABELS,
    Category,
    Course,
    CourseStatus,
    Topic,
    Video,
    VideoState,
)
from lms.courses.tasks import PROCESS_VIDEO, REENCODE_COVER
from lms.extensions import db
from lms.forms import ActionForm, choice_list
from lms.orgs.forms import org_choices, title_series_choices
from lms.orgs.models import OrgKind
from lms.orgs.services import get_org, title_series


def _attempt(action: Callable[[], object], done: str) -> bool:
    """Run a course action: commit and say ``done``, or show why it cannot be done."""
    try:
        action()
    except services.CourseError as exc:
        flash(str(exc), "error")
        return False
    db.session.commit()
    flash(done, "success")
    return True


# --- provider --------------------------------------------------------------------------------


@bp.route("/mine")
@login_required
def mine() -> str:
    user = require_role(Role.provider)
    return render_template("courses/mine.html", courses=services.courses_of(user))


def _course_form(form: CourseForm) -> None:
    year = services.topic_year()
    form.provider_id.choices = choice_list(
        [(org.id, org.name) for org in actor().scopes(Role.provider)]
    )
    form.topic_id.choices = choice_list([(0, _("（不选）"))]) + [
        choice
        for category in (Category.public_compulsory, Category.public_elective)
        for choice in choice_list(
            [(t.id, t.name) for t in services.topics(year, category)],
            str(CATEGORY_LABELS[category]),
        )
    ]
    form.title_series.choices = title_series_choices()[1:]


def _fields(form: CourseForm) -> services.CourseFields:
    wanted = set(form.title_series.data or [])
    return services.CourseFields(
        title=form.title.data,
        description=form.description.data or "",
        category=form.category_value,
        topic=db.session.get(Topic, form.topic_id.data) if form.topic_id.data else None,
        title_series=[s for s in title_series() if s.id in wanted],
    )


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new() -> str | Response:
    require_role(Role.provider)
    form = CourseForm()
    _course_form(form)
    if form.validate_on_submit():
        provider = get_org(form.provider_id.data, OrgKind.provider)
        if provider is None:
            abort(403)
        try:
            course = services.create_course(actor(), provider, _fields(form))
        except services.CourseError as exc:
            form.topic_id.errors.append(str(exc))
        else:
            db.session.commit()
            flash(_("课程已创建，请上传视频。"), "success")
            return redirect(url_for("courses.edit", course_id=course.id))
    return render_template("courses/form.html", form=form, course=None)


@bp.route("/<int:course_id>/edit", methods=["GET", "POST"])
@login_required
def edit(course_id: int) -> str | Response:
    course = db.get_or_404(Course, course_id)
    require(course.can_manage(actor()))
    form = CourseForm(obj=course)
    _course_form(form)
    if request.method == "POST":
        require(course.can_edit(actor()))
    if request.method == "GET":
        form.provider_id.data = course.provider_id
        form.category.data = course.category.value
        form.topic_id.data = course.topic_id or 0
        form.title_series.data = [s.id for s in course.title_series]
    elif form.validate_on_submit():
        try:
            services.update_course(actor(), course, _fields(form))
        except services.CourseError as exc:
            form.topic_id.errors.append(str(exc))
        else:
            db.session.commit()
            flash(_("已保存。"), "success")
            return redirect(url_for("courses.edit", course_id=course.id))
    return render_template(
        "courses/form.html", form=form, course=course, cover_form=CoverForm(),
        action=ActionForm(), editable=course.can_edit(actor()),
        history=services.review_history(course),
    )


@bp.route("/<int:course_id>/cover", methods=["POST"])
@login_required
def cover(course_id: int) -> Response:
    course = db.get_or_404(Course, course_id)
    require(course.can_edit(actor()))
    form = CoverForm()
    if form.validate_on_submit():
        try:
            incoming = services.receive_cover(actor(), course, form.cover.data.read())
        except services.UploadError as exc:
            flash(str(exc), "error")
        else:
            jobs.enqueue(REENCODE_COVER, course.id, incoming)
            flash(_("封面已收到，处理完成后即会显示。"), "success")
    else:
        flash(_("请选择图片。"), "error")
    return redirect(url_for("courses.edit", course_id=course.id))


@bp.route("/<int:course_id>/submit", methods=["POST"])
@login_required
def submit(course_id: int) -> Response:
    course = db.get_or_404(Course, course_id)
    require(course.can_edit(actor()))
    _attempt(lambda: services.submit(actor(), course), _("已提交市人社局审核。"))
    return redirect(url_for("courses.edit", course_id=course.id))


@bp.route("/videos/<int:video_id>/retry", methods=["POST"])
@login_required
def retry(video_id: int) -> Response:
    video = db.get_or_404(Video, video_id)
    require(video.course.can_edit(actor()))
    if _attempt(lambda: services.retry(actor(), video), _("已重新排队处理。")):
        jobs.enqueue(PROCESS_VIDEO, video.id)
    return redirect(url_for("courses.edit", course_id=video.course_id))


@bp.route("/videos/<int:video_id>/delete", methods=["POST"])
@login_required
def delete_video(video_id: int) -> Response:
    video = db.get_or_404(Video, video_id)
    course_id = video.course_id
    require(video.course.can_edit(actor()))
    removed = services.delete_video(actor(), video)
    db.session.commit()
    storage.remove_video_files(removed)
    flash(_("视频已删除。"), "info")
    return redirect(url_for("courses.edit", course_id=course_id))


@bp.route("/videos/<int:video_id>/move/<any(up, down):direction>", methods=["POST"])
@login_required
def move_video(video_id: int, direction: str) -> Response:
    video = db.get_or_404(Video, video_id)
    require(video.course.can_edit(actor()))
    services.move_video(actor(), video, -1 if direction == "up" else 1)
    db.session.commit()
    return redirect(url_for("courses.edit", course_id=video.course_id))


# --- city review -----------------------------------------------------------------------------


@bp.route("/review")
@login_required
def review() -> str:
    require_role(Role.city_admin)
    return render_template(
        "courses/review.html", courses=services.awaiting_review(), form=ReturnForm()
    )


@bp.route("/<int:course_id>/publish", methods=["POST"])
@login_required
def publish(course_id: int) -> Response:
    course = db.get_or_404(Course, course_id)
    require(actor().is_city_admin)
    _attempt(lambda: services.publish(actor(), course), _("《%(t)s》已发布。", t=course.title))
    return redirect(url_for("courses.review"))


@bp.route("/<int:course_id>/return", methods=["POST"])
@login_required
def return_course(course_id: int) -> Response:
    course = db.get_or_404(Course, course_id)
    require(actor().is_city_admin)
    form = ReturnForm()
    if not form.validate_on_submit():
        flash(_("请写明退回原因。"), "error")
        return redirect(url_for("courses.review"))
    _attempt(
        lambda: services.return_to_draft(actor(), course, form.note.data),
        _("《%(t)s》已退回修改。", t=course.title),
    )
    return redirect(url_for("courses.review"))


@bp.route("/<int:course_id>/archive", methods=["POST"])
@login_required
def archive(course_id: int) -> Response:
    course = db.get_or_404(Course, course_id)
    require(actor().is_city_admin)
    _attempt(lambda: services.archive(actor(), course), _("《%(t)s》已归档。", t=course.title))
    return redirect(url_for("courses.detail", course_id=course.id))


# --- learners --------------------------------------------------------------------------------


@bp.route("/")
@login_required
def catalog() -> str:
    form = CatalogForm(request.args)
    year = services.topic_year()
    form.category.choices = choice_list(
        [("", _("全部类别"))] + [(c.value, label) for c, label in CATEGORY_LABELS.items()]
    )
    form.topic.choices = choice_list([(0, _("全部专题"))]) + choice_list(
        [(t.id, t.name) for t in services.topics(year)]
    )
    form.series.choices = choice_list([(0, _("全部职称系列"))]) + title_series_choices()[1:]
    form.provider.choices = choice_list([(0, _("全部培训机构"))]) + org_choices(OrgKind.provider)
    form.validate()
    query = services.CatalogQuery(
        category=Category.parse(form.category.data),
        topic_id=form.topic.data or None if not form.topic.errors else None,
        title_series_id=form.series.data or None if not form.series.errors else None,
        provider_id=form.provider.data or None if not form.provider.errors else None,
        text=(form.q.data or "")[:50],
        page=request.args.get("page", 1, type=int),
    )
    args = {k: v for k, v in request.args.items() if k != "page" and v not in ("", "0")}
    return render_template(
        "courses/catalog.html", form=form, page=services.catalog(query), args=args
    )


@bp.route("/<int:course_id>")
@login_required
def detail(course_id: int) -> str:
    course = db.get_or_404(Course, course_id)
    require(course.can_view(actor()))
    return render_template(
        "courses/detail.html",
        course=course,
        **hooks.course_page(actor(), course),
        action=ActionForm(),
        history=services.review_history(course) if course.can_manage(actor()) else [],
    )


@bp.route("/my")
@login_required
def my() -> str:
    return render_template("courses/my.html", entries=services.my_courses(actor()))


@bp.route("/<int:course_id>/cover.jpg")
@login_required
def cover_image(course_id: int) -> Response:
    course = db.get_or_404(Course, course_id)
    require(course.can_view(actor()) and course.cover is not None)
    return send_from_directory(storage.media_root(), str(course.cover), max_age=3600)


@bp.route("/<int:course_id>/videos/<int:video_id>")
@login_required
def play(course_id: int, video_id: int) -> str:
    video = db.get_or_404(Video, video_id)
    if video.course_id != course_id:
        abort(404)
    require(video.course.can_view(actor()) and video.state is VideoState.ready)
    return render_template(
        "courses/play.html",
        video=video,
        course=video.course,
        links=streaming.playback(video, actor().id),
        # Others (the provider, the city) preview it: nothing is verified or credited.
        verified=actor().has_role(Role.learner) and video.course.status is CourseStatus.published,
    )
