"""The learner's side of an exam: where they stand, taking a paper (answers saved as they go),
the result (rules §5)."""

from __future__ import annotations

from flask import flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from werkzeug.wrappers import Response

from lms.auth.guards import actor
from lms.courses.models import Course
from lms.exam import attempts, bp, papers, results, services
from lms.exam.models import ExamAttempt
from lms.exam.questions import plain
from lms.exam.schemas import AnswerSave
from lms.extensions import db
from lms.forms import ActionForm
from lms.jsonapi import error_response, parse


@bp.route("/course/<int:course_id>")
@login_required
def course_exam(course_id: int) -> str:
    course = db.get_or_404(Course, course_id)
    attempts.require_taker(actor(), course)
    standing = attempts.standing(actor(), course)
    db.session.commit()  # an attempt whose time ran out has just been submitted by the clock
    return render_template("exam/course_exam.html", course=course,
                           exam=services.exam_of(course), standing=standing,
                           action=ActionForm(), plain=plain)


@bp.route("/course/<int:course_id>/start", methods=["POST"])
@login_required
def start(course_id: int) -> Response:
    course = db.get_or_404(Course, course_id)
    try:
        attempt = attempts.start(actor(), course)
    except attempts.ExamClosed as closed:
        db.session.rollback()
        flash(str(closed), "error")
        return redirect(url_for("exam.course_exam", course_id=course.id))
    db.session.commit()
    return redirect(url_for("exam.attempt", attempt_id=attempt.id))


@bp.route("/course/<int:course_id>/restudy", methods=["POST"])
@login_required
def restudy(course_id: int) -> Response:
    course = db.get_or_404(Course, course_id)
    try:
        attempts.restudy(actor(), course)
    except attempts.ExamClosed as refused:
        db.session.rollback()
        flash(str(refused), "error")
    else:
        db.session.commit()
        flash(_("已申请重新学习：请从头观看本课程的全部视频，学完后可再考两次。"), "success")
    return redirect(url_for("exam.course_exam", course_id=course.id))


@bp.route("/attempts/<int:attempt_id>")
@login_required
def attempt(attempt_id: int) -> str:
    found = attempts.get(actor(), attempt_id)
    db.session.commit()  # an expired attempt has just been submitted by the clock
    if found.submitted_at is None:
        return render_template("exam/paper.html", attempt=found,
                               paper=papers.public(papers.from_json(found.paper)),
                               action=ActionForm())
    return _result(found)


@bp.route("/attempts/<int:attempt_id>/answers", methods=["POST"])
@login_required
def save(attempt_id: int) -> Response:
    """One answer as JSON (the page saves each as it is chosen), or the whole form. Neither
    says an answer is saved unless it was."""
    attempts.require_owner(actor(), attempt_id)  # the learner's own, or 403 before anything is read
    if request.is_json:
        return _save_one(attempt_id)
    given = [(key[2:], request.form.getlist(key)) for key in request.form if key.startswith("q-")]
    try:
        for key, chosen in given:
            attempts.save_answer(actor(), attempt_id, key, chosen)
    except attempts.AttemptClosed as closed:
        db.session.commit()  # what the clock did (grading the saved answers) stands
        flash(_("答案未保存：%(why)s", why=str(closed)), "error")
        return redirect(url_for("exam.attempt", attempt_id=attempt_id))
    except attempts.BadAnswer as bad:
        db.session.rollback()
        flash(_("答案未保存：%(why)s", why=str(bad)), "error")
        return redirect(url_for("exam.attempt", attempt_id=attempt_id))
    db.session.commit()
    if request.form.get("submit"):
        return submit(attempt_id)
    if given:
        flash(_("答案已保存。"), "success")
    else:
        flash(_("没有选择任何答案，没有保存。"), "info")
    return redirect(url_for("exam.attempt", attempt_id=attempt_id))


def _save_one(attempt_id: int) -> Response:
    """The page's script saving one answer: ``{"saved": true, …}``, or why not in the API's
    one error shape (the same refusals as ``POST /api/v1/attempts/<id>/answers``)."""
    form = parse(AnswerSave)
    try:
        found = attempts.save_answer(actor(), attempt_id, form.key, form.options)
    except attempts.AttemptClosed as closed:
        db.session.commit()  # what the clock did (grading the saved answers) stands
        return error_response(409, "attempt_closed", closed)
    except attempts.BadAnswer as bad:
        db.session.rollback()
        return error_response(422, "bad_answer", bad, bad.field)
    db.session.commit()
    return jsonify(saved=True, key=form.key, options=found.answers[form.key])


@bp.route("/attempts/<int:attempt_id>/submit", methods=["POST"])
@login_required
def submit(attempt_id: int) -> Response:
    attempts.submit(actor(), attempt_id)
    db.session.commit()
    return redirect(url_for("exam.attempt", attempt_id=attempt_id))


def _result(found: ExamAttempt) -> str:
    shown = results.shown(found)
    return render_template(
        "exam/result.html", attempt=found, plain=plain, wrong=shown.wrong or [],
        answers=shown.answers or [], withheld=shown.withheld,
        standing=attempts.standing(actor(), found.course),
    )
