"""Unit reviewers run their unit's roster; city admins open staff accounts and grant roles."""

from __future__ import annotations

import io

from flask import (
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_login import login_required
from werkzeug.wrappers import Response

from lms.auth.guards import actor, require, require_role
from lms.auth.models import AccountState, Role, RoleAssignment, User
from lms.auth.services import DuplicateIdNumber
from lms.extensions import db
from lms.files import intake
from lms.forms import ActionForm, choice_list
from lms.orgs.forms import org_choices, unit_choices
from lms.orgs.models import ORG_KIND_LABELS, Organisation, OrgKind
from lms.orgs.services import get_org, get_unit, organisations
from lms.staff import bp, importer, org_views, services  # noqa: F401  (org_views: its routes)
from lms.staff.forms import (
    ImportForm,
    RejectForm,
    ReleaseForm,
    RoleForm,
    SearchForm,
    StaffAccountForm,
)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _unit_or_404(unit_id: int) -> Organisation:
    unit = get_unit(unit_id)
    if unit is None:
        abort(404)
    return unit



@bp.route("/")
@login_required
def index() -> str | Response:
    user = require_role(Role.unit_reviewer, Role.city_admin)
    units = organisations(OrgKind.unit) if user.is_city_admin else user.managed_units
    if len(units) == 1:
        return redirect(url_for("staff.roster", unit_id=units[0].id))
    return render_template("staff/index.html", units=units)


@bp.route("/units/<int:unit_id>")
@login_required
def roster(unit_id: int) -> Response:
    unit = _unit_or_404(unit_id)
    require(actor().can_manage_unit(unit))
    page = request.args.get("page", 1, type=int)
    search = request.args.get("q", "", type=str)[:50]
    response = make_response(render_template(
        "staff/roster.html",
        unit=unit,
        pending=services.roster(unit, AccountState.pending, page=1),
        members=services.roster(unit, AccountState.active, page=page, search=search),
        search=search,
        form=ActionForm(),
    ))
    # The unit's reviewer sees pending registrations' full ID numbers: kept by no cache.
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/users/<int:user_id>/activate", methods=["POST"])
@login_required
def activate(user_id: int) -> Response:
    user = db.get_or_404(User, user_id)
    require(actor().can_manage_unit(user.unit))
    if services.activate(actor(), user):
        db.session.commit()
        flash(_("已激活 %(name)s 的账号。", name=user.name), "success")
    return redirect(url_for("staff.roster", unit_id=user.unit_id))


@bp.route("/users/<int:user_id>/reject", methods=["POST"])
@login_required
def reject(user_id: int) -> Response:
    user = db.get_or_404(User, user_id)
    require(actor().can_manage_unit(user.unit))
    form = RejectForm()
    if not form.validate_on_submit():
        for errors in form.errors.values():
            flash(" ".join(str(e) for e in errors), "error")
    elif services.reject(actor(), user, form.reason.data):
        db.session.commit()
        flash(_("已驳回 %(name)s 的注册申请。", name=user.name), "info")
    return redirect(url_for("staff.roster", unit_id=user.unit_id))


@bp.route("/users/<int:user_id>/reset-password", methods=["POST"])
@login_required
def reset_password(user_id: int) -> Response:
    user = db.get_or_404(User, user_id)
    require(actor().can_reset_password_of(user))
    password = services.reset_password(actor(), user)
    db.session.commit()
    back = url_for("staff.account", user_id=user.id) if actor().is_city_admin else url_for(
        "staff.roster", unit_id=user.unit_id
    )
    return _one_time_passwords([services.NewAccount(user, password)], _("密码已重置"), back)


@bp.route("/units/<int:unit_id>/import", methods=["GET", "POST"])
@login_required
def import_sheet(unit_id: int) -> str | Response:
    unit = _unit_or_404(unit_id)
    require(actor().can_manage_unit(unit))
    form = ImportForm()
    check = None
    if form.validate_on_submit():
        try:
            check, created = importer.import_staff(actor(), unit, form.sheet.data.read())
        except intake.Refused as exc:
            form.sheet.errors.append(str(exc))
        else:
            if created:
                db.session.commit()
                return _one_time_passwords(
                    created,
                    _("已导入 %(n)d 人", n=len(created)),
                    url_for("staff.roster", unit_id=unit.id),
                )
    return render_template("staff/import.html", unit=unit, form=form, check=check)


@bp.route("/import-template.xlsx")
@login_required
def import_template() -> Response:
    require_role(Role.unit_reviewer, Role.city_admin)
    return send_file(
        io.BytesIO(importer.template_workbook()),
        mimetype=XLSX,
        as_attachment=True,
        download_name="人员导入模板.xlsx",
    )


def _one_time_passwords(accounts: list[services.NewAccount], title: str, back: str) -> Response:
    """The page that shows one-time passwords, once: never stored by a browser or a proxy."""
    response = make_response(
        render_template("staff/new_passwords.html", accounts=accounts, title=title, back=back)
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def _role_form_choices(form: RoleForm) -> None:
    """Organisations grouped by kind; the service checks the kind fits the role."""
    form.org_id.choices = choice_list([(0, _("（不限定）"))], _("不限定机构"))
    for kind, label in ORG_KIND_LABELS.items():
        form.org_id.choices += org_choices(kind, str(label))


@bp.route("/accounts", methods=["GET", "POST"])
@login_required
def accounts() -> str:
    require_role(Role.city_admin)
    form = SearchForm()
    search = form.q.data.strip() if form.validate_on_submit() and form.q.data else ""
    users = services.search_accounts(search)
    if services.looks_like_id_number(search):
        form.q.data = ""  # found it; the number is not written back into the page
    return render_template("staff/accounts.html", users=users, form=form)


@bp.route("/accounts/new", methods=["GET", "POST"])
@login_required
def new_account() -> str | Response:
    require_role(Role.city_admin)
    form = StaffAccountForm()
    _role_form_choices(form)
    form.unit_id.choices = choice_list([(0, _("（无）"))]) + unit_choices()
    if form.validate_on_submit():
        try:
            account = services.create_staff_account(
                actor(),
                id_number=form.id_number.data,
                name=form.name.data.strip(),
                phone=form.phone.data or None,
                role=form.role_value,
                org=get_org(form.org_id.data),
                unit=get_unit(form.unit_id.data),
            )
        except DuplicateIdNumber:
            form.id_number.errors.append(_("该身份证号已有账号，请在账号详情中为其添加角色。"))
        except ValueError as exc:
            form.org_id.errors.append(str(exc))
        else:
            db.session.commit()
            return _one_time_passwords(
                [account], _("账号已创建"), url_for("staff.account", user_id=account.user.id)
            )
    return render_template("staff/new_account.html", form=form)


@bp.route("/accounts/<int:user_id>", methods=["GET", "POST"])
@login_required
def account(user_id: int) -> str | Response:
    require_role(Role.city_admin)
    user = db.get_or_404(User, user_id)
    form = RoleForm()
    _role_form_choices(form)
    if form.validate_on_submit():
        try:
            services.grant_role(actor(), user, form.role_value, get_org(form.org_id.data))
        except ValueError as exc:
            form.org_id.errors.append(str(exc))
        else:
            db.session.commit()
            flash(_("已添加角色。"), "success")
            return redirect(url_for("staff.account", user_id=user.id))
    return render_template("staff/account.html", user=user, form=form, action=ActionForm(),
                           release=ReleaseForm(formdata=None))


@bp.route("/accounts/<int:user_id>/release", methods=["POST"])
@login_required
def release_id_number(user_id: int) -> str | Response:
    user = db.get_or_404(User, user_id)
    require(actor().can_release_id_number_of(user))
    form = ReleaseForm()
    if form.validate_on_submit():
        services.release_id_number(actor(), user, form.reason.data)
        db.session.commit()
        flash(_("已停用该账号并释放其身份证号，本人现在可以注册。"), "success")
        return redirect(url_for("staff.account", user_id=user.id))
    role_form = RoleForm(formdata=None)
    _role_form_choices(role_form)
    return render_template("staff/account.html", user=user, form=role_form,
                           action=ActionForm(), release=form)


@bp.route("/accounts/<int:user_id>/roles/<int:assignment_id>/revoke", methods=["POST"])
@login_required
def revoke_role(user_id: int, assignment_id: int) -> Response:
    require_role(Role.city_admin)
    assignment = db.session.get(RoleAssignment, assignment_id)
    if assignment is None or assignment.user_id != user_id:
        abort(404)
    try:
        services.revoke_role(actor(), assignment)
    except ValueError as exc:
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(_("已撤销角色。"), "info")
    return redirect(url_for("staff.account", user_id=user_id))
