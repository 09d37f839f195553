"""City admins keep the organisation tree (the tree itself lives in ``lms.orgs``)."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import login_required
from werkzeug.wrappers import Response

from lms.auth.guards import require_role
from lms.auth.models import Role
from lms.extensions import db
from lms.forms import choice_list
from lms.orgs import services
from lms.orgs.forms import OrganisationForm, org_choices
from lms.orgs.models import OrgKind
from lms.staff import bp


@bp.route("/organisations", methods=["GET", "POST"])
@login_required
def organisations() -> str | Response:
    require_role(Role.city_admin)
    form = OrganisationForm()
    none = choice_list([(0, _("（无）"))])
    form.district_id.choices = none + org_choices(OrgKind.district)
    form.department_id.choices = none + org_choices(OrgKind.department)
    if form.validate_on_submit():
        try:
            org = services.create_organisation(
                form.kind_value,
                form.name.data,
                form.code.data,
                district=services.get_org(form.district_id.data, OrgKind.district),
                department=services.get_org(form.department_id.data, OrgKind.department),
            )
        except services.MisplacedLink as exc:  # on the field that holds the wrong link
            form[f"{exc.field}_id"].errors.append(str(exc))
        except ValueError as exc:
            form.name.errors.append(str(exc))
        else:
            db.session.commit()
            flash(_("已添加%(kind)s：%(name)s", kind=org.kind_label, name=org.name), "success")
            return redirect(url_for("staff.organisations"))
    return render_template(
        "staff/organisations.html",
        form=form,
        organisations=services.organisations(),
    )
