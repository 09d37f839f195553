"""Forms of the question banks."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from lms.exam.services import FORMATS
from lms.forms import choice_list


class BankForm(FlaskForm):
    name = StringField(_l("题库名称"), validators=[
        DataRequired(_l("请输入题库名称。")), Length(max=80, message=_l("名称不超过 80 字。"))])
    description = TextAreaField(_l("说明"), validators=[Length(max=2000)])
    #: "" for the city's bank (exam admins), else a provider's id.
    provider_id = SelectField(_l("所属"), choices=[])


class ImportForm(FlaskForm):
    file = FileField(_l("题目文件（.xlsx、GIFT 或 Aiken 文本）"),
                     validators=[FileRequired(_l("请选择文件。"))])
    format = SelectField(_l("文件格式"), default="auto",
                         choices=choice_list([("auto", _l("自动识别")), *FORMATS.items()]))
