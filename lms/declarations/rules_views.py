"""The city admin's page of the year's declaration rules."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import login_required
from werkzeug.wrappers import Response

from lms.auth.guards import actor, require
from lms.auth.models import User
from lms.declarations import bp, rules, services
from lms.declarations.models import DeclarationType
from lms.declarations.rules_forms import CAPS, RulesForm
from lms.extensions import db


def _city_admin() -> User:
    user = actor()
    require(user.is_city_admin, _("申报规则由市人社局设置。"))
    return user


def selectable_years() -> list[int]:
    """The years the page offers: last year (still declared until the cut-off), this year
    and next."""
    this = services.today().year
    return [this - 1, this, this + 1]


@bp.route("/rules", methods=["GET", "POST"], defaults={"year": None})
@bp.route("/rules/<int:year>", methods=["GET", "POST"])
@login_required
def rules_page(year: int | None) -> str | Response | tuple[str, int]:
    user = _city_admin()
    year = services.today().year if year is None else year
    if year not in selectable_years():
        abort(404)
    current = rules.rules_for(year)
    form = RulesForm()
    if form.validate_on_submit():
        try:
            rules.save_rules(year, form.rules(year), user)
        except sa.exc.IntegrityError:  # another admin set the year at the same moment
            db.session.rollback()
            form.form_errors.append(_("规则刚被他人修改，请刷新页面后重新保存。"))
        except ValueError as exc:
            db.session.rollback()
            form.form_errors.append(str(exc))
        else:
            db.session.commit()
            flash(_("已保存 %(y)d 年度的申报规则。", y=year), "success")
            return redirect(url_for("declarations.rules_page", year=year))
    elif not form.is_submitted():
        form.fill(current)
    page = render_template(
        "declarations/rules.html", form=form, year=year, years=selectable_years(),
        kinds=list(DeclarationType), caps=CAPS, current=current,
        placeholder=any(rule.placeholder for rule in current.values()),
        cutoff=rules.cutoff(year),
    )
    return (page, 400) if form.is_submitted() else page
