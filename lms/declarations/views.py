"""Declarations' pages: the learner's list, form and detail; the reviewers' queue, decisions,
batches and export; revocation; evidence downloads."""

from __future__ import annotations

import io
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from flask import current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import login_required
from werkzeug.datastructures import FileStorage
from werkzeug.wrappers import Response

from lms.attachments import services as attachments
from lms.attachments.services import Upload
from lms.auth.guards import actor, require
from lms.auth.models import Role, User
from lms.courses.models import SECONDS_PER_CREDIT_HOUR
from lms.declarations import bp, rules, services
from lms.declarations.export import queue_workbook
from lms.declarations.forms import (
    BatchForm,
    DecisionForm,
    DeclarationForm,
    QueueFilterForm,
    ReasonForm,
    seconds_of,
)
from lms.declarations.models import Declaration, DeclarationType, Evidence
from lms.extensions import db
from lms.files.export import XLSX_MEDIA_TYPE
from lms.forms import ActionForm, Invalid, choice_list, show_errors
from lms.pagination import paginate
from lms.records.services import today
from lms.reviews.models import ReviewState
from lms.reviews.services import ReviewRefused
from lms.security import body_limit

QUEUE_PAGE_SIZE = 50


def _learner() -> User:
    user = actor()
    require(user.has_role(Role.learner) and user.unit is not None,
            _("学时申报由专业技术人员本人提交，且须属于一个单位。"))
    return user


def _visible(declaration_id: int) -> tuple[User, Declaration]:
    user = actor()
    declaration = db.get_or_404(Declaration, declaration_id)
    require(declaration.can_see(user))
    return user, declaration


# --- the learner -----------------------------------------------------------------------------


@bp.route("/")
@login_required
def mine() -> str:
    user = _learner()
    return render_template("declarations/mine.html", declarations=services.mine(user))


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new() -> str | Response:
    user = _learner()
    return _form(user, None)


@bp.route("/<int:declaration_id>/edit", methods=["GET", "POST"])
@login_required
def edit(declaration_id: int) -> str | Response:
    user = _learner()
    declaration = db.get_or_404(Declaration, declaration_id)
    require(declaration.can_edit(user), _("该申报已提交或已审核，不能修改。"))
    return _form(user, declaration)


def _evidence_body(config: Mapping[str, Any]) -> int:
    """A form may carry every evidence file the settings allow, and one more, so that a file
    over its own cap is refused by name on its field, not by a bare 413."""
    return ((config["DECLARATION_MAX_FILES"] + 1) * config["DECLARATION_FILE_MAX_BYTES"]
            + 1024 * 1024)


body_limit("declarations.new", _evidence_body)
body_limit("declarations.edit", _evidence_body)


def _uploads(form: DeclarationForm) -> list[Upload]:
    """The files sent, each read no further than one byte past the cap. With none sent, the
    field keeps what ``obj=declaration`` gave it, the evidence already uploaded: not files."""
    cap = current_app.config["DECLARATION_FILE_MAX_BYTES"]
    return [(f.filename, f.read(cap + 1)) for f in form.evidence.data or []
            if isinstance(f, FileStorage) and f.filename]


def _form(user: User, declaration: Declaration | None) -> str | Response:
    """Save (a draft), and submit when asked. A refused file or field saves nothing; a saved
    declaration that cannot be submitted yet opens again with what stops it."""
    form = DeclarationForm(obj=declaration)
    if declaration is not None and request.method == "GET":
        form.hours.data = Decimal(declaration.claimed_seconds) / SECONDS_PER_CREDIT_HOUR
    if form.validate_on_submit():
        try:
            declaration = services.save(user, declaration, form.fields(), _uploads(form))
        except Invalid as exc:
            db.session.rollback()
            show_errors(form, exc.errors)
            return _render_form(form, declaration)
        db.session.commit()
        if not form.submit_declaration.data:
            flash(_("已保存草稿。"), "success")
            return redirect(url_for("declarations.detail", declaration_id=declaration.id))
        return _submit(user, declaration, acknowledged=form.acknowledged.data)
    if declaration is not None and request.method == "GET":
        show_errors(form, services.problems(declaration))
    return _render_form(form, declaration)


def _submit(user: User, declaration: Declaration, *, acknowledged: bool) -> Response:
    try:
        warnings = services.submit(user, declaration, acknowledged=acknowledged)
    except Invalid as exc:
        db.session.rollback()
        flash(_("已保存为草稿，但未能提交：%(why)s", why="；".join(exc.errors.values())),
              "error")
        return redirect(url_for("declarations.edit", declaration_id=declaration.id))
    if warnings:
        db.session.rollback()
        flash(_("已保存为草稿。提交前请核对下方的提示，确认不是重复申报后再提交。"), "warning")
        return redirect(url_for("declarations.edit", declaration_id=declaration.id))
    db.session.commit()
    flash(_("已提交审核。"), "success")
    return redirect(url_for("declarations.detail", declaration_id=declaration.id))


