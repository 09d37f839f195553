"""Form pieces shared by every package: the base of every form, its number fields,
validators, choices."""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal
from typing import Any, NoReturn

import wtforms
from flask import request
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.i18n import translations as wtforms_catalog
from wtforms import Field, ValidationError
from wtforms.fields.choices import SelectChoice

PHONE = re.compile(r"^1[3-9]\d{9}$")

_REQUIRED = _l("此项必填。")
_CHOOSE = _l("请从列表中选择。")
_EXPIRED = _l("页面已过期，请刷新页面后重新提交。")
_NOT_A_NUMBER = _l("请输入有效的数字。")

#: No number a form asks for comes near this; past it (or not finite) a number field holds
#: nothing, and says so.
NUMBER_LIMIT = 2**63
#: The digits of the longest integer within the limit: a longer one is refused unread.
_MAX_DIGITS = len(str(NUMBER_LIMIT))

#: WTForms' (and Flask-WTF's) own messages, in the platform's words: a field left empty, a
#: number that is not one, a choice not offered. Their English is wtforms' own, from the
#: platform's catalog.
WTFORMS_MESSAGES: dict[str, Any] = {
    "This field is required.": _REQUIRED,
    "Invalid input.": _l("输入无效。"),
    "Not a valid integer value.": _l("请输入整数。"),
    "Not a valid decimal value.": _l("请输入数字。"),
    "Not a valid float value.": _l("请输入数字。"),
    "Not a valid choice.": _CHOOSE,
    "Invalid Choice: could not coerce.": _CHOOSE,
    "Invalid choice(s): one or more data inputs could not be coerced.": _CHOOSE,
    "'%(value)s' is not a valid choice for this field.": _CHOOSE,
    "Choices cannot be None.": _CHOOSE,
    "Field must be at least %(min)d character long.": _l("至少 %(min)d 个字符。"),
    "Field cannot be longer than %(max)d character.": _l("不能超过 %(max)d 个字符。"),
    "Field must be exactly %(max)d character long.": _l("应为 %(max)d 个字符。"),
    "Field must be between %(min)d and %(max)d characters long.":
        _l("应为 %(min)d–%(max)d 个字符。"),
    "Number must be at least %(min)s.": _l("不能小于 %(min)s。"),
    "Number must be at most %(max)s.": _l("不能大于 %(max)s。"),
    "Number must be between %(min)s and %(max)s.": _l("应在 %(min)s 到 %(max)s 之间。"),
    "Field must be equal to %(other_name)s.": _l("与 %(other_name)s 不一致。"),
    "Invalid value, must be one of: %(values)s.": _l("应为以下之一：%(values)s。"),
    "Invalid value, can't be any of: %(values)s.": _l("不能是以下任何一个：%(values)s。"),
    "Not a valid datetime value.": _l("请输入有效的日期和时间。"),
    "Not a valid date value.": _l("请输入有效的日期。"),
    "Not a valid time value.": _l("请输入有效的时间。"),
    "Not a valid week value.": _l("请输入有效的周。"),
    "Date must be at least %(min)s.": _l("日期不能早于 %(min)s。"),
    "Date must be at most %(max)s.": _l("日期不能晚于 %(max)s。"),
    "Date must be between %(min)s and %(max)s.": _l("日期应在 %(min)s 到 %(max)s 之间。"),
    "Invalid email address.": _l("电子邮箱地址无效。"),
    "Invalid IP address.": _l("IP 地址无效。"),
    "Invalid Mac address.": _l("MAC 地址无效。"),
    "Invalid URL.": _l("网址无效。"),
    "Invalid UUID.": _l("UUID 无效。"),
    "This field cannot be edited.": _l("此项不能修改。"),
    "This field is disabled and cannot have a value.": _l("此项不能修改。"),
    "Invalid CSRF Token.": _EXPIRED,
    "CSRF token missing.": _EXPIRED,
    "CSRF failed.": _EXPIRED,
    "CSRF token expired.": _EXPIRED,
    "File does not have an approved extension.": _l("不支持这种文件。"),
}


class _Messages:
    """What WTForms asks its messages of: the platform's words where it has them, else
    wtforms' own catalog in the reader's language."""

    def gettext(self, string: str) -> str:
        ours = WTFORMS_MESSAGES.get(string)
        return str(ours) if ours is not None else str(wtforms_catalog.gettext(string))

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        ours = WTFORMS_MESSAGES.get(singular)
        if ours is not None:
            return str(ours)
        return str(wtforms_catalog.ngettext(singular, plural, n))


