"""The record's search form."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import Field, SelectField, StringField, ValidationError
from wtforms.validators import Length, NumberRange, Optional

from lms.audit.models import ACTIONS, OBJECT_TYPES
from lms.audit.services import Search
from lms.db import MAX_ID
from lms.forms import DateField, Form, IntegerField, choice_list, plausible_year

FULL_ID_NUMBER = re.compile(r"[0-9]{15,}")
_WRONG_ID = _l("编号不正确。")


FULL_ID_NUMBER_REFUSED = _l(
    "请勿输入完整身份证号：请输入姓名，或只保留前 4 位和后 4 位（如 3710**********1089）。"
)


def has_full_id_number(text: str | None) -> bool:
    """The search is a GET: a full ID number in it would sit in the URL, the server's logs and
    the links of the page, so it is refused."""
    return bool(FULL_ID_NUMBER.search(unicodedata.normalize("NFKC", text or "")))


class LocalIntegerField(IntegerField):
    """An id, with the messages in the pages' language."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("invalid_value_message", _l("请输入数字编号。"))
        kwargs.setdefault("out_of_range_message", _WRONG_ID)
        super().__init__(*args, **kwargs)


class SearchForm(Form):
    """The record's filters, read from the query string (a GET: no CSRF token)."""

    class Meta:
        csrf = False

    who = StringField(_l("操作人"), validators=[Length(max=50, message=_l("最多 50 个字。"))])
    #: A person's user id, from the links on the page.
    actor = LocalIntegerField(
        validators=[Optional(), NumberRange(min=1, max=MAX_ID, message=_WRONG_ID)]
    )
    action = SelectField(_l("操作"), default="")
    start = DateField(_l("起始日期"), validators=[Optional(), plausible_year])
    end = DateField(_l("截止日期"), validators=[Optional(), plausible_year])
    object_type = SelectField(_l("对象类型"), default="")
    object_id = LocalIntegerField(
        _l("对象编号"),
        validators=[Optional(), NumberRange(min=1, max=MAX_ID, message=_WRONG_ID)],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Labelled now, in the reader's language.
        self.action.choices = choice_list([("", _l("全部操作")), *ACTIONS.items()])
        self.object_type.choices = choice_list([("", _l("全部对象")), *OBJECT_TYPES.items()])

    def validate_end(self, field: Field) -> None:
        if field.data and self.start.data and field.data < self.start.data:
            raise ValidationError(_l("截止日期不能早于起始日期。"))

    def search(self, page: int) -> Search:
        return Search(
            who=self.who.data or "", actor_id=self.actor.data, action=self.action.data or None,
            start=self.start.data, end=self.end.data,
            object_type=self.object_type.data or None, object_id=self.object_id.data,
            page=page,
        )
