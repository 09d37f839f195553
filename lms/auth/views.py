"""Login, logout, self-registration, password change and the user's own account page."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.exceptions import Forbidden
from werkzeug.wrappers import Response

from lms.auth import bp, devices, services, sessions
from lms.auth.forms import ChangePasswordForm, LoginForm, RegisterForm
from lms.auth.guards import actor
from lms.extensions import db, login_manager
from lms.forms import ActionForm, choice_list
from lms.orgs.forms import title_series_choices, unit_choices
from lms.orgs.services import get_title_series, get_unit
from lms.urls import safe_next


@bp.route("/login", methods=["GET", "POST"])
def login() -> str | Response:
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = services.authenticate(
                form.id_number.data,
                form.password.data,
                request.remote_addr,
                request.cookies.get(devices.COOKIE),
            )
        except services.LoginRefused as refused:
            db.session.commit()  # keep the failure count
            flash(str(refused), "error")
        else:
            activation = services.activation_of(user) if services.is_first_login(user) else None
            session.clear()
            sessions.start(user)
            login_user(user)
            db.session.commit()
            if activation is not None:
                flash(_("欢迎！您的账号由 %(where)s 的 %(name)s 审核开通。",
                        where=activation.where, name=activation.reviewer), "info")
            if user.must_change_password:
                response = redirect(url_for("auth.change_password"))
            else:
                response = redirect(safe_next(request.args.get("next")) or url_for("main.home"))
            devices.remember(response, user)
            return response
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout() -> Response:
    sessions.end_current()
    logout_user()
    db.session.commit()
    flash(_("您已安全退出。"), "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/logout-everywhere", methods=["POST"])
@login_required
def logout_everywhere() -> Response:
    count = sessions.end_all(actor())
    logout_user()
    session.clear()
    db.session.commit()
    flash(_("已在全部 %(n)d 个设备上退出登录。", n=count), "info")
    return redirect(url_for("auth.login"))


@bp.route("/register", methods=["GET", "POST"])
def register() -> str | Response:
    form = RegisterForm()
    # Nothing chosen until the person chooses: a unit preselected is a unit registered by
    # mistake, and the wrong unit's reviewer then decides.
    form.unit_id.choices = choice_list([(0, _("请选择"))]) + unit_choices()
    form.title_series_id.choices = title_series_choices()
    if form.validate_on_submit() and (unit := get_unit(form.unit_id.data)) is not None:
        registration = services.Registration(
            id_number=form.id_number.data,
            name=form.name.data.strip(),
            phone=form.phone.data,
            unit=unit,
            title_series=get_title_series(form.title_series_id.data),
            password=form.password.data,
        )
        try:
            services.register_learner(registration)
        except services.DuplicateIdNumber:
            form.id_number.errors.append(_already_registered(form.id_number.data))
        else:
            db.session.commit()
            flash(_("注册成功。请等待所在单位审核激活后登录。"), "success")
            return redirect(url_for("auth.login"))
    return render_template("auth/register.html", form=form)


def _already_registered(id_number: str) -> str:
    """Says whom the real owner contacts when someone else registered their number."""
    holder = services.holder_of(id_number)
    if holder is None or holder.unit is None:
        contact = _("市人社局")
    elif holder.reviewers:
        contact = _("%(unit)s（审核员：%(names)s）", unit=holder.unit,
                    names="、".join(holder.reviewers))
    else:
        contact = holder.unit
    return _(
        "该身份证号已在 %(contact)s 注册。如是本人，请直接登录，忘记密码请联系该单位；"
        "如不是本人注册的，请联系该单位审核员或市人社局管理员，市人社局管理员可以释放该身份证号，"
        "之后即可重新注册。",
        contact=contact,
    )


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password() -> str | Response:
    form = ChangePasswordForm()
    if form.validate_on_submit():
        user = actor()
        try:
            services.change_password(user, form.current.data, form.password.data)
        except services.WrongPassword as exc:
            form.current.errors.append(str(exc))
        except ValueError as exc:
            form.password.errors.append(str(exc))
        else:
            sessions.end_all(user, keep=sessions.current())
            db.session.commit()
            flash(_("密码已修改，其他设备上的登录已退出。"), "success")
            return redirect(url_for("main.home"))
    return render_template("auth/change_password.html", form=form)


@bp.route("/account")
@login_required
def account() -> str:
    user = actor()
    return render_template(
        "auth/account.html",
        user=user,
        activation=services.activation_of(user),
        open_sessions=sessions.open_sessions(user),
        this_session=sessions.current(),
        form=ActionForm(),
    )


#: Pages a user who must change a password set by someone else may still reach.
_ALLOWED_BEFORE_PASSWORD_CHANGE = {
    "auth.change_password", "auth.logout", "static", "main.language", "main.health",
    "api.openapi", "api.create_token",
    # Checks its own credential against a playback, which only a changed password can start.
    "api.heartbeat",
}


@bp.before_app_request
def require_own_password() -> Response | None:
    """Send a user whose password was set by someone else to change it first."""
    if (
        request.endpoint not in _ALLOWED_BEFORE_PASSWORD_CHANGE
        and current_user.is_authenticated
        and current_user.must_change_password
    ):
        if request.blueprint == "api":  # a program cannot follow a redirect to a form
            raise Forbidden(_("请先在网页上修改初始密码。"))
        return redirect(url_for("auth.change_password"))
    return None


@login_manager.unauthorized_handler
def unauthorized() -> Response:
    """Send the visitor to log in, saying why when their login has ended; a page's script
    posting JSON cannot follow a redirect to a form, and is told 401."""
    if request.is_json:
        abort(401)
    if sessions.was_lost():
        session.pop("_user_id", None)
        flash(_("登录已过期或已在其他设备上退出，请重新登录。"), "info")
    else:
        flash(_("请先登录。"), "info")
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


@bp.after_app_request
def save_login_session(response: Response) -> Response:
    sessions.save_noted()
    return response
