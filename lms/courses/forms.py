"""Course forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget

from lms.courses.models import CATEGORY_LABELS, Category
from lms.forms import Form, choice_list


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class CourseForm(Form):
    provider_id = SelectField(_l("培训机构"), coerce=int)
    title = StringField(
        _l("课程名称"),
        validators=[
            DataRequired(_l("请输入课程名称。")), Length(max=120, message=_l("名称过长。"))
        ],
    )
    description = TextAreaField(
        _l("课程简介"), validators=[Length(max=5000, message=_l("简介不能超过 5000 字。"))]
    )
    category = SelectField(
        _l("课程类别"),
        choices=choice_list([(c.value, label) for c, label in CATEGORY_LABELS.items()]),
    )
    topic_id = SelectField(_l("专题（公需科目必选）"), coerce=int)
    title_series = CheckboxesField(_l("面向职称系列（可多选，不选表示全部）"), coerce=int)

    @property
    def category_value(self) -> Category:
        return Category(self.category.data)


class CoverForm(Form):
    cover = FileField(_l("封面图片（JPG 或 PNG）"), validators=[FileRequired(_l("请选择图片。"))])


class ReturnForm(Form):
    note = TextAreaField(
        _l("退回原因"),
        validators=[DataRequired(_l("请写明退回原因。")), Length(max=1000)],
    )


class CatalogForm(Form):
    """The catalog's filters, read from the query string."""

    class Meta:
        csrf = False

    q = StringField(_l("课程名称"), validators=[Length(max=50)])
    category = SelectField(_l("类别"))
    topic = SelectField(_l("专题"), coerce=int)
    series = SelectField(_l("职称系列"), coerce=int)
    provider = SelectField(_l("培训机构"), coerce=int)
