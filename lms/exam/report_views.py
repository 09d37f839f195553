"""A course's exam statistics and its results as Excel, for those who set the exam."""

from __future__ import annotations

import io

from flask import render_template, send_file
from flask_babel import gettext as _
from flask_login import login_required
from werkzeug.wrappers import Response

from lms.auth.guards import actor
from lms.courses.models import Course
from lms.exam import bp, statistics
from lms.exam.formats import excel
from lms.exam.questions import plain
from lms.extensions import db


@bp.route("/courses/<int:course_id>/statistics")
@login_required
def course_statistics(course_id: int) -> str:
    course = db.get_or_404(Course, course_id)
    found = statistics.course_statistics(actor(), course)
    return render_template("exam/statistics.html", course=course, stats=found, plain=plain)


@bp.route("/courses/<int:course_id>/results.xlsx")
@login_required
def results_excel(course_id: int) -> Response:
    course = db.get_or_404(Course, course_id)
    data = statistics.results_workbook(actor(), course)
    response = send_file(io.BytesIO(data), mimetype=excel.MEDIA_TYPE, as_attachment=True,
                         download_name=_("%(title)s-考试成绩.xlsx", title=course.title))
    response.headers["Cache-Control"] = "no-store"  # names and ID numbers: no copies on the way
    return response
