"""Organisation forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from lms.orgs.models import ORG_KIND_LABELS, OrgKind


class OrganisationForm(FlaskForm):
    kind = SelectField(
        _l("类型"), choices=[(k.value, label) for k, label in ORG_KIND_LABELS.items()]
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
