"""Form pieces shared by every package."""

from __future__ import annotations

import re
from collections.abc import Sequence

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Field, ValidationError
from wtforms.fields.choices import SelectChoice

PHONE = re.compile(r"^1[3-9]\d{9}$")


class ActionForm(FlaskForm):
    """A form with no fields: a POST button protected by its CSRF token."""


def phone_field(form: FlaskForm, field: Field) -> None:
    field.data = (field.data or "").strip().replace(" ", "").replace("-", "")
    if not PHONE.match(field.data):
        raise ValidationError(_l("请输入 11 位手机号码。"))


def choice_list(
    pairs: Sequence[tuple[object, object]], optgroup: str | None = None
) -> list[SelectChoice]:
    """Select options from (value, label) pairs, optionally inside one option group."""
    return [SelectChoice(value, str(label), optgroup=optgroup) for value, label in pairs]
