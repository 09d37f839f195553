"""The declaration form, a reviewer's decision, a batch, a revocation."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf.file import MultipleFileField
from wtforms import (
    BooleanField,
    HiddenField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
    ValidationError,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp

from lms.courses.models import CATEGORY_LABELS, SECONDS_PER_CREDIT_HOUR, Category
from lms.db import MAX_ID
from lms.declarations.models import TYPE_LABELS, DeclarationType
from lms.declarations.services import Fields
from lms.forms import DateField, DecimalField, Form, choice_list, plausible_year
from lms.reviews.models import ACTION_LABELS, STATE_LABELS, Action, ReviewState

_HOURS_STEP = _l("学时须为 0.5 的整数倍。")


def _half_steps(form: Any, field: Any) -> None:
    if field.data is not None and (field.data * 2) % 1:
        raise ValidationError(_HOURS_STEP)


def seconds_of(hours: Decimal) -> int:
    return int(hours * SECONDS_PER_CREDIT_HOUR)


class DeclarationForm(Form):
    type = SelectField(_l("申报类型"),
                       choices=choice_list([(t.value, label) for t, label in TYPE_LABELS.items()]))
    title = StringField(_l("项目名称"), validators=[
        DataRequired(_l("请填写项目名称。")), Length(max=120, message=_l("最多 120 个字。"))])
    organiser = StringField(_l("主办单位或颁发机构"), validators=[
        DataRequired(_l("请填写主办单位或颁发机构。")),
        Length(max=120, message=_l("最多 120 个字。"))])
    start_date = DateField(_l("开始日期"), validators=[
        DataRequired(_l("请填写开始日期。")), plausible_year])
    end_date = DateField(_l("结束日期"), validators=[
        DataRequired(_l("请填写结束日期。")), plausible_year])
    category = SelectField(_l("计入类别"), choices=choice_list(
        [(c.value, label) for c, label in CATEGORY_LABELS.items()]))
    hours = DecimalField(_l("申报学时"), places=1, validators=[
        DataRequired(_l("请填写申报学时。")),
        NumberRange(min=0.5, max=500, message=_l("学时应在 0.5 到 500 之间。")), _half_steps])
    description = TextAreaField(_l("说明"), validators=[
        Optional(), Length(max=2000, message=_l("最多 2000 个字。"))])
    evidence = MultipleFileField(_l("证明材料（PDF、JPG 或 PNG）"))
    acknowledged = BooleanField(_l("我已核对，确认不是重复申报"))
    save = SubmitField(_l("保存草稿"))
    submit_declaration = SubmitField(_l("提交审核"))

    def fields(self) -> Fields:
        return Fields(
            type=DeclarationType(self.type.data), title=self.title.data or "",
            organiser=self.organiser.data or "", start_date=self.start_date.data,
            end_date=self.end_date.data, category=Category(self.category.data),
            claimed_seconds=seconds_of(self.hours.data),
            description=self.description.data or "",
        )


class DecisionForm(Form):
    action = RadioField(_l("审核意见"), choices=choice_list(
        [(a.value, label) for a, label in ACTION_LABELS.items()]),
        validators=[DataRequired(_l("请选择审核意见。"))])
    hours = DecimalField(_l("核定学时"), places=1, validators=[
        Optional(), NumberRange(min=0.5, max=500, message=_l("学时应在 0.5 到 500 之间。")),
        _half_steps])
    reason = TextAreaField(_l("理由"), validators=[
        Optional(), Length(max=500, message=_l("最多 500 个字。"))])
    #: The round and step the reviewer was shown: a decision made meanwhile is told apart.
    round = HiddenField(validators=[Optional(), Regexp(r"^[0-9]{1,4}$")])
    position = HiddenField(validators=[Optional(), Regexp(r"^[0-9]{1,4}$")])

    @property
    def chosen(self) -> Action:
        return Action(self.action.data)

    @property
    def seen(self) -> tuple[int, int] | None:
        if self.round.data and self.position.data:
            return int(self.round.data), int(self.position.data)
        return None


class BatchForm(Form):
    ids = SelectMultipleField(_l("选择"), coerce=int, validate_choice=False,
                              validators=[DataRequired(_l("请至少选择一项。"))])

    def validate_ids(self, field: Any) -> None:
        if any(not 1 <= i <= MAX_ID for i in field.data or []):
            raise ValidationError(_l("请从列表中选择。"))


class ReasonForm(Form):
    reason = TextAreaField(_l("理由"), validators=[
        DataRequired(_l("请填写理由。")), Length(max=200, message=_l("最多 200 个字。"))])


class QueueFilterForm(Form):
    """The queue's filters, read from the query string."""

    class Meta:
        csrf = False

    type = SelectField(_l("类型"), default="", choices=choice_list(
        [("", _l("全部类型")), *[(t.value, label) for t, label in TYPE_LABELS.items()]]))
    unit = SelectField(_l("单位"), default="", choices=[])
    year = SelectField(_l("年度"), default="", choices=[])
    state = SelectField(_l("状态"), default="", choices=choice_list(
        [("", _l("待我审核")), *[(s.value, label) for s, label in STATE_LABELS.items()
                                 if s is not ReviewState.withdrawn]]))
