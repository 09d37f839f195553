"""Forms for managing people."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from lms.auth.forms import id_number_field
from lms.auth.models import ROLE_LABELS, Role
from lms.forms import Form, choice_list, phone_field


class ImportForm(Form):
    sheet = FileField(
        _l("人员名单（.xlsx 或 .csv）"), validators=[FileRequired(_l("请选择文件。"))]
    )


class RoleForm(Form):
    role = SelectField(
        _l("角色"), choices=choice_list([(r.value, label) for r, label in ROLE_LABELS.items()])
    )
    org_id = SelectField(_l("所属机构"), coerce=int)

    @property
    def role_value(self) -> Role:
        return Role(self.role.data)


class StaffAccountForm(RoleForm):
    id_number = StringField(
        _l("身份证号"), validators=[DataRequired(_l("请输入身份证号。")), id_number_field]
    )
    name = StringField(
        _l("姓名"),
        validators=[DataRequired(_l("请输入姓名。")), Length(max=50, message=_l("姓名过长。"))],
    )
    phone = StringField(_l("手机号"), validators=[Optional(), phone_field])
    unit_id = SelectField(_l("工作单位"), coerce=int)


class SearchForm(Form):
    """Searching accounts is a POST: a full ID number must not end up in URLs and logs."""

    q = StringField(_l("查找账号"), validators=[Length(max=50)])


class RejectForm(Form):
    """Refusing a registration says why: the person is told at login."""

    reason = StringField(
        _l("驳回原因"),
        validators=[
            DataRequired(_l("请填写驳回原因。")),
            Length(max=200, message=_l("驳回原因不能超过 200 个字。")),
        ],
    )


class ReleaseForm(Form):
    """Releasing an account's ID number says why: it goes to the audit record."""

    reason = StringField(
        _l("释放原因"),
        validators=[
            DataRequired(_l("请填写释放原因。")),
            Length(max=200, message=_l("释放原因不能超过 200 个字。")),
        ],
    )
