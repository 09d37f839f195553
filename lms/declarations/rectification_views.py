"""Rectification orders' pages (责令整改): the list and the form to issue one, for the city and
the districts' HR bureaus; an order's page, its report's upload and download, and lifting it."""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import login_required
from werkzeug.wrappers import Response

from lms.attachments import services as attachments
from lms.audit import services as audit
from lms.auth.guards import actor, require
from lms.auth.models import User
from lms.declarations import bp, rectification
from lms.declarations.models import RectificationOrder
from lms.declarations.rectification_forms import OrderForm, ReportForm
from lms.extensions import db
from lms.forms import ActionForm, Invalid, choice_list, show_errors
from lms.orgs.models import Organisation
from lms.records.services import today
from lms.security import body_limit

HISTORY = ("rectification.order", "rectification.report", "rectification.lift")


def _issuer() -> User:
    user = actor()
    require(rectification.may_issue(user), _("只有市人社局和区市人社局可以责令整改。"))
    return user


def _visible(order_id: int) -> tuple[User, RectificationOrder]:
    user = actor()
    order = db.get_or_404(RectificationOrder, order_id)
    require(order.can_see(user))
    return user, order


@bp.route("/orders", methods=["GET", "POST"])
@login_required
def orders() -> Any:
    user = _issuer()
    form = OrderForm()
    choices = rectification.orderable(user)
    form.org.choices = choice_list(
        [("", _("请选择"))] + [(o.id, f"{o.name}（{o.kind_label}）") for o in choices])
    if form.validate_on_submit():
        org = db.session.get(Organisation, form.org.data)
        if org is None:
            form.org.errors = [*form.org.errors, _("请从列表中选择。")]
        else:
            require(RectificationOrder.may_order(user, org), _(
                "您只能对本区市的单位责令整改；主管部门和其他区市的单位由市人社局责令整改。"))
            try:
                order = rectification.issue(user, org, form.reason.data or "",
                                            form.deadline.data)
            except Invalid as exc:
                db.session.rollback()
                show_errors(form, exc.errors)
            else:
                db.session.commit()
                flash(_("已责令 %(org)s 整改，其在审的 %(n)d 份学时申报已作不通过处理。",
                        org=org.name, n=len(_rejected(order))), "success")
                return redirect(url_for("declarations.order", order_id=order.id))
    return render_template("declarations/orders.html", form=form,
                           orders=rectification.issued_list(user),
                           today=today())


def _rejected(order: RectificationOrder) -> list[int]:
    entries = audit.history(order, ["rectification.order"])
    return list((entries[0].details or {}).get("rejected", [])) if entries else []


@bp.route("/orders/<int:order_id>")
@login_required
def order(order_id: int) -> Any:
    user, found = _visible(order_id)
    return _detail(user, found, ReportForm())


def _detail(user: User, order: RectificationOrder, form: ReportForm, status: int = 200) -> Any:
    return render_template(
        "declarations/orders_detail.html", order=order, form=form, today=today(),
        history=audit.history(order, HISTORY), rejected=len(_rejected(order)),
        can_report=order.can_report(user), can_lift=order.can_lift(user),
        may_issue=rectification.may_issue(user),
        max_megabytes=current_app.config["DECLARATION_FILE_MAX_BYTES"] // (1024 * 1024),
    ), status


@bp.route("/orders/<int:order_id>/report", methods=["POST"])
@login_required
def report_order(order_id: int) -> Any:
    user, found = _visible(order_id)
    require(found.can_report(user),
            _("只有被责令整改的单位（或主管部门）可以在整改期间上传整改报告。"))
    form = ReportForm()
    if form.validate_on_submit():
        cap = current_app.config["DECLARATION_FILE_MAX_BYTES"]
        upload = form.report.data
        try:
            rectification.report(user, found, (upload.filename, upload.read(cap + 1)))
        except Invalid as exc:
            db.session.rollback()
            show_errors(form, exc.errors)
        else:
            db.session.commit()
            flash(_("已上传整改报告。"), "success")
            return redirect(url_for("declarations.order", order_id=found.id))
    return _detail(user, found, form, status=400)


# Room for the report a little over its cap, refused by name on the field, not by a 413.
body_limit("declarations.report_order",
           lambda config: 2 * config["DECLARATION_FILE_MAX_BYTES"] + 1024 * 1024)


@bp.route("/orders/<int:order_id>/lift", methods=["POST"])
@login_required
def lift_order(order_id: int) -> Response:
    user, found = _visible(order_id)
    require(found.can_lift(user), _("只有发出该通知的人社局或市人社局可以解除整改。"))
    if ActionForm().validate_on_submit():
        try:
            rectification.lift(user, found)
        except Invalid as exc:
            db.session.rollback()
            flash(exc.errors["form"], "error")
        else:
            db.session.commit()
            flash(_("已解除对 %(org)s 的整改。", org=found.org.name), "success")
    return redirect(url_for("declarations.order", order_id=found.id))


@bp.route("/orders/<int:order_id>/report-file")
@login_required
def order_report(order_id: int) -> Response:
    _user, found = _visible(order_id)
    if found.report is None:
        abort(404)
    if attachments.integrity(found.report) is attachments.Integrity.missing:
        return Response(_("文件已不在服务器上，请联系管理员。"), status=410,
                        mimetype="text/plain")
    return attachments.send(found.report)
