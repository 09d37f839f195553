"""Organisation forms."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from lms.forms import Form, choice_list
from lms.orgs.models import ORG_KIND_LABELS, OrgKind
from lms.orgs.services import organisations, title_series


class OrganisationForm(Form):
    kind = SelectField(
        _l("类型"), choices=choice_list([(k.value, label) for k, label in ORG_KIND_LABELS.items()])
    )
    name = StringField(
        _l("名称"),
        validators=[DataRequired(_l("请输入名称。")), Length(max=100, message=_l("名称过长。"))],
    )
    code = StringField(
        _l("统一社会信用代码"),
        validators=[Optional(), Length(max=32, message=_l("代码过长。"))],
    )
    district_id = SelectField(_l("所在区市"), coerce=int)
    department_id = SelectField(_l("主管部门"), coerce=int)

    @property
    def kind_value(self) -> OrgKind:
        return OrgKind(self.kind.data)


def org_choices(kind: OrgKind, optgroup: str | None = None) -> list[SelectChoice]:
    return choice_list([(org.id, org.name) for org in organisations(kind)], optgroup)


def unit_choices() -> list[SelectChoice]:
    """Units grouped by district."""
    units = sorted(
        organisations(OrgKind.unit), key=lambda u: (u.district.name if u.district else "", u.name)
    )
    return [
        SelectChoice(u.id, u.name, optgroup=u.district.name if u.district else _("市直"))
        for u in units
    ]


def title_series_choices() -> list[SelectChoice]:
    return choice_list([(0, _("（暂无）"))]) + choice_list(
        [(s.id, s.name) for s in title_series()]
    )
