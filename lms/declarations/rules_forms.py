"""The city admin's form of a year's rules: for each type of declaration, the categories it
may count toward, its caps in 学时 (each optional, in steps of 0.5) and whether evidence is
required."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, SubmitField, ValidationError
from wtforms.validators import NumberRange, Optional

from lms.courses.forms import CheckboxesField
from lms.courses.models import CATEGORY_LABELS, SECONDS_PER_CREDIT_HOUR, Category
from lms.declarations.models import DeclarationType
from lms.declarations.rules import Rule
from lms.forms import DecimalField, Form, choice_list

#: The largest cap the page takes, in 学时.
MAX_CAP_HOURS = 1000

#: The caps of a rule: the form's field suffix, the ``Rule`` attribute, the label.
CAPS = (
    ("per_item", "max_seconds_per_item", _l("每项最多（学时）")),
    ("per_day", "max_seconds_per_day", _l("活动每天最多（学时）")),
    ("per_year", "max_seconds_per_year", _l("每人每年本类最多（学时）")),
)


def _half_steps(form: Any, field: Any) -> None:
    if field.data is not None and (field.data * 2) % 1:
        raise ValidationError(_l("学时须为 0.5 的整数倍。"))


def hours_of(seconds: int | None) -> Decimal | None:
    return None if seconds is None else Decimal(seconds) / SECONDS_PER_CREDIT_HOUR


def seconds_of(hours: Decimal | None) -> int | None:
    return None if hours is None else int(hours * SECONDS_PER_CREDIT_HOUR)


class RulesForm(Form):
    """One group of fields per type, named ``<type>_categories``, ``<type>_per_item``,
    ``<type>_per_day``, ``<type>_per_year``, ``<type>_evidence``."""

    save = SubmitField(_l("保存规则"))

    def fill(self, rules: dict[DeclarationType, Rule]) -> None:
        """Show ``rules`` (what the year has now) in the fields."""
        for kind, rule in rules.items():
            self[f"{kind.value}_categories"].data = [c.value for c in rule.categories]
            for suffix, attribute, _label in CAPS:
                self[f"{kind.value}_{suffix}"].data = hours_of(getattr(rule, attribute))
            self[f"{kind.value}_evidence"].data = rule.evidence_required

    def rules(self, year: int) -> list[Rule]:
        """What the form says, once validated: a rule per type."""
        return [
            Rule(
                year=year, type=kind,
                categories=tuple(Category(c) for c in self[f"{kind.value}_categories"].data),
                max_seconds_per_item=seconds_of(self[f"{kind.value}_per_item"].data),
                max_seconds_per_day=seconds_of(self[f"{kind.value}_per_day"].data),
                max_seconds_per_year=seconds_of(self[f"{kind.value}_per_year"].data),
                evidence_required=bool(self[f"{kind.value}_evidence"].data),
            )
            for kind in DeclarationType
        ]


def _at_least_one(form: Any, field: Any) -> None:
    if not field.data:
        raise ValidationError(_l("请至少选择一个可计入的类别。"))


for _kind in DeclarationType:
    setattr(RulesForm, f"{_kind.value}_categories", CheckboxesField(
        _l("可计入的类别"),
        choices=choice_list([(c.value, label) for c, label in CATEGORY_LABELS.items()]),
        validators=[_at_least_one]))
    for _suffix, _attribute, _label in CAPS:
        setattr(RulesForm, f"{_kind.value}_{_suffix}", DecimalField(
            _label, places=1, validators=[
                Optional(),
                NumberRange(min=0.5, max=MAX_CAP_HOURS, message=_l(
                    "上限应在 0.5 到 %(max)d 学时之间；不设上限请留空。", max=MAX_CAP_HOURS)),
                _half_steps,
            ]))
    setattr(RulesForm, f"{_kind.value}_evidence", BooleanField(_l("须上传证明材料")))