def _render_form(form: DeclarationForm, declaration: Declaration | None) -> str:
    year = form.end_date.data.year if form.end_date.data else today().year
    return render_template(
        "declarations/form.html", form=form, declaration=declaration,
        warnings=services.duplicates(declaration) if declaration is not None else [],
        rules=rules.rules_for(year), year=year,
        max_files=current_app.config["DECLARATION_MAX_FILES"],
        max_megabytes=current_app.config["DECLARATION_FILE_MAX_BYTES"] // (1024 * 1024),
        cutoff=rules.cutoff(year),
    )


@bp.route("/<int:declaration_id>/submit", methods=["POST"])
@login_required
def submit(declaration_id: int) -> Response:
    user = actor()
    declaration = db.get_or_404(Declaration, declaration_id)
    require(declaration.can_edit(user), _("该申报已提交或已审核。"))
    if not ActionForm().validate_on_submit():
        flash(_("页面已过期，请刷新页面后重新提交。"), "error")
        return redirect(url_for("declarations.detail", declaration_id=declaration.id))
    return _submit(user, declaration, acknowledged=False)


@bp.route("/<int:declaration_id>/withdraw", methods=["POST"])
@login_required
def withdraw(declaration_id: int) -> Response:
    user = actor()
    declaration = db.get_or_404(Declaration, declaration_id)
    require(declaration.user_id == user.id)
    if ActionForm().validate_on_submit():
        try:
            require(declaration.can_withdraw(user), _("审核已开始，不能撤回。"))
            services.withdraw(user, declaration)
        except Invalid as exc:
            db.session.rollback()
            flash(exc.errors["form"], "error")
        else:
            db.session.commit()
            flash(_("已撤回，可修改后重新提交。"), "success")
    return redirect(url_for("declarations.detail", declaration_id=declaration.id))


@bp.route("/<int:declaration_id>/delete", methods=["POST"])
@login_required
def delete(declaration_id: int) -> Response:
    user = actor()
    declaration = db.get_or_404(Declaration, declaration_id)
    require(declaration.user_id == user.id and declaration.review is None
            and declaration.can_edit(user), _("只能删除未提交过的草稿。"))
    if ActionForm().validate_on_submit():
        services.delete_draft(user, declaration)
        db.session.commit()
        flash(_("草稿已删除。"), "success")
    return redirect(url_for("declarations.mine"))


@bp.route("/evidence/<int:evidence_id>")
@login_required
def evidence(evidence_id: int) -> Response:
    found = db.get_or_404(Evidence, evidence_id)
    require(found.declaration.can_see(actor()))
    if attachments.integrity(found.attachment) is attachments.Integrity.missing:
        return Response(_("文件已不在服务器上，请联系管理员。"), status=410,
                        mimetype="text/plain")
    return attachments.send(found.attachment)


@bp.route("/evidence/<int:evidence_id>/delete", methods=["POST"])
@login_required
def delete_evidence(evidence_id: int) -> Response:
    user = actor()
    found = db.get_or_404(Evidence, evidence_id)
    declaration_id = found.declaration_id
    require(found.declaration.can_edit(user))
    if ActionForm().validate_on_submit():
        services.remove_evidence(user, found)
        db.session.commit()
        flash(_("已删除该证明材料。"), "success")
    return redirect(url_for("declarations.edit", declaration_id=declaration_id))


# --- one declaration, for everyone who may see it --------------------------------------------


@bp.route("/<int:declaration_id>")
@login_required
def detail(declaration_id: int) -> str:
    user, declaration = _visible(declaration_id)
    return _detail(user, declaration, DecisionForm(), ReasonForm())


def _detail(user: User, declaration: Declaration, decision_form: DecisionForm,
            revoke_form: ReasonForm, status: int = 200) -> Any:
    review = declaration.review
    return render_template(
        "declarations/detail.html", declaration=declaration, review=review,
        check=services.check(declaration),
        can_decide=services.can_decide(user, declaration),
        capacity=review and services.reviews.capacity(user, review),
        decision_form=decision_form, revoke_form=revoke_form,
        record=services.credited_record(declaration),
        rule=rules.rule_for(declaration.year, declaration.type),
        is_owner=declaration.user_id == user.id,
    ), status


