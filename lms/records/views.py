"""The learner's year: learning record (学习档案) and annual completion (年度完成情况)."""

from __future__ import annotations

from flask import abort, render_template
from flask_login import login_required

from lms import clock
from lms.auth.guards import actor, require
from lms.auth.models import Role
from lms.records import bp, services, unit_views  # noqa: F401  (unit_views: its routes)


@bp.route("/")
@bp.route("/<int:year>")
@login_required
def year(year: int | None = None) -> str:
    user = actor()
    require(user.has_role(Role.learner))
    this_year = services.year_of(clock.now())
    year = year or this_year
    if not 2000 <= year <= this_year + 1:
        abort(404)
    return render_template(
        "records/year.html",
        summary=services.year(user, year),
        years=services.years(user, this_year),
        city_time=services.CITY_TIME,
    )
