"""Login, registration and password forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import Field, PasswordField, SelectField, StringField, ValidationError
from wtforms.validators import DataRequired, EqualTo, Length

from lms.auth.idcard import InvalidIdNumber, normalize_id_number
from lms.auth.passwords import WeakPassword, check_strength
from lms.forms import Form, phone_field


def strong_password(form: Form, field: Field) -> None:
    id_number = getattr(getattr(form, "id_number", None), "data", None)
    try:
        check_strength(field.data or "", id_number)
    except WeakPassword as exc:
        raise ValidationError(str(exc)) from None


def id_number_field(form: Form, field: Field) -> None:
    """Validate and normalise a resident ID number in place."""
    try:
        field.data = normalize_id_number(field.data or "")
    except InvalidIdNumber as exc:
        raise ValidationError(str(exc)) from None

class LoginForm(Form):
    id_number = StringField(
        _l("身份证号"), validators=[DataRequired(_l("请输入身份证号。")), Length(max=30)]
    )
    password = PasswordField(
        _l("密码"), validators=[DataRequired(_l("请输入密码。")), Length(max=128)]
    )


class RegisterForm(Form):
    id_number = StringField(
        _l("身份证号"), validators=[DataRequired(_l("请输入身份证号。")), id_number_field]
    )
    name = StringField(
        _l("姓名"),
        validators=[DataRequired(_l("请输入姓名。")), Length(max=50, message=_l("姓名过长。"))],
    )
    phone = StringField(_l("手机号"), validators=[DataRequired(_l("请输入手机号。")), phone_field])
    unit_id = SelectField(
        _l("工作单位"), coerce=int, validate_choice=True,
        validators=[DataRequired(_l("请选择工作单位。"))],
    )
    title_series_id = SelectField(_l("职称系列"), coerce=int, validate_choice=True)
    password = PasswordField(
        _l("密码"), validators=[DataRequired(_l("请设置密码。")), strong_password]
    )
    confirm = PasswordField(
        _l("确认密码"), validators=[EqualTo("password", message=_l("两次输入的密码不一致。"))]
    )


class ChangePasswordForm(Form):
    current = PasswordField(_l("当前密码"), validators=[DataRequired(_l("请输入当前密码。"))])
    password = PasswordField(
        _l("新密码"), validators=[DataRequired(_l("请输入新密码。")), strong_password]
    )
    confirm = PasswordField(
        _l("确认新密码"), validators=[EqualTo("password", message=_l("两次输入的密码不一致。"))]
    )
