"""The unit's view of its staff's year (本单位学时), and each unit's for those who supervise
units (学时统计): pages and their workbooks.

Query arguments that make no sense (a sort or filter the table has not, a page that is not a
number) fall back to the table's defaults, and the page shows what it shows; a year that is no
year is refused with 400 and says which years there are.
"""

from __future__ import annotations

import io
from collections.abc import Mapping

from flask import abort, make_response, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import login_required
from werkzeug.wrappers import Response

from lms import clock
from lms.auth.guards import actor, require
from lms.auth.models import Role, User
from lms.extensions import db
from lms.files.export import XLSX_MEDIA_TYPE
from lms.orgs.models import Organisation
from lms.orgs.services import get_unit
from lms.records import bp, services, standing

#: Years offered as tabs: this one and the four before it (a 职称 cycle); any other year from
#: 2000 on can still be asked for.
YEARS_SHOWN = 5


def _this_year() -> int:
    return services.year_of(clock.now())


def _year(args: Mapping[str, str]) -> int:
    this_year = _this_year()
    raw = args.get("year", "").strip()
    if not raw:
        return this_year
    try:
        year = int(raw)
    except ValueError:
        year = 0
    if not 2000 <= year <= this_year + 1:
        abort(400, description=_("年度应为 2000 至 %(last)d 之间的年份。", last=this_year + 1))
    return year


def _years(shown: int) -> list[int]:
    this_year = _this_year()
    return sorted({*range(this_year, this_year - YEARS_SHOWN, -1), shown}, reverse=True)


def _choice(args: Mapping[str, str], name: str, choices: tuple[str, ...]) -> str:
    value = args.get(name, "")
    return value if value in choices else choices[0]


def _page(args: Mapping[str, str]) -> int:
    raw = args.get("page", "")
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 10 else 1


def _staff_query(args: Mapping[str, str]) -> standing.StaffQuery:
    return standing.StaffQuery(
        year=_year(args),
        sort=_choice(args, "sort", standing.STAFF_SORTS),
        descending=args.get("dir") == "desc",
        status=_choice(args, "status", standing.STATUSES),
        search=args.get("q", "").strip()[:50],
        page=_page(args),
    )


def _unit_query(args: Mapping[str, str]) -> standing.UnitQuery:
    return standing.UnitQuery(
        year=_year(args),
        sort=_choice(args, "sort", standing.UNIT_SORTS),
        descending=args.get("dir") == "desc",
        page=_page(args),
    )


def _unit_or_404(unit_id: int) -> Organisation:
    unit = get_unit(unit_id)
    if unit is None:
        abort(404)
    return unit


def _sees_many(user: User) -> bool:
    """Whether the per-unit table is worth showing: to a supervisor of units, or a reviewer
    of more than one; a reviewer of one unit goes straight to its staff."""
    return (user.is_city_admin or user.has_role(Role.department_reviewer)
            or user.has_role(Role.district_reviewer) or len(user.managed_units) > 1)


def _workbook(data: bytes, name: str) -> Response:
    response = send_file(io.BytesIO(data), mimetype=XLSX_MEDIA_TYPE, as_attachment=True,
                         download_name=name)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/units")
@login_required
def units() -> str | Response:
    user = actor()
    require(user.sees_units_standing)
    if not _sees_many(user):
        return redirect(url_for("records.staff", unit_id=user.managed_units[0].id,
                                year=request.args.get("year")))
    query = _unit_query(request.args)
    return render_template("records/units.html", table=standing.unit_table(user, query),
                           years=_years(query.year))


@bp.route("/units.xlsx")
@login_required
def units_excel() -> Response:
    user = actor()
    require(user.sees_units_standing)
    query = _unit_query(request.args)
    data = standing.export_units(user, query)
    return _workbook(data, _("各单位学时统计-%(y)d年度.xlsx", y=query.year))


@bp.route("/units/<int:unit_id>")
@login_required
def staff(unit_id: int) -> Response:
    unit = _unit_or_404(unit_id)
    user = actor()
    require(user.can_see_staff_year_of(unit))
    query = _staff_query(request.args)
    response = make_response(render_template(
        "records/staff.html", table=standing.staff_table(user, unit, query),
        years=_years(query.year), can_export=user.can_export_staff_of(unit),
        overview=_sees_many(user),
    ))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/units/<int:unit_id>/staff.xlsx")
@login_required
def staff_excel(unit_id: int) -> Response:
    unit = _unit_or_404(unit_id)
    user = actor()
    require(user.can_export_staff_of(unit))
    query = _staff_query(request.args)
    data = standing.export_staff(user, unit, query)
    db.session.commit()  # the audit entry: kept before the numbers leave
    return _workbook(data, _("%(unit)s-%(y)d年度学时.xlsx", unit=unit.name, y=query.year))
