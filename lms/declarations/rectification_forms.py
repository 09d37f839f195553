"""Issuing a rectification order, and uploading the report."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import SelectField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length

from lms.declarations.rectification import REASON_MAX
from lms.forms import DateField, Form, plausible_year


def _org_id(value: object) -> int:
    """An organisation's id as chosen; 0 for none; ``ValueError`` past any id."""
    if value is None or value == "":
        return 0
    number = int(str(value))
    if not 0 <= number < 2**31:
        raise ValueError
    return number


class OrderForm(Form):
    # Any id is read; the view says whether the issuer may order it (a 403 naming why).
    org = SelectField(_l("整改对象"), coerce=_org_id, validate_choice=False,
                      validators=[InputRequired(_l("请选择整改对象。"))])
    reason = TextAreaField(_l("整改原因"), validators=[
        DataRequired(_l("请填写整改原因。")),
        Length(max=REASON_MAX, message=_l("整改原因最多 500 个字。"))])
    # InputRequired: DataRequired would put its own words over a date that does not read.
    deadline = DateField(_l("整改期限"), validators=[
        InputRequired(_l("请填写整改期限。")), plausible_year])


class ReportForm(Form):
    report = FileField(_l("整改报告（PDF、JPG 或 PNG）"),
                       validators=[FileRequired(_l("请选择整改报告文件。"))])
