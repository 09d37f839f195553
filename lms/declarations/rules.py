"""The year's rules per type of declaration, as data the city keeps (``DeclarationRule``).

A year the city has not set yet takes ``PLACEHOLDERS``: professional hours only, caps chosen to
be plausible, not the city's. The real caps (威人社字〔2022〕2号) are for the city to enter on
the rules page or with ``lms declarations rules``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from lms import clock
from lms.audit import services as audit
from lms.auth.models import Role, User
from lms.courses.models import SECONDS_PER_CREDIT_HOUR, Category, credit_hours
from lms.declarations.models import DeclarationRule, DeclarationType
from lms.extensions import db

HOUR = SECONDS_PER_CREDIT_HOUR


@dataclass(frozen=True)
class Rule:
    """What one type may claim in one year."""

    year: int
    type: DeclarationType
    categories: tuple[Category, ...]
    max_seconds_per_item: int | None
    max_seconds_per_day: int | None
    max_seconds_per_year: int | None
    evidence_required: bool
    #: True while the city has not set the year: the values are ``PLACEHOLDERS``.
    placeholder: bool = False

    def describe(self) -> str:
        """The rule in one sentence, as the form shows it."""
        parts = [_("可计入：%(c)s", c="、".join(c.label for c in self.categories))]
        if self.max_seconds_per_day:
            parts.append(_("每天最多 %(h)s 学时", h=credit_hours(self.max_seconds_per_day)))
        if self.max_seconds_per_item:
            parts.append(_("每项最多 %(h)s 学时", h=credit_hours(self.max_seconds_per_item)))
        if self.max_seconds_per_year:
            parts.append(_("每人每年本类最多 %(h)s 学时",
                           h=credit_hours(self.max_seconds_per_year)))
        parts.append(_("须上传证明材料") if self.evidence_required else _("证明材料可不上传"))
        return "；".join(parts)


PLACEHOLDERS = {
    DeclarationType.training: dict(
        categories=(Category.professional,), max_seconds_per_item=None,
        max_seconds_per_day=8 * HOUR, max_seconds_per_year=60 * HOUR, evidence_required=True,
    ),
    DeclarationType.expert_service: dict(
        categories=(Category.professional,), max_seconds_per_item=10 * HOUR,
        max_seconds_per_day=None, max_seconds_per_year=30 * HOUR, evidence_required=True,
    ),
    DeclarationType.self_study: dict(
        categories=(Category.professional,), max_seconds_per_item=20 * HOUR,
        max_seconds_per_day=None, max_seconds_per_year=40 * HOUR, evidence_required=True,
    ),
    DeclarationType.achievement: dict(
        categories=(Category.professional,), max_seconds_per_item=30 * HOUR,
        max_seconds_per_day=None, max_seconds_per_year=60 * HOUR, evidence_required=True,
    ),
}


def _placeholder(year: int, kind: DeclarationType) -> Rule:
    return Rule(year=year, type=kind, placeholder=True, **PLACEHOLDERS[kind])  # type: ignore[arg-type]


def _rule(row: DeclarationRule) -> Rule:
    return Rule(
        year=row.year, type=row.type, categories=tuple(row.category_list),
        max_seconds_per_item=row.max_seconds_per_item,
        max_seconds_per_day=row.max_seconds_per_day,
        max_seconds_per_year=row.max_seconds_per_year,
        evidence_required=row.evidence_required,
    )


def rules_for(year: int) -> dict[DeclarationType, Rule]:
    """Every type's rule for ``year``: as the city set it, else the placeholder."""
    rows = db.session.scalars(sa.select(DeclarationRule).where(DeclarationRule.year == year))
    found = {row.type: _rule(row) for row in rows}
    return {kind: found.get(kind) or _placeholder(year, kind) for kind in DeclarationType}


def rule_for(year: int, kind: DeclarationType) -> Rule:
    return rules_for(year)[kind]


@audit.privileged("declaration.rules")
def save_rules(year: int, rules: Sequence[Rule], by: User | None) -> None:
    """Set ``year``'s rules (every type given); the city admin's, or the command line's."""
    if by is not None and not by.is_city_admin:
        raise PermissionError
    existing = {r.type: r for r in db.session.scalars(
        sa.select(DeclarationRule).where(DeclarationRule.year == year))}
    for rule in rules:
        if not rule.categories:
            raise ValueError(_("每类申报至少可计入一个类别。"))
        row = existing.get(rule.type) or DeclarationRule(year=year, type=rule.type)
        row.categories = ",".join(c.value for c in rule.categories)
        row.max_seconds_per_item = rule.max_seconds_per_item
        row.max_seconds_per_day = rule.max_seconds_per_day
        row.max_seconds_per_year = rule.max_seconds_per_year
        row.evidence_required = rule.evidence_required
        row.updated_at = clock.now()
        row.updated_by_id = by.id if by else None
        db.session.add(row)
    db.session.flush()
    audit.record(by, "declaration.rules", acting_as=[Role.city_admin],
                 details={"year": year, "rules": {r.type.value: r.describe() for r in rules}})


def seed(year: int) -> list[Rule]:
    """The placeholders written as ``year``'s rules, for the city to change."""
    rules = [replace(rule, placeholder=False) for rule in rules_for(year).values()]
    save_rules(year, rules, None)
    return rules


def cutoff(year: int) -> date:
    """The last day ``year`` may be declared: DECLARATION_CUTOFF (MM-DD) of the next year."""
    month, day = (int(part) for part in current_app.config["DECLARATION_CUTOFF"].split("-"))
    return date(year + 1, month, day)