class _CSRF(FlaskForm.Meta.csrf_class):
    """Flask-WTF's CSRF check says why it failed in English of its own, past any catalog."""

    def validate_csrf_token(self, form: Any, field: Field) -> None:
        try:
            super().validate_csrf_token(form, field)
        except ValidationError:
            raise ValidationError(str(_EXPIRED)) from None


class Form(FlaskForm):
    """The base of every form: WTForms' own messages in the reader's language, and a page's
    form read from the form it posts, never from a JSON body."""

    class Meta:
        csrf_class = _CSRF

        def get_translations(self, form: Any) -> _Messages:
            return _MESSAGES

        def wrap_formdata(self, form: Any, formdata: Any) -> Any:
            # Flask-WTF reads a JSON body as the form; a list or a string there is no form.
            if request.is_json and formdata is not None and not hasattr(formdata, "getlist"):
                return None
            return super().wrap_formdata(form, formdata)  # type: ignore[misc]


_MESSAGES = _Messages()


class Invalid(ValueError):
    """What a service refuses, by form field (``form`` for the whole), in the pages' words."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = errors


def show_errors(form: FlaskForm, errors: dict[str, str]) -> None:
    """Put a service's refusals on the form's fields, the rest above the form."""
    for name, message in errors.items():
        target = getattr(form, name, None) if name != "form" else None
        if isinstance(target, Field):
            target.errors = [*target.errors, message]
        else:
            form.form_errors.append(message)


class ActionForm(Form):
    """A form with no fields: a POST button protected by its CSRF token."""


class _Bounded(Field):
    """What the platform's number fields share: a number they cannot hold is refused as they
    read it, before any validator sees it, in the field's own words if it has any."""

    data: Any

    def __init__(self, *args: Any, out_of_range_message: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        #: Said of a number past ``NUMBER_LIMIT``; ``invalid_value_message`` (wtforms' own
        #: argument) of what is no number.
        self.out_of_range_message = out_of_range_message

    def _refuse(self, message: Any) -> NoReturn:
        self.data = None
        raise ValueError(message or _NOT_A_NUMBER)


class IntegerField(_Bounded, wtforms.IntegerField):
    """An integer within ``NUMBER_LIMIT``. WTForms reads any length of digits, and its
    ``NumberRange`` then asks ``math.isnan`` of the integer, which overflows past a float."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        if valuelist and isinstance(valuelist[0], str):  # too long to read (or to be in range)
            text = valuelist[0].strip()
            if len(text) > 2 * _MAX_DIGITS or sum(c.isdigit() for c in text) > _MAX_DIGITS:
                self._refuse(self.out_of_range_message)
        super().process_formdata(valuelist)
        if self.data is not None and abs(self.data) > NUMBER_LIMIT:
            self._refuse(self.out_of_range_message)


class DecimalField(_Bounded, wtforms.DecimalField):
    """A finite decimal within ``NUMBER_LIMIT``. WTForms reads ``NaN``, ``sNaN`` and
    ``Infinity`` as decimals, and its ``NumberRange`` then asks ``math.isnan`` of them, which
    refuses a signalling NaN with a ValueError of its own."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        super().process_formdata(valuelist)
        data = self.data
        if not isinstance(data, Decimal):
            return
        if not data.is_finite():
            self._refuse(self.invalid_value_message)
        # copy_abs(), not abs(): abs() rounds in the context, and overflows on 1E+999999999.
        if data.copy_abs() > NUMBER_LIMIT:
            self._refuse(self.out_of_range_message)


class DateField(wtforms.DateField):
    """A date (the city's) with the message in the pages' language."""

    def process_formdata(self, valuelist: list[str]) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(_l("请按“年-月-日”填写日期，如 2026-03-01。")) from None


def plausible_year(form: FlaskForm, field: Field) -> None:
    """Year 1 or 9999 would overflow on its way to UTC (and nothing entered is that old)."""
    if field.data and not 2000 <= field.data.year <= 2999:
        raise ValidationError(_l("日期超出范围。"))


def phone_field(form: FlaskForm, field: Field) -> None:
    field.data = (field.data or "").strip().replace(" ", "").replace("-", "")
    if not PHONE.match(field.data):
        raise ValidationError(_l("请输入 11 位手机号码。"))


def choice_list(
    pairs: Sequence[tuple[object, object]], optgroup: str | None = None
) -> list[SelectChoice]:
    """Select options from (value, label) pairs, optionally inside one option group."""
    return [SelectChoice(value, str(label), optgroup=optgroup) for value, label in pairs]
