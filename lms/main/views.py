"""Home page, language switch and health check."""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from lms.auth.guards import actor
from lms.auth.models import AccountState, Role, User
from lms.declarations import rectification
from lms.declarations import services as declarations
from lms.declarations.rectification_forms import ReportForm
from lms.extensions import db
from lms.i18n import LANGUAGE_COOKIE
from lms.main import bp
from lms.urls import safe_next


@bp.route("/")
def index() -> Response:
    return redirect(url_for("main.home" if current_user.is_authenticated else "auth.login"))


@bp.route("/home")
@login_required
def home() -> str:
    user = actor()
    pending = {}
    for unit in user.managed_units:
        pending[unit] = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(User)
            .where(User.unit_id == unit.id, User.state == AccountState.pending)
        )
    return render_template(
        "main/home.html", user=user, pending=pending,
        waiting=declarations.waiting_count(user)
        if declarations.reviewer_of_anything(user) else None,
        mine=declarations.status_counts(user) if user.has_role(Role.learner) else {},
        orders=rectification.standing_for(user), report_form=ReportForm(),
        today=rectification.today(),
    )


@bp.route("/language/<code>")
def language(code: str) -> Response:
    """Remember the reader's language in a cookie and go back where they were."""
    target = safe_next(request.args.get("next")) or url_for("main.index")
    response = redirect(target)
    if code in current_app.config["LANGUAGES"]:
        response.set_cookie(
            LANGUAGE_COOKIE, code, max_age=365 * 24 * 3600, samesite="Lax", httponly=True
        )
    return response


@bp.route("/healthz")
def health() -> dict[str, str]:
    db.session.execute(sa.text("SELECT 1"))
    return {"status": "ok"}
