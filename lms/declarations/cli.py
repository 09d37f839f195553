"""``lms declarations``: the year's rules, and verifying what was decided."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal, InvalidOperation
from typing import Any

import click
from flask.cli import with_appcontext
from sqlalchemy.orm import selectinload

from lms.attachments.services import Integrity
from lms.courses.models import SECONDS_PER_CREDIT_HOUR, Category, credit_hours
from lms.declarations import rules, services
from lms.declarations.models import Declaration, DeclarationType, Evidence
from lms.extensions import db
from lms.reviews.models import Review

declarations_cli = click.Group("declarations", help="Declared hours: rules and verification.")
rules_cli = click.Group("rules", help="The year's rules per type of declaration.")
declarations_cli.add_command(rules_cli)

#: Declarations read (and their files hashed) per batch by ``verify``.
VERIFY_BATCH = 100
#: The largest cap the command takes, in 学时 (as the page).
MAX_CAP_HOURS = 1000


class Hours(click.ParamType):
    """A cap in 学时: a positive number in steps of 0.5, or ``none`` for no cap."""

    name = "hours"

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> int | None:
        if value is None or isinstance(value, int):
            return value
        text = str(value).strip().lower()
        if text in ("none", "-", ""):
            return None
        try:
            hours = Decimal(text)
        except InvalidOperation:
            self.fail(f"{value!r} is not a number of hours (or 'none')", param, ctx)
        if not hours.is_finite() or not Decimal("0.5") <= hours <= MAX_CAP_HOURS:
            self.fail(f"{value!r}: a cap is from 0.5 to {MAX_CAP_HOURS} hours", param, ctx)
        if (hours * 2) % 1:
            self.fail(f"{value!r}: hours go in steps of 0.5", param, ctx)
        return int(hours * SECONDS_PER_CREDIT_HOUR)


def _categories(ctx: click.Context, param: click.Parameter,
                value: str | None) -> tuple[Category, ...] | None:
    if value is None:
        return None
    names = [name.strip() for name in value.split(",") if name.strip()]
    if not names:
        raise click.BadParameter("name at least one category")
    try:
        return tuple(dict.fromkeys(Category(name) for name in names))
    except ValueError:
        raise click.BadParameter(
            f"categories are {', '.join(c.value for c in Category)}") from None


def _hours(seconds: int | None) -> str:
    return "-" if seconds is None else credit_hours(seconds)


def _show(rule: rules.Rule) -> None:
    mark = "  (placeholder, not the city's)" if rule.placeholder else ""
    click.echo(f"{rule.type.value} ({rule.type.label}){mark}")
    click.echo(f"  categories: {','.join(c.value for c in rule.categories)}")
    click.echo(f"  per item: {_hours(rule.max_seconds_per_item)}  "
               f"per day: {_hours(rule.max_seconds_per_day)}  "
               f"per year: {_hours(rule.max_seconds_per_year)}  "
               f"evidence: {'required' if rule.evidence_required else 'optional'}")


@rules_cli.command("show")
@click.option("--year", type=click.IntRange(2000, 2999), help="default: this year")
@with_appcontext
def show(year: int | None) -> None:
    """Print the year's rule for each type (placeholders marked)."""
    year = year or services.today().year
    found = rules.rules_for(year)
    click.echo(f"rules for {year} (declared until {rules.cutoff(year).isoformat()}):")
    for rule in found.values():
        _show(rule)


@rules_cli.command("set")
@click.option("--year", type=click.IntRange(2000, 2999), required=True)
@click.option("--type", "kind", type=click.Choice([t.value for t in DeclarationType]),
              required=True)
@click.option("--categories", callback=_categories,
              help="comma-separated: " + ",".join(c.value for c in Category))
@click.option("--per-item", type=Hours(), default=None, help="学时, or 'none'")
@click.option("--per-day", type=Hours(), default=None, help="学时, or 'none'")
@click.option("--per-year", type=Hours(), default=None, help="学时, or 'none'")
@click.option("--evidence/--no-evidence", default=None, help="whether evidence is required")
@with_appcontext
def set_rule(year: int, kind: str, categories: tuple[Category, ...] | None,
             per_item: int | None, per_day: int | None, per_year: int | None,
             evidence: bool | None) -> None:
    """Change one type's rule for YEAR; what is not given is kept (a year not set yet starts
    from the placeholders). Only that type is written."""
    ctx = click.get_current_context()
    given = {name for name in ("per_item", "per_day", "per_year")
             if ctx.get_parameter_source(name) is not click.core.ParameterSource.DEFAULT}
    rule = rules.rule_for(year, DeclarationType(kind))
    changes: dict[str, Any] = {"placeholder": False}
    if categories is not None:
        changes["categories"] = categories
    for name in given:
        changes[f"max_seconds_{name}"] = ctx.params[name]
    if evidence is not None:
        changes["evidence_required"] = evidence
    rule = replace(rule, **changes)
    rules.save_rules(year, [rule], None)
    db.session.commit()
    click.echo(f"set the rule for {kind} in {year}:")
    _show(rule)


@rules_cli.command("seed")
@click.option("--year", type=click.IntRange(2000, 2999), required=True)
@with_appcontext
def seed(year: int) -> None:
    """Write the placeholders as YEAR's rules (types already set keep theirs)."""
    written = rules.seed(year)
    db.session.commit()
    click.echo(f"wrote the rules for {year}; change them to the city's caps:")
    for rule in written:
        _show(rule)


@declarations_cli.command("verify")
@with_appcontext
def verify() -> None:
    """Read every evidence file of every decided declaration again, and check each decision's
    digest: exit 1 when anything changed since it was decided."""
    checked = changed = 0
    last = 0
    while True:
        batch = db.session.scalars(
            services.decided_declarations().where(Declaration.id > last).limit(VERIFY_BATCH)
            .options(selectinload(Declaration.review).selectinload(Review.decisions),
                     selectinload(Declaration.evidence).selectinload(Evidence.attachment))
            .execution_options(populate_existing=True)  # the rows as stored now
        ).all()
        if not batch:
            break
        for declaration in batch:
            checked += 1
            result = services.check(declaration, rehash=True)
            if not result.intact:
                changed += 1
                _report(declaration, result)
        # The session holds what it read weakly: a batch goes once ``batch`` is rebound.
        last = batch[-1].id
    click.echo(f"checked {checked} decided declarations: "
               + (f"{changed} changed since decided" if changed else "all intact"))
    if changed:
        raise SystemExit(1)


def _report(declaration: Declaration, result: services.Check) -> None:
    click.echo(f"declaration {declaration.id} 「{declaration.title}」 "
               f"(user {declaration.user_id}, {declaration.status.value}):")
    for decision in result.changed_decisions:
        click.echo(f"  decision {decision.id} ({decision.step_label}, {decision.action.value}, "
                   f"{decision.decided_at.isoformat()}): the declaration no longer matches "
                   "what was decided")
    for evidence, state in result.changed_files:
        what = "missing" if state is Integrity.missing else "changed"
        click.echo(f"  evidence {evidence.id} {evidence.attachment.filename} "
                   f"({evidence.attachment.path}): {what}")