@bp.route("/<int:declaration_id>/decide", methods=["POST"])
@login_required
def decide(declaration_id: int) -> Any:
    user, declaration = _visible(declaration_id)
    require(declaration.can_review(user), _("不能审核本人的申报，或不在您的审核范围内。"))
    form = DecisionForm()
    if form.validate_on_submit():
        try:
            services.decide(
                user, declaration, form.chosen, reason=form.reason.data,
                seconds=seconds_of(form.hours.data) if form.hours.data is not None else None,
                seen=form.seen,
            )
        except ReviewRefused as exc:
            db.session.rollback()
            show_errors(form, {exc.field or "form": exc.message})
        else:
            db.session.commit()
            flash(_("已%(action)s：%(title)s", action=form.chosen.label,
                    title=declaration.title), "success")
            return redirect(url_for("declarations.detail", declaration_id=declaration.id))
    return _detail(user, declaration, form, ReasonForm(), status=400)


@bp.route("/<int:declaration_id>/revoke", methods=["POST"])
@login_required
def revoke(declaration_id: int) -> Any:
    user, declaration = _visible(declaration_id)
    require(declaration.can_revoke(user))
    form = ReasonForm()
    if form.validate_on_submit():
        try:
            services.revoke(user, declaration, form.reason.data or "")
        except Invalid as exc:
            db.session.rollback()
            show_errors(form, exc.errors)
        else:
            db.session.commit()
            flash(_("已撤销该申报记入的学时。"), "success")
            return redirect(url_for("declarations.detail", declaration_id=declaration.id))
    return _detail(user, declaration, DecisionForm(), form, status=400)


# --- the reviewers' queue --------------------------------------------------------------------


def _reviewer() -> User:
    user = actor()
    require(services.reviewer_of_anything(user))
    return user


def _queue_filter(user: User) -> tuple[QueueFilterForm, services.QueueFilter]:
    form = QueueFilterForm(request.args)
    this_year = today().year
    form.year.choices = choice_list(
        [("", _("全部年度"))] + [(str(y), str(y)) for y in range(this_year, this_year - 4, -1)])
    units = services.units_in_scope(user)
    form.unit.choices = choice_list([("", _("全部单位"))] + [(str(u.id), u.name) for u in units])
    wanted = services.QueueFilter()
    if form.validate():
        wanted = services.QueueFilter(
            type=DeclarationType(form.type.data) if form.type.data else None,
            unit_id=int(form.unit.data) if form.unit.data else None,
            year=int(form.year.data) if form.year.data else None,
            state=ReviewState(form.state.data) if form.state.data else None,
        )
    return form, wanted


@bp.route("/review")
@login_required
def queue() -> str:
    user = _reviewer()
    form, wanted = _queue_filter(user)
    page = paginate(services.queue(user, wanted), request.args.get("page", 1, type=int),
                     QUEUE_PAGE_SIZE)
    return render_template(
        "declarations/queue.html", form=form, page=page, batch=BatchForm(),
        waiting=wanted.state is None,
        args={k: v for k, v in request.args.items() if k != "page"},
        unstaffed=services.unstaffed_units() if user.is_city_admin else [],
    )


@bp.route("/review/approve", methods=["POST"])
@login_required
def approve_batch() -> Response:
    user = _reviewer()
    form = BatchForm()
    if not form.validate_on_submit():
        flash(_("请至少选择一项。"), "error")
        return redirect(url_for("declarations.queue"))
    batch = services.approve_each(user, form.ids.data or [])
    db.session.commit()
    skipped = len(batch.skipped) + batch.unseen
    flash(ngettext("已通过 %(num)d 项", "已通过 %(num)d 项", len(batch.decided))
          + (_("，跳过 %(n)d 项。", n=skipped) if skipped else "。"),
          "success" if batch.decided else "warning")
    for declaration, why in batch.skipped:
        flash(_("跳过「%(title)s」：%(why)s", title=declaration.title, why=why), "warning")
    if batch.unseen:
        flash(_("跳过 %(n)d 项：不存在或不在您的审核范围内。", n=batch.unseen), "warning")
    return redirect(url_for("declarations.queue"))


@bp.route("/review.xlsx")
@login_required
def export_queue() -> Response:
    user = _reviewer()
    _form_, wanted = _queue_filter(user)
    rows = db.session.scalars(services.queue(user, wanted)).all()
    return send_file(io.BytesIO(queue_workbook(rows)), mimetype=XLSX_MEDIA_TYPE,
                     as_attachment=True, download_name=_("待审核的学时申报.xlsx"))


# The other rooms of this blueprint attach their routes when imported.
from lms.declarations import rectification_views, rules_views  # noqa: E402, F401
